"""The mi_audit role on localhost, as a user runs it (the audit playbook): it audits the single-instance form
of the mi_ports inventory (mi_ports_home & co.), and a host with nothing to audit fails a high gate instead of
passing silently. MI is a stand-in running as a local process; discovery is off so that other MI processes of
this machine stay out of it."""

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers.runner import COLLECTIONS, REPO
from helpers.standin_process import StandIn, offset_for_free_ports, write_home

PLAYBOOK = REPO / 'playbooks' / 'audit.yml'


def run_audit(tmp_path, *extra):
    argv = [str(Path(sys.executable).parent / 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
            '-e', 'ansible_python_interpreter=%s' % sys.executable, '-e', 'audit_hosts=localhost',
            '-e', 'mi_audit_become=false', '-e', 'mi_audit_discover=false',
            '-e', 'mi_audit_report_dir=%s' % (tmp_path / 'report')] + list(extra) + [str(PLAYBOOK)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS)))
    report = tmp_path / 'report' / 'mi-audit.json'
    return proc, json.loads(report.read_text()) if report.exists() else None


def test_the_single_instance_form_is_audited(tmp_path):
    offset = offset_for_free_ports()
    home = write_home(tmp_path / 'mi', '[server]\noffset = %d\n' % offset)
    with StandIn(home):
        proc, report = run_audit(tmp_path, '-e', 'mi_ports_home=%s' % home, '-e', 'mi_ports_instance_name=single',
                                 '-e', '{"mi_ports_jvm_args": "-Dfoo=1", "mi_ports_environment": {"X": "1"}}')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (host,) = report['hosts']
    assert [instance['name'] for instance in host['instances']] == ['single']
    listening = sorted(row['port'] for row in host['instances'][0]['rows'] if row['listening'])
    assert listening == sorted(base + offset for base in (8280, 8243, 9191, 9154))
    assert 'no_instance' not in [item['kind'] for item in report['findings']]


def test_a_host_with_nothing_to_audit_fails_a_high_gate(tmp_path):
    proc, report = run_audit(tmp_path, '-e', 'mi_audit_fail_on=high')
    assert proc.returncode != 0, proc.stdout
    assert [item['kind'] for item in report['findings'] if item['severity'] == 'high'] == ['no_instance']
    assert 'no MI instance is listed for this host and no MI JVM runs on it' in ' '.join(proc.stdout.split())
