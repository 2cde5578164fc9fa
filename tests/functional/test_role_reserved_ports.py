"""The mi_ports role on localhost (check mode, no firewall): SSH's port 22 stays reserved when the user
reserves other ports, and only mi_ports_reserve_ssh: false removes it. The checks are in the playbook."""

import os
import subprocess
import sys
from pathlib import Path

from helpers.runner import COLLECTIONS, write_conf

PLAYBOOK = Path(__file__).parent / 'playbooks' / 'reserved_ports.yml'


def test_ssh_stays_reserved_unless_turned_off(tmp_path):
    conf = write_conf(tmp_path, '[server]\nhostname = "localhost"\n\n[transport.http]\nlistener.port = 8280\n')
    before = conf.read_bytes()
    playbook = Path(sys.executable).parent / 'ansible-playbook'
    proc = subprocess.run([str(playbook), '--check', '-i', 'localhost,', '-c', 'local',
                           '-e', 'ansible_python_interpreter=%s' % sys.executable, '-e', 'mi_home=%s' % tmp_path,
                           str(PLAYBOOK)],
                          capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS)))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Each refusal is rescued twice: by the role (which stops with the module's message unless only a library was
    # missing), then by the playbook; a real SSH daemon on this machine adds one more refusal, for its listener.
    assert 'failed=0' in proc.stdout and ('rescued=4' in proc.stdout or 'rescued=6' in proc.stdout), proc.stdout
    assert conf.read_bytes() == before, 'check mode wrote the file'
