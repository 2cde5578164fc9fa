"""The firewall module run for real, as a process, on input it must refuse before reading any firewall.

The backends' read and apply run against real kernel rulesets in test_firewall_namespaces.py (nftables, ufw,
firewalld) and against real firewalls on podman hosts in the molecule scenarios (default: nftables, firewalld,
ufw); here only what needs no firewall: argument checks and backend none.
"""

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.runner import COLLECTIONS, firewalld_client_only_in_the_system_python

LISTENERS = [
    {'instance': 'mi', 'name': 'http', 'port': 8290, 'exposure': 'public'},
    {'instance': 'mi', 'name': 'management_http', 'port': 9201, 'exposure': 'monitoring'},
    {'instance': 'mi', 'name': 'management_https', 'port': 9164, 'exposure': 'management', 'enabled': False},
]


def test_backend_none_changes_nothing_and_reports_the_rules(module_runner):
    result = module_runner('firewall', {'backend': 'none', 'listeners': LISTENERS}, check=True)
    assert result['changed'] is False and result['backend'] == 'none' and result['guarded'] is None
    assert [(r['port'], r['source']) for r in result['rules']][:2] == [(8290, None), (9201, '10.0.0.0/8')]
    assert result['restricted_ports'] == [9201]
    assert result['skipped_listeners'] == [
        {'instance': 'mi', 'name': 'management_https', 'port': 9164, 'exposure': 'management', 'reason': 'disabled'}]
    assert 'warnings' not in result


@pytest.mark.parametrize('args, fragment', [
    ({'listeners': [dict(LISTENERS[0], port=22)]},
     'listener mi http has port 22, which is reserved (SSH): the module never writes a firewall rule for it'),
    ({'listeners': LISTENERS, 'management_sources': ['admin.example.invalid']},
     "management_sources entry 'admin.example.invalid' is not an IP network"),
    ({'listeners': LISTENERS, 'monitoring_sources': ['10.0.0.0/33']},
     "monitoring_sources entry '10.0.0.0/33' is not an IP network"),
    ({'listeners': [dict(LISTENERS[0], instance='my mi')]}, "instance 'my mi' must be letters, digits"),
    ({'listeners': LISTENERS + [dict(LISTENERS[0], instance='other')]},
     'port 8290 is given for both mi http and other http'),
    ({'listeners': [dict(LISTENERS[0], exposure='admin')]}, 'value of exposure must be one of: public, management'),
    ({'listeners': [dict(LISTENERS[0], alias='http')]}, 'alias'),
], ids=['listener on SSH', 'management source not a network', 'monitoring source not a network',
        'instance name with a space', 'two listeners on one port', 'unknown exposure', 'unknown listener key'])
def test_bad_input_is_refused_before_any_firewall_is_read(module_runner, args, fragment):
    # backend nftables: a run that got past the checks would read (and in real mode change) nftables.
    result = module_runner('firewall', dict(args, backend='nftables'), check=True)
    assert result.get('failed') is True, result
    assert fragment in result['msg']
    assert result.get('changed') is not True


@firewalld_client_only_in_the_system_python()
@pytest.mark.parametrize('mode', [['--check'], []], ids=['check mode', 'real run, under the lock'])
def test_firewalld_client_missing_from_the_python_runs_the_module_again_under_the_system_python(tmp_path, mode):
    """ansible runs the module with this venv's Python, which cannot import python3-firewall: the module runs
    itself again under the system Python, whose client then finds no running firewalld (none runs here). A real run
    does so before it takes its lock, which the new run could otherwise never get from its parent."""
    ansible = Path(sys.executable).parent / 'ansible'
    proc = subprocess.run([str(ansible), 'localhost', '-c', 'local', '-i', 'localhost,', '-e',
                           'ansible_python_interpreter=%s' % sys.executable, '-m', 'wso2ops.micro_integrator.firewall',
                           '-a', json.dumps({'backend': 'firewalld', 'listeners': LISTENERS, 'lock_timeout': 5})] + mode,
                          capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
                          env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS)))
    assert 'FAILED' in proc.stdout, proc.stdout + proc.stderr
    assert 'firewalld is not running' in proc.stdout and 'the module never starts a firewall' in proc.stdout, proc.stdout
    assert 'python3-firewall' not in proc.stdout


def test_a_run_waits_for_another_run_and_gives_up_naming_it(module_runner):
    """Runs hold a lock on /etc (the folder of the nftables backend's file) from reading the firewall to its last
    change, whatever the backend; a run that cannot get it in lock_timeout changes nothing and names the holder."""
    folder = os.open('/etc', os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        result = module_runner('firewall', {'backend': 'nftables', 'listeners': LISTENERS, 'lock_timeout': 0})
    finally:
        os.close(folder)
    assert result['failed'] is True and result.get('changed') is not True, result
    assert 'another run holds the lock on /etc (pid %d (' % os.getpid() in result['msg']
    assert result['msg'].endswith('No firewall was changed')
