"""The mi_ports role on localhost, as ansible-playbook runs it: one plan per host at normal verbosity (check mode
too), on a stock host whose Python cannot import tomlkit (a real virtualenv without it). Check mode plans and
installs nothing; a real run with mi_ports_install_dependencies false stops before any write, naming the
library and the interpreter; the tags select the parts of the one module run."""

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from helpers.runner import COLLECTIONS, write_conf

PLAYBOOK = Path(__file__).parent / 'playbooks' / 'plan.yml'
TEXT = '[server]\nhostname = "localhost"\noffset = 3\n\n[keystore.primary]\npassword = "wso2carbon"\n'


@pytest.fixture(scope='module')
def bare_python(tmp_path_factory):
    folder = tmp_path_factory.mktemp('bare') / 'venv'
    venv.EnvBuilder(with_pip=False).create(folder)
    return folder / 'bin' / 'python'


def playbook(python, home, *extra):
    argv = [str(Path(sys.executable).parent / 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
            '-e', 'ansible_python_interpreter=%s' % python, '-e', 'mi_home=%s' % home] + list(extra) + [str(PLAYBOOK)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR='1',
                                   ANSIBLE_CALLBACK_RESULT_FORMAT='json'))


def test_check_mode_on_a_stock_host_shows_the_plan_and_installs_nothing(tmp_path, bare_python):
    conf = write_conf(tmp_path, TEXT)
    proc = playbook(bare_python, tmp_path, '--check', '--diff')
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert 'mi: http 8293 (was 8283), https 8256 (was 8246), management_http 9204 (was 9194), management_https 9167 ' \
           '(was 9157); offset 13 (file); file: server.offset 3 -> 13; not running' in out
    assert 'firewall none: nothing guards the MI ports, the Management API included' in out
    assert 'firewall none: this run manages no firewall; unless another one guards the host, the MI ports, the ' \
           'Management API included, are open to every address' in ' '.join(proc.stderr.split())  # a warning
    assert 'the real run (mi) needs the Python library tomlkit, which the interpreter %s cannot import' % bare_python in out
    assert 'Install' not in out.split('PLAY RECAP')[0].replace('install it for', '')  # no install task ran
    assert '+server.offset = 13' in out and 'wso2carbon' not in out
    assert conf.read_text() == TEXT


def test_a_real_run_that_must_not_install_stops_naming_library_and_interpreter(tmp_path, bare_python):
    conf = write_conf(tmp_path, TEXT)
    proc = playbook(bare_python, tmp_path, '-e', 'mi_ports_install_dependencies=false')
    assert proc.returncode != 0
    assert 'needs the Python library tomlkit, which the interpreter %s cannot import' % bare_python in proc.stdout
    assert 'mi_ports_install_dependencies is false: the role installs nothing' in proc.stdout
    assert conf.read_text() == TEXT


def test_the_tags_of_the_role_are_listed(tmp_path):
    """mi_ports_config and mi_ports_firewall select parts of the one module run (tagged always), not tasks;
    mi_ports_restart tags tasks of follow_up.yml, included only where something follows the run."""
    proc = playbook(sys.executable, tmp_path, '--list-tags')
    assert 'TASK TAGS: [always, mi_ports_health, never]' in proc.stdout, \
        proc.stdout + proc.stderr


@pytest.mark.parametrize('tags', [['--skip-tags', 'mi_ports_config'], ['--tags', 'mi_ports_firewall'],
                                  ['--tags', 'mi_ports_restart']])
def test_tags_that_leave_out_the_files_plan_them_and_write_nothing(tmp_path, tags):
    """The one module run plans the files whatever the tags, and writes them only when mi_ports_config is selected."""
    conf = write_conf(tmp_path, TEXT)
    proc = playbook(sys.executable, tmp_path, *tags)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'file: server.offset 3 -> 13' in proc.stdout
    assert conf.read_text() == TEXT


def test_the_config_tag_writes_the_files(tmp_path):
    conf = write_conf(tmp_path, TEXT)
    proc = playbook(sys.executable, tmp_path, '--tags', 'mi_ports_config')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'offset = 13' in conf.read_text() and 'wso2carbon' in conf.read_text()
