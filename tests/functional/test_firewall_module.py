"""The firewall module run for real, as a process, on input it must refuse before reading any firewall.

The backends' read and apply run against real firewalls in the molecule scenarios (default: nftables,
firewalld, ufw); here only what needs no firewall: argument checks and backend none.
"""

import fcntl
import os

import pytest

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
