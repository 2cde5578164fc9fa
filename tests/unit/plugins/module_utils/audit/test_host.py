"""The host audit (plugins/module_utils/audit_host.py), table-driven on plain data: what the module reads
(a deployment.toml text, the unit's start-up, the running JVM's argv and sockets, the firewall) goes in,
rows and findings come out. The port model is the real one (read_model on real TOML text)."""

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.audit.findings import (
    KINDS,
    SEVERITIES,
    AuditError,
    at_or_above,
    count_by_severity,
    rank,
    worst,
)
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.audit.host import audit_host
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall.reach import reach_of
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.inbound import endpoint_listener, read_endpoint
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.parameters import ParameterContext
from helpers.artifacts import endpoint_xml
from helpers.audit_data import DEFAULT_PORTS, OPEN_AS_INTENDED, STARTED, firewall, host_result, instance, jvm


def run(entries, fw='as intended', sockets=None):
    fw = OPEN_AS_INTENDED if fw == 'as intended' else fw
    host_sockets = sockets if sockets is not None else [
        s for entry in entries for p in entry['processes'] for s in p['sockets']]
    return audit_host(entries, {'firewall': fw, 'ephemeral': (32768, 60999),
                                'sockets': lambda ports: [s for s in host_sockets if s['port'] in ports]})


def kinds(result):
    return sorted((item['kind'], item['severity'], tuple(item['ports'])) for item in result['findings'])


def test_a_clean_host_has_no_finding_and_one_row_per_port():
    result = run([instance()])
    assert kinds(result) == []
    rows = result['instances'][0]['rows']
    assert [(r['port'], r['name'], r['configured'], r['listening']) for r in rows] == [
        (8253, 'https', True, True), (8290, 'http', True, True), (9164, 'management_https', True, True),
        (9201, 'management_http', True, True)]
    assert [r['reachable']['state'] for r in rows] == ['any', 'any', 'sources', 'sources']
    assert result['instances'][0]['offset'] == {'configured': 10, 'configured_source': 'default', 'running': 10,
                                                'running_source': 'the file, unchanged since MI started'}


