"""The host module and deployed inbound endpoints, run for real on MI homes in temp folders: MI's own CApps
and endpoint files (../shared corpus) deployed on them."""

import os

from helpers.artifacts import BETA1, HEALTHCARE, HOT_BETA1, SHIPPED, deploy, endpoint_xml, home, snapshot


def test_a_deployed_endpoint_is_a_listener_with_where_it_comes_from(tmp_path, module_runner):
    a = deploy(home(tmp_path, 'a'), capps=[HEALTHCARE], written=[('hl7.xml', endpoint_xml(
        'HL7In', 'hl7', {'inbound.hl7.Port': '20010'}))])
    (a / 'updates').mkdir()
    (a / 'updates' / 'product.txt').write_text('wso2mi-4.4.0')
    result = module_runner('instances', {'instances': [{'name': 'a', 'home': str(a), 'offset': 12}],
                                         'check_listeners': False})
    assert result.get('failed') is not True, result
    inbound = dict((item['name'], item) for item in result['listeners'] if item['name'].startswith('inbound.'))
    capp = str(a / 'repository/deployment/server/carbonapps' / HEALTHCARE)
    assert inbound['inbound.httpInboundEP'] == {
        'instance': 'a', 'name': 'inbound.httpInboundEP', 'key': 'inbound.httpInboundEP', 'port': 8697,
        'exposure': 'public', 'protocol': 'http', 'bind_address': None, 'apis': [], 'endpoint': 'httpInboundEP',
        'offset_applied': False, 'artifact': capp + '!httpInboundEP_1.0.0/httpInboundEP-1.0.0.xml'}
    assert inbound['inbound.HL7In']['port'] == 20010 and inbound['inbound.HL7In']['artifact'] == str(
        a / 'repository/deployment/server/synapse-configs/default/inbound-endpoints/hl7.xml')
    instance = result['instances'][0]
    assert (instance['mi_version'], instance['liveness'], instance['graceful_shutdown_timeout']) == ('4.4.0', True, 0)


def test_the_offset_flag_moves_http_endpoints_by_the_full_offset(tmp_path, module_runner):
    a = deploy(home(tmp_path, 'a', SHIPPED + '\n[mediation]\ninbound.port_offset_enable = true\n'), capps=[HEALTHCARE])
    result = module_runner('instances', {'instances': [{'name': 'a', 'home': str(a), 'offset': 12}],
                                         'check_listeners': False})
    listener = [item for item in result['listeners'] if item['name'] == 'inbound.httpInboundEP'][0]
    assert (listener['port'], listener['offset_applied']) == (8709, True)


def test_two_instances_deploying_the_same_capp_are_refused_with_both_files_unchanged(tmp_path, module_runner):
    a = deploy(home(tmp_path, 'a'), capps=[BETA1])
    b = deploy(home(tmp_path, 'b'), capps=[BETA1])
    before = snapshot(a, b)
    result = module_runner('instances', {'instances': [{'name': 'a', 'home': str(a), 'offset': 10},
                                                       {'name': 'b', 'home': str(b), 'offset': 20}],
                                         'check_listeners': False})
    assert result['failed'] is True and result['changed'] is False
    assert 'port 7878 is used by both a inbound.TestInbound and b inbound.TestInbound' in result['msg']
    assert snapshot(a, b) == before


def test_an_endpoint_on_a_core_port_and_an_endpoint_without_port_are_problems(tmp_path, module_runner):
    a = deploy(home(tmp_path, 'a'), endpoint_files=[
        'integration__management-api-tests__ESB__server__inbound-endpoints__HL7_Inbound.xml'],
        written=[('clash.xml', endpoint_xml('Clash', 'http', {'inbound.http.port': '8290'}))])
    before = snapshot(a)
    result = module_runner('instances', {'instances': [{'name': 'a', 'home': str(a), 'offset': 11}],
                                         'check_listeners': False})
    assert result['failed'] is True
    assert 'inbound.Clash would both' not in result['msg']  # offset 11: http is 8291
    assert ('the hl7 endpoint HL7_Inbound has no parameter inbound.hl7.Port: MI cannot deploy it'
            in result['msg'])
    assert snapshot(a) == before
    again = module_runner('instances', {'instances': [{'name': 'a', 'home': str(a)}], 'check_listeners': False})
    assert 'transport.http.listener.port and inbound.Clash would both listen on 8290; give them distinct ports' \
        in again['msg']


def test_a_declared_endpoint_overrides_the_deployed_one_and_suspended_opens_nothing(tmp_path, module_runner):
    a = deploy(home(tmp_path, 'a'), capps=[HEALTHCARE], written=[('off.xml', endpoint_xml(
        'Off', 'http', {'inbound.http.port': '8111'}, suspend=True))])
    result = module_runner('instances', {'instances': [{
        'name': 'a', 'home': str(a), 'inbound_endpoints': [{'name': 'httpInboundEP', 'port': 8698}]}],
        'check_listeners': False})
    ports = dict((item['name'], item['port']) for item in result['listeners'])
    assert ports['inbound.httpInboundEP'] == 8698 and 'inbound.Off' not in ports
    assert result['instances'][0]['ports']['inbound.Off']['enabled'] is False


def test_an_unresolved_system_value_warns_and_gets_no_listener(tmp_path, module_runner):
    a = deploy(home(tmp_path, 'a'), written=[('env.xml', endpoint_xml(
        'FromEnv', 'http', {'inbound.http.port': '$SYSTEM:EP_PORT'}))])
    result = module_runner('instances', {'instances': [{'name': 'a', 'home': str(a)}], 'check_listeners': False})
    assert result.get('failed') is not True and result['instances'][0]['unresolved'] == ['inbound.FromEnv']
    assert '$SYSTEM:EP_PORT: the environment variable EP_PORT' in str(result['warnings'])  # 2.19 wraps warnings
    resolved = module_runner('instances', {'instances': [{'name': 'a', 'home': str(a), 'environment': {
        'EP_PORT': '8123'}}], 'check_listeners': False})
    assert [item['port'] for item in resolved['listeners'] if item['name'] == 'inbound.FromEnv'] == [8123]


def test_one_home_with_both_7878_capps_is_refused(tmp_path, module_runner):
    a = deploy(home(tmp_path, 'a'), capps=[BETA1, HOT_BETA1])
    result = module_runner('instances', {'instances': [{'name': 'a', 'home': str(a)}], 'check_listeners': False})
    assert result['failed'] is True and 'two inbound endpoints are named TestInbound' in result['msg']
    assert os.path.exists(a / 'conf' / 'deployment.toml')


def test_the_firewall_module_takes_the_listeners_as_the_instances_module_returns_them(tmp_path, module_runner):
    a = deploy(home(tmp_path, 'a'), capps=[HEALTHCARE], written=[('hl7.xml', endpoint_xml(
        'HL7In', 'hl7', {'inbound.hl7.Port': '20010'}))])
    host = module_runner('instances', {'instances': [{'name': 'a', 'home': str(a)}], 'check_listeners': False})
    result = module_runner('firewall', {'backend': 'none', 'listeners': host['listeners'],
                                        'inbound_sources': {'HL7In': ['192.0.2.0/24']}}, check=True)
    rules = [(rule['name'], rule['port'], rule['source']) for rule in result['rules'] if rule['name'].startswith('in')]
    assert rules == [('inbound.HL7In', 20010, '192.0.2.0/24'), ('inbound.httpInboundEP', 8697, None)]
    assert 20010 in result['restricted_ports'] and 8697 not in result['restricted_ports']
