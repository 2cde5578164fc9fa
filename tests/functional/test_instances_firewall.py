"""The instances module with its firewall part, run for real as a process: everything the firewall needs is checked
and read before the first file is written, and a firewall problem writes nothing. The firewall backends themselves
run against real firewalls on the podman hosts of the molecule scenarios; nothing here changes this machine's
firewall (every run below stops before a change, or runs in check mode)."""

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.artifacts import SHIPPED, home, snapshot
from helpers.runner import COLLECTIONS, firewalld_client_only_in_the_system_python


def args_for(*homes, **firewall):
    return dict({'instances': [{'name': path.name, 'home': str(path), 'offset': 3} for path in homes]}, **firewall)


@pytest.mark.parametrize('sources, fragment', [
    ({'management_sources': ['admin.example.invalid']}, "management_sources entry 'admin.example.invalid' is not an IP network"),
    ({'monitoring_sources': ['10.0.0.0/33']}, "monitoring_sources entry '10.0.0.0/33' is not an IP network"),
    ({'monitoring_sources': ['0.0.0.0/0']}, 'serves the Management API: it is never opened to every address'),
], ids=['management source not a network', 'monitoring source not a network', 'Management API over HTTP to the world'])
def test_a_source_the_firewall_refuses_writes_nothing(tmp_path, module_runner, sources, fragment):
    mi = home(tmp_path, 'mi')
    before = snapshot(mi)
    result = module_runner('instances', args_for(mi, firewall='nftables', **sources))
    assert result['failed'] is True and result.get('changed') is not True, result
    assert fragment in result['msg']
    assert snapshot(mi) == before


def test_the_firewall_lock_is_taken_with_the_files_and_a_run_that_cannot_get_it_writes_nothing(tmp_path, module_runner):
    """One lock set for the files and the firewall (the folder of /etc/wso2ops-mi-ports.nft), taken before the read."""
    mi = home(tmp_path, 'mi')
    before = snapshot(mi)
    folder = os.open('/etc', os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        result = module_runner('instances', args_for(mi, firewall='nftables', lock_timeout=0))
    finally:
        os.close(folder)
    assert result['failed'] is True and result.get('changed') is not True, result
    assert 'another run holds the lock on /etc (pid %d (' % os.getpid() in result['msg']
    assert snapshot(mi) == before


def test_write_files_false_plans_the_files_and_writes_none(tmp_path, module_runner):
    mi = home(tmp_path, 'mi')
    before = snapshot(mi)
    result = module_runner('instances', args_for(mi, write_files=False))
    assert result['changed'] is False and result['instances'][0]['changed'] is True
    assert 'file: server.offset unset -> 3' in result['plan'][0]
    assert snapshot(mi) == before and 'firewall' not in result


def test_check_mode_reports_the_rules_and_changes_nothing_and_backend_none_says_nothing_guards(tmp_path, module_runner):
    mi = home(tmp_path, 'mi')
    result = module_runner('instances', args_for(mi), check=True, diff=True)
    assert 'firewall' not in result and isinstance(result['diff'], dict) and 'warnings' not in result
    result = module_runner('instances', args_for(mi, firewall='none'), check=True, diff=True)
    assert result['firewall']['backend'] == 'none' and result['firewall']['guarded'] is None
    assert result['firewall']['rules'] == []  # none writes no rule, so none is planned
    assert result['plan'][-1] == 'firewall none: nothing guards the MI ports, the Management API included'
    assert ('firewall none: this run manages no firewall; unless another one guards the host, the MI ports, the '
            'Management API included, are open to every address') in json.dumps(result['warnings'])
    result = module_runner('instances', args_for(mi, firewall='auto', public_sources=['192.0.2.0/24']), check=True,
                           diff=True)
    firewall = result['firewall']  # this machine's firewall, read and left as it is (check mode)
    assert [(rule['name'], rule['port'], rule['source']) for rule in firewall['rules']][0] == ('http', 8283, '192.0.2.0/24')
    assert result['plan'][-1].startswith('firewall %s' % firewall['backend'])
    assert 's3cr3t' not in json.dumps(result) and SHIPPED.encode() == snapshot(mi)[0][0]


@firewalld_client_only_in_the_system_python()
def test_firewalld_under_another_python_runs_again_before_any_lock_and_a_firewall_problem_writes_nothing(tmp_path):
    """ansible runs the module with this venv's Python, which cannot import python3-firewall: the module runs itself
    again under the system Python before it takes any lock (its parent would hold it), whose client then finds no
    running firewalld (none runs here): nothing is written, although the file needed a change."""
    mi = home(tmp_path, 'mi')
    before = snapshot(mi)
    ansible = Path(sys.executable).parent / 'ansible'
    proc = subprocess.run([str(ansible), 'localhost', '-c', 'local', '-i', 'localhost,', '-e',
                           'ansible_python_interpreter=%s' % sys.executable, '-m', 'wso2ops.micro_integrator.instances',
                           '-a', json.dumps(args_for(mi, firewall='firewalld', lock_timeout=5))],
                          capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
                          env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS)))
    assert 'FAILED' in proc.stdout, proc.stdout + proc.stderr
    assert 'nothing was changed on this host: firewall: firewalld is not running' in proc.stdout, proc.stdout
    assert 'another run holds the lock' not in proc.stdout
    assert snapshot(mi) == before


def test_the_control_plane_is_warned_about_and_let_through_only_when_asked(tmp_path, module_runner):
    """MI 4.6 with ICP at 10.89.170.20: management_sources that leave it out are a warning; allow_control_plane adds
    it to the management rules; moving the management port by internal_https_api_port says what ICP will be told.
    Check mode: this machine's firewall is read and left as it is; no packet is sent."""
    icp = ('[server]\nhostname = "mi1.example"\n[icp_config]\nenabled = true\nicp_url = "https://10.89.170.20:9445"\n'
           'secret = "icp-s3cr3t"\n')
    mi = home(tmp_path, 'mi', icp)
    (mi / 'updates').mkdir()
    (mi / 'updates' / 'product.txt').write_text('wso2mi-4.6.0\n')
    args = {'instances': [{'name': 'mi', 'home': str(mi), 'ports': {'management_https': 9300}}], 'firewall': 'auto',
            'management_sources': ['10.1.0.0/16']}
    warned = module_runner('instances', args, check=True)
    warnings = json.dumps(warned['warnings'])
    assert 'management_sources (10.1.0.0/16) leave out ICP at 10.89.170.20' in warnings
    assert 'ICP is told management port 9164' in warnings and 'MI listens on 9310' in warnings
    assert warned['instances'][0]['control_plane']['advertised']['port'] == 9164
    management = [rule['source'] for rule in warned['firewall']['rules'] if rule['port'] == 9310]
    assert management == ['10.1.0.0/16']
    allowed = module_runner('instances', dict(args, allow_control_plane=True), check=True)
    assert sorted(rule['source'] for rule in allowed['firewall']['rules'] if rule['port'] == 9310) == [
        '10.1.0.0/16', '10.89.170.20/32']
    assert 'leave out' not in json.dumps(allowed.get('warnings'))
    assert 'the control planes at 10.89.170.20/32 may reach' in allowed['plan'][-1]
    assert 'icp-s3cr3t' not in json.dumps(allowed) and snapshot(mi)[0][0] == icp.encode()
