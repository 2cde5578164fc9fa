"""The audit module run for real, as Ansible runs it, against MI stand-ins running as local processes
(real /proc, real sockets, real files; no systemd unit here: molecule runs it with real units and
firewalls). Offsets put every port in a range of its own so that the runs collide with nothing."""

import hashlib
import os
import random
import socket
import time

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common import proc as proc_scan
from helpers.artifacts import deploy, endpoint_xml
from helpers.standin_process import StandIn, bindable, offset_for_free_ports, write_home


# What the firewall of the machine running the tests lets through is checked on its own (the last test): the
# other tests look at the drift between configured and listening.
REACH_KINDS = ('management_exposed', 'firewall_closed', 'no_firewall', 'stale_rule')


def instance_findings(result, name):
    found = [i for i in result['instances'] if i['name'] == name]
    assert found, result
    return sorted((item['kind'], item['severity']) for item in found[0]['findings'] if item['kind'] not in REACH_KINDS)


def digest(home):
    return hashlib.sha256((home / 'conf' / 'deployment.toml').read_bytes()).hexdigest()


@pytest.fixture
def standins(tmp_path):
    started = []

    def start(name, toml_text, args=(), env=None):
        home = write_home(tmp_path / name, toml_text)
        started.append(StandIn(home, args, env))
        return home
    yield start
    for standin in started:
        standin.stop()


def free_port_below_ephemeral():
    for _attempt in range(50):
        port = random.randrange(20000, 32000)
        if bindable(port):
            return port
    raise AssertionError('no free port found')


def test_clean_instance_then_drift_without_changing_anything(tmp_path, standins, module_runner):
    clean_offset, drift_offset = offset_for_free_ports(), offset_for_free_ports()
    extra = free_port_below_ephemeral()
    clean = standins('clean', '[server]\noffset = %d\n' % clean_offset)
    drift = standins('drift', '[server]\noffset = %d\n' % drift_offset, env={'MISTANDIN_EXTRA_PORTS': str(extra)})
    args = {'instances': [{'name': 'clean', 'home': str(clean)}, {'name': 'drift', 'home': str(drift)}]}

    first = module_runner('audit_info', args)
    assert first['changed'] is False and instance_findings(first, 'clean') == []
    assert ('unexpected_listener', 'medium') in instance_findings(first, 'drift')
    rows = dict((row['port'], row) for row in first['instances'][0]['rows'])
    assert sorted(rows) == sorted(p + clean_offset for p in (8280, 8243, 9191, 9154))
    assert all(row['configured'] and row['listening'] and row['addresses'] == ['0.0.0.0'] for row in rows.values())

    time.sleep(1)  # the file changes after MI started
    (drift / 'conf' / 'deployment.toml').write_text('[server]\noffset = %d\n' % (drift_offset + 1))
    before = [digest(clean), digest(drift)]
    check = module_runner('audit_info', args, check=True)
    assert check['changed'] is False and [digest(clean), digest(drift)] == before
    assert instance_findings(check, 'clean') == []
    assert instance_findings(check, 'drift') == [
        ('offset_drift', 'high'), ('restart_pending', 'medium'), ('unexpected_listener', 'medium')]
    drifted = [i for i in check['instances'] if i['name'] == 'drift'][0]
    assert drifted['offset'] == {'configured': drift_offset + 1, 'configured_source': 'file',
                                 'running': drift_offset, 'running_source': 'inferred from the listening sockets'}
    assert [row['port'] for row in drifted['rows'] if row['label'] == 'unknown'] == [extra]