CASES = [
    # (id, entries, firewall, expected (kind, severity, ports)[, the host's sockets when not the JVMs' own])
    ('file changed after start, not restarted',
     [instance(text='[server]\noffset = 13\n', mtime=STARTED + 30)], OPEN_AS_INTENDED,
     [('offset_drift', 'high', ()),
      ('restart_pending', 'medium', (8253, 8256, 8290, 8293, 9164, 9167, 9201, 9204))]),
    ('a port moved in the file, not restarted',
     [instance(text='[transport.http]\nlistener.port = 8281\n', mtime=STARTED + 30)], OPEN_AS_INTENDED,
     [('restart_pending', 'medium', (8291,)), ('unexpected_listener', 'medium', (8290,))]),
    ('a listener that failed although MI started after the change',
     [instance(processes=[jvm(101, [8290, 8253, 9201])])], OPEN_AS_INTENDED,
     [('listener_failed', 'high', (9164,))]),
    ('-DportOffset added to the unit, not restarted',
     [instance(jvm_args=['-DportOffset=20'])], OPEN_AS_INTENDED,
     [('offset_drift', 'high', ()),
      ('restart_pending', 'medium', (8253, 8263, 8290, 8300, 9164, 9174, 9201, 9211))]),
    ('-DportOffset overrides a different offset of the file',
     [instance(text='[server]\noffset = 5\n', jvm_args=['-DportOffset=20'],
               processes=[jvm(101, [8300, 8263, 9211, 9174], args=['-DportOffset=20'])])],
     firewall([{'port': 8300}, {'port': 8263}, {'port': 9211, 'source': '10.0.0.0/8'}]),
     [('offset_overridden', 'low', ())]),
    ('an extra port the configuration does not know',
     [instance(processes=[jvm(101, DEFAULT_PORTS + [7777])])], OPEN_AS_INTENDED,
     [('unexpected_listener', 'medium', (7777,))]),
    ('a kernel-chosen port (JMX/RMI)',
     [instance(processes=[jvm(101, DEFAULT_PORTS + [41234])])], OPEN_AS_INTENDED,
     [('random_port', 'info', (41234,))]),
    ('the Management API open to any address',
     [instance()], firewall([{'port': 8290}, {'port': 8253}, {'port': 9201, 'source': '10.0.0.0/8'},
                             {'port': 9164}]),
     [('management_exposed', 'critical', (9164,))]),
    ('no firewall: every port reachable, the Management API too',
     [instance()], firewall(guarded=False),
     [('management_exposed', 'critical', (9164, 9201)), ('no_firewall', 'low', ())]),
    ('a JDWP debugger open to any address',
     [instance(processes=[jvm(101, DEFAULT_PORTS + [5005],
                              options=['-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:5005'])])],
     firewall([{'port': 8290}, {'port': 8253}, {'port': 9201, 'source': '10.0.0.0/8'},
               {'port': 9164, 'source': '10.0.0.0/8'}, {'port': 5005}]),
     [('management_exposed', 'critical', (5005,))]),
    ('a public port the firewall keeps closed',
     [instance()], firewall([{'port': 8253}, {'port': 9201, 'source': '10.0.0.0/8'}]),
     [('firewall_closed', 'medium', (8290,))]),
    ('a stale rule of ours where nothing listens',
     [instance()], firewall([{'port': 8290}, {'port': 8253}, {'port': 9201, 'source': '10.0.0.0/8'},
                             {'port': 8291, 'owner': 'ours', 'instance': 'a', 'name': 'http'}]),
     [('stale_rule', 'medium', (8291,))]),
    ('two instances configured on one port',
     [instance(), instance('b', text='[server]\noffset = 10\n', processes=[])], OPEN_AS_INTENDED,
     [('instance_down', 'high', ()), ('port_conflict', 'high', (8253,)), ('port_conflict', 'high', (8290,)),
      ('port_conflict', 'high', (9164,)), ('port_conflict', 'high', (9201,))]),
    ('a configured port held by another process',
     [instance()], OPEN_AS_INTENDED,
     [('port_conflict', 'high', (8290,))],
     [{'family': 4, 'address': '0.0.0.0', 'port': 8290, 'pids': [101, 555], 'programs': ['java', 'nginx']}]),
    ('an unreadable file',
     [instance(text=None, problems=['/opt/mi/a/conf/deployment.toml: cannot read: permission denied'])],
     OPEN_AS_INTENDED, [('unreadable', 'high', ())]),
    ('a value MI refuses',
     [instance(text='[transport.http]\nlistener.port = " 8280 "\n')], OPEN_AS_INTENDED,
     [('unreadable', 'high', ())]),
    ('a placeholder without a source',
     [instance(text='[transport.http]\nlistener.port = "$env{HTTP_PORT}"\n',
               processes=[jvm(101, [8253, 9201, 9164])])], OPEN_AS_INTENDED,
     [('unresolved_port', 'low', ())]),
    ('an MI JVM from a home that is not listed',
     [instance(), instance('x', listed=False, processes=[jvm(202, [8291, 8254, 9202, 9165], home='/opt/mi/x')],
                           text='[server]\noffset = 11\n')],
     firewall([{'port': p} for p in (8290, 8253, 8291, 8254)]
              + [{'port': p, 'source': '10.0.0.0/8'} for p in (9201, 9164, 9202, 9165)]),
     [('unlisted_instance', 'low', ())]),
]