def test_the_running_jvms_offset_against_its_jvm_args(standins, module_runner):
    offset = offset_for_free_ports()
    home = standins('jvm', '[server]\noffset = 5\n', args=['-DportOffset=%d' % offset])
    result = module_runner('audit_info', {'instances': [{'name': 'jvm', 'home': str(home)}]})
    assert instance_findings(result, 'jvm') == [('offset_overridden', 'low')]
    moved = module_runner('audit_info', {'instances': [
        {'name': 'jvm', 'home': str(home), 'jvm_args': '-DportOffset=%d' % (offset + 1)}]})
    assert instance_findings(moved, 'jvm') == [('offset_drift', 'high'), ('offset_overridden', 'low'),
                                               ('restart_pending', 'medium')]


def test_an_unlisted_mi_jvm_is_found_and_a_listed_one_not_running(tmp_path, standins, module_runner):
    offset = offset_for_free_ports()
    home = standins('other', '[server]\noffset = %d\n' % offset)
    idle = write_home(tmp_path / 'idle', '[server]\n')
    result = module_runner('audit_info', {'instances': [{'name': 'idle', 'home': str(idle)}]})
    assert instance_findings(result, 'idle') == [('instance_down', 'high')]
    assert instance_findings(result, str(home)) == [('unlisted_instance', 'low')]
    hidden = module_runner('audit_info', {'instances': [{'name': 'idle', 'home': str(idle)}], 'discover': False})
    assert [i['name'] for i in hidden['instances']] == ['idle']


def test_no_secret_reaches_the_result(standins, module_runner):
    offset = offset_for_free_ports()
    home = standins('secret', '[server]\noffset = %d\n[keystore.primary]\npassword = "ks-s3cr3t"\n' % offset,
                    env={'DB_PASSWORD': 'env-s3cr3t'})
    result = module_runner('audit_info', {'instances': [{'name': 's', 'home': str(home)}]})
    text = repr(result)
    assert 'ks-s3cr3t' not in text and 'env-s3cr3t' not in text and 'DB_PASSWORD' not in text


def test_start_time_and_ephemeral_range_from_proc():
    started = proc_scan.start_time(os.getpid())
    assert 0 <= time.time() - started < 3600
    assert proc_scan.start_time(2 ** 22 + 1) is None  # no such process
    low, high = proc_scan.ephemeral_ports()
    assert 1024 <= low < high <= 65535


def test_start_time_reads_a_command_name_with_spaces_and_parentheses(tmp_path):
    stat = '4242 (java (mi) x) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 30 0 %d 1 1 0\n'
    (tmp_path / '4242').mkdir()
    (tmp_path / '4242' / 'stat').write_text(stat % (os.sysconf('SC_CLK_TCK') * 5))
    (tmp_path / 'uptime').write_text('100.00 50.00\n')
    assert proc_scan.boot_time(str(tmp_path), now=1000.0) == 900.0
    assert proc_scan.start_time(4242, str(tmp_path)) == pytest.approx(proc_scan.boot_time(str(tmp_path)) + 5)
    (tmp_path / 'sys' / 'net' / 'ipv4').mkdir(parents=True)
    (tmp_path / 'sys' / 'net' / 'ipv4' / 'ip_local_port_range').write_text('40000\t50000\n')
    assert proc_scan.ephemeral_ports(str(tmp_path)) == (40000, 50000)


def test_reachable_comes_from_the_firewall_this_machine_has(standins, module_runner):
    """The machine's own firewall, read as the firewall module detects it (no firewall here: every port is open)."""
    offset = offset_for_free_ports()
    home = standins('reach', '[server]\noffset = %d\n' % offset)
    result = module_runner('audit_info', {'instances': [{'name': 'reach', 'home': str(home)}]})
    firewall = result['firewall']
    assert firewall['backend'] in ('none', 'nftables', 'ufw', 'firewalld') and firewall['reason']
    rows = dict((row['port'], row) for row in result['instances'][0]['rows'])
    management = 9154 + offset
    if firewall['guarded'] is False:
        assert set(row['reachable']['state'] for row in rows.values()) == {'any'}
        kinds = [(item['kind'], item['severity'], item['ports']) for item in result['findings']]
        assert ('no_firewall', 'low', []) in kinds
        assert ('management_exposed', 'critical', [management, 9191 + offset]) in kinds
    else:
        assert set(row['reachable']['state'] for row in rows.values()) <= set(['any', 'sources', 'closed'])


def test_deployed_inbound_endpoints_are_expected_and_a_failed_one_names_its_cause(tmp_path, module_runner):
    """The stand-in binds the endpoint files of its home as MI does; the one whose port a foreign process holds is
    undeployed by it, and the audit says so (inbound_failed), without an unexpected listener."""
    offset = offset_for_free_ports()
    served, held, suspended = free_port_below_ephemeral(), free_port_below_ephemeral(), free_port_below_ephemeral()
    home = write_home(tmp_path / 'ep', '[server]\noffset = %d\n' % offset)
    deploy(home, written=[('served.xml', endpoint_xml('Served', 'hl7', {'inbound.hl7.Port': str(served)})),
                          ('held.xml', endpoint_xml('Held', 'http', {'inbound.http.port': str(held)})),
                          ('later.xml', endpoint_xml('Later', 'http', {'inbound.http.port': str(suspended)},
                                                     suspend=True))])
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(('0.0.0.0', held))
        holder.listen()
        with StandIn(home) as standin:
            assert 'Port %d used by inbound endpoint Held is already used by another application' % held \
                in standin.output
            result = module_runner('audit_info', {'instances': [{'name': 'ep', 'home': str(home)}]})
    assert instance_findings(result, 'ep') == [('inbound_failed', 'high')]
    failed = [item for item in result['findings'] if item['kind'] == 'inbound_failed'][0]
    assert failed['ports'] == [held] and 'port %d is held by' % held in failed['message']
    rows = dict((row['port'], row) for row in result['instances'][0]['rows'])
    assert rows[served]['configured'] and rows[served]['listening'] and rows[served]['name'] == 'inbound.Served'
    assert suspended not in rows


def test_a_46_instance_moved_by_portoffset_and_its_control_plane(standins, module_runner):
    """MI 4.6's ICP agent would tell ICP 9164 - 10 + [server] offset while -DportOffset moved the port; the probe
    (asked for) connects to a real listener on loopback standing in for ICP, and fails once it is gone."""
    offset = offset_for_free_ports()
    control_plane = socket.create_server(('127.0.0.1', 0))
    icp_port = control_plane.getsockname()[1]
    text = ('[server]\nhostname = "127.0.0.1"\n[icp_config]\nenabled = true\nicp_url = "https://127.0.0.1:%d"\n'
            'secret = "icp-hmac-s3cr3t"\n' % icp_port)
    home = standins('icp', text, args=['-DportOffset=%d' % offset])
    (home / 'updates').mkdir()
    (home / 'updates' / 'product.txt').write_text('wso2mi-4.6.0\n')
    args = {'instances': [{'name': 'icp', 'home': str(home)}], 'probe_control_plane': True}
    try:
        result = module_runner('audit_info', args)
    finally:
        control_plane.close()
    found = [item for item in result['findings'] if item['kind'].startswith('control_plane')]
    assert [(item['kind'], item['ports']) for item in found] == [
        ('control_plane_port', sorted([9164, 9154 + offset]))], found
    assert '9164' in found[0]['message'] and str(9154 + offset) in found[0]['message']
    plane = result['instances'][0]['control_plane']
    assert (plane['kind'], plane['port'], plane['probe'], plane['secret_set']) == ('icp', icp_port, None, True)
    assert 'icp-hmac-s3cr3t' not in repr(result)
    gone = module_runner('audit_info', args)
    assert 'control_plane_unreachable' in [item['kind'] for item in gone['findings']]
    quiet = module_runner('audit_info', dict(args, probe_control_plane=False), check=True)
    assert quiet['instances'][0]['control_plane'].get('probe') is None
    assert 'control_plane_unreachable' not in [item['kind'] for item in quiet['findings']]