@pytest.mark.parametrize('entries, fw, expected, sockets', [(case + (None,))[1:5] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_findings(entries, fw, expected, sockets):
    result = run(entries, fw, sockets)
    assert kinds(result) == sorted(expected)
    for item in result['findings']:
        assert item['severity'] == KINDS[item['kind']].severity
        assert item['fix'].endswith('.') and '{' not in item['fix']


def test_messages_say_what_and_why():
    result = run([instance(text='[server]\noffset = 13\n', mtime=STARTED + 30)])
    by_kind = dict((item['kind'], item) for item in result['findings'])
    assert by_kind['offset_drift']['message'] == (
        'the JVM runs with offset 10 (inferred from the listening sockets); its next start uses 13 (the file)')
    assert by_kind['restart_pending']['message'].startswith(
        'ports 8256, 8293, 9167, 9204 configured, not listening; the JVM still listens on ports 8253, 8290, 9164, '
        '9201 from before the change: /opt/mi/a/conf/deployment.toml changed at 1970-01-12 13:47:10 UTC, after MI '
        'started at 1970-01-12 13:46:40 UTC')
    stale = [row for row in result['instances'][0]['rows'] if row['label'] == 'stale']
    assert [(row['port'], row['name'], row['exposure']) for row in stale] == [
        (8253, 'https', 'public'), (8290, 'http', 'public'), (9164, 'management_https', 'management'),
        (9201, 'management_http', 'monitoring')]


def test_offset_drift_names_the_unit_file_that_sets_it():
    result = run([instance(jvm_args=['-DportOffset=20'])])
    drift = [item for item in result['findings'] if item['kind'] == 'offset_drift'][0]
    assert drift['message'] == ('the JVM runs with offset 10 (the file, unchanged since MI started); its next start '
                                'uses 20 (-DportOffset in JAVA_OPTS (/etc/default/mi))')
    assert 'what MI starts with changed' in [i for i in result['findings'] if i['kind'] == 'restart_pending'][0][
        'message']


def test_held_port_names_the_other_process_and_instance():
    sockets = [{'family': 4, 'address': '0.0.0.0', 'port': 8290, 'pids': [101, 555], 'programs': ['java', 'nginx']}]
    result = run([instance()], sockets=sockets)
    assert [item['message'] for item in result['findings']] == ['port 8290 (a http) is held by nginx (pid 555)']
    other = instance('b', text='[server]\noffset = 10\n', processes=[])
    sockets = [{'family': 4, 'address': '0.0.0.0', 'port': 8290, 'pids': [101], 'programs': ['java']}]
    messages = [item['message'] for item in run([instance(), other], sockets=sockets)['findings']]
    assert 'port 8290 is configured for both a http and b http' in messages
    assert not [message for message in messages if 'held by' in message]  # said once, as the conflict


def test_a_stale_rule_of_an_instance_no_longer_listed_gets_its_own_rows():
    fw = firewall([{'port': p} for p in (8290, 8253)] + [{'port': p, 'source': '10.0.0.0/8'} for p in (9201, 9164)]
                  + [{'port': 8400, 'owner': 'ours', 'instance': 'gone', 'name': 'http', 'text': 'tcp dport 8400'}])
    sockets = [{'family': 4, 'address': '0.0.0.0', 'port': 8400, 'pids': [777], 'programs': ['python3']}]
    result = run([instance()], fw, sockets + jvm(101, DEFAULT_PORTS)['sockets'])
    gone = [i for i in result['instances'] if i['name'] == 'gone'][0]
    assert gone['listed'] is False and [(r['port'], r['rules'], r['findings']) for r in gone['rows']] == [
        (8400, ['tcp dport 8400'], ['stale_rule'])]
    assert result['findings'][0]['message'] == (
        'our rules open port 8400 where no instance is configured: 8400 (tcp dport 8400, now exposing python3 (pid 777))')


def test_a_socket_on_loopback_only_is_local_whatever_the_firewall():
    result = run([instance(processes=[jvm(101, DEFAULT_PORTS, address='127.0.0.1')])], firewall(guarded=False))
    assert set(row['reachable']['state'] for row in result['instances'][0]['rows']) == {'local'}
    assert kinds(result) == [('no_firewall', 'low', ())]


def test_without_a_firewall_read_reachability_is_unknown_and_no_reach_finding():
    result = run([instance()], None)
    assert kinds(result) == [] and result['firewall'] == {'backend': 'unknown', 'guarded': None,
                                                          'reason': 'not read'}
    assert set(row['reachable']['state'] for row in result['instances'][0]['rows']) == {'unknown'}


@pytest.mark.parametrize('rules, default, expected', [
    ([], 'closed', ('closed', [])),
    ([], 'any', ('any', [])),
    ([{'port': 9164, 'source': '10.0.0.0/8'}, {'port': 9164, 'source': '192.168.0.0/16'}], 'closed',
     ('sources', ['10.0.0.0/8', '192.168.0.0/16'])),
    ([{'port': 9164, 'source': '10.0.0.0/8'}, {'port': 9164, 'action': 'drop'}], 'any', ('sources', ['10.0.0.0/8'])),
    ([{'port': 9164, 'action': 'drop'}, {'port': 9164}], 'any', ('closed', [])),
    ([{'port': 9164, 'source': '10.0.0.0/8'}, {'port': 9164}], 'closed', ('any', [])),
    ([{'port': 8290}], 'closed', ('closed', [])),
])
def test_reach_first_match_per_source(rules, default, expected):
    found = reach_of(firewall(rules, default=default), 9164, ['0.0.0.0'])
    assert (found['state'], found['sources']) == expected


def test_severity_helpers():
    findings = [{'severity': 'low'}, {'severity': 'critical'}, {'severity': 'medium'}]
    assert worst(findings) == 'critical' and worst([]) is None
    assert count_by_severity(findings) == {'critical': 1, 'high': 0, 'medium': 1, 'low': 1, 'info': 0}
    assert at_or_above(findings, 'medium') == [{'severity': 'critical'}, {'severity': 'medium'}]
    assert [rank(s) for s in SEVERITIES + ('none',)] == [0, 1, 2, 3, 4, 5]
    with pytest.raises(AuditError, match="severity 'severe' is not one of critical, high, medium, low, info or none"):
        rank('severe')


def test_every_kind_has_a_known_severity_and_a_one_sentence_fix():
    for kind in KINDS.values():
        assert kind.severity in SEVERITIES
        assert kind.fix.count('. ') == 0 and kind.fix.endswith('.')


def test_a_host_with_no_instance_to_audit_is_a_high_finding_not_a_silent_pass():
    report = host_result([])
    assert [(item['kind'], item['severity'], item['instance']) for item in report['findings']] == [
        ('no_instance', 'high', None)]
    assert report['instances'] == []
    assert 'mi_ports_home' in report['findings'][0]['fix']


# -- deployed inbound endpoints ---------------------------------------------------------------------
def deployed(name, protocol, port, suspend=False):
    """A deployed endpoint as the module reads it from an artifact (the real reader on real XML)."""
    parameter = {'http': 'inbound.http.port', 'hl7': 'inbound.hl7.Port'}[protocol]
    where = '/opt/mi/a/repository/deployment/server/carbonapps/x.car!%s_1.0.0/%s-1.0.0.xml' % (name, name)
    return endpoint_listener(read_endpoint(endpoint_xml(name, protocol, {parameter: str(port)}, suspend).encode(),
                                           where), ParameterContext(), where)


def test_a_deployed_endpoint_that_listens_is_expected():
    result = run([instance(inbound_endpoints=[deployed('Orders', 'http', 8697)],
                           processes=[jvm(101, DEFAULT_PORTS + [8697])])],
                 firewall([{'port': p} for p in (8290, 8253, 8697)] + [{'port': 9201, 'source': '10.0.0.0/8'},
                                                                       {'port': 9164, 'source': '10.1.0.0/16'}]))
    assert kinds(result) == []
    row = [row for row in result['instances'][0]['rows'] if row['port'] == 8697][0]
    assert (row['name'], row['endpoint'], row['configured'], row['listening']) == (
        'inbound.Orders', 'Orders', True, True)


def test_a_deployed_endpoint_not_listening_names_the_process_holding_its_port():
    holder = {'family': 4, 'address': '0.0.0.0', 'port': 8697, 'pids': [555], 'programs': ['nginx']}
    result = run([instance(inbound_endpoints=[deployed('Orders', 'http', 8697)])], sockets=[holder] + list(
        jvm(101, DEFAULT_PORTS)['sockets']))
    failed = [item for item in result['findings'] if item['kind'] == 'inbound_failed']
    assert [(item['severity'], item['ports']) for item in failed] == [('high', [8697])]
    assert failed[0]['message'] == (
        'the inbound endpoint Orders (/opt/mi/a/repository/deployment/server/carbonapps/x.car!Orders_1.0.0/'
        'Orders-1.0.0.xml) is deployed but MI does not listen on port 8697: port 8697 is held by nginx (pid 555)')
    alone = run([instance(inbound_endpoints=[deployed('Orders', 'http', 8697)])])
    assert [item['message'].rsplit(': ', 1)[1] for item in alone['findings'] if item['kind'] == 'inbound_failed'] == [
        'read the MI log for the endpoint (TLS keystore, a parameter)']


def test_a_listening_suspended_endpoint_is_info_not_an_unexpected_listener():
    result = run([instance(inbound_endpoints=[deployed('Later', 'hl7', 20001, suspend=True)],
                           processes=[jvm(101, DEFAULT_PORTS + [20001])])],
                 firewall([{'port': p} for p in (8290, 8253, 20001)] + [{'port': 9201, 'source': '10.0.0.0/8'},
                                                                        {'port': 9164, 'source': '10.1.0.0/16'}]))
    assert kinds(result) == [('inbound_activated', 'info', (20001,))]


def test_an_endpoint_mi_cannot_deploy_is_a_finding():
    result = run([instance(inbound_problems=['/opt/mi/a/x.xml: the hl7 endpoint H has no parameter inbound.hl7.Port: '
                                             'MI cannot deploy it'])])
    assert kinds(result) == [('inbound_failed', 'high', ())]
