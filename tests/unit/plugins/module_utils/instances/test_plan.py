"""The host module's plan, pure and table-driven: what is read in, what is decided."""

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.instances.plan import plan_host, stop_warning

SHIPPED = '[server]\nhostname = "localhost"\n# offset  = 10\n\n[keystore.primary]\npassword = "s3cr3t"\n'
CUSTOM = SHIPPED.replace('# offset  = 10\n', 'offset = 5\n') + (
    '\n[transport.http]\nlistener.port = 8281\n\n[mediation]\ninternal_https_api_port = 9155\n')


def current(text=SHIPPED, home='/opt/mi/a', startup=None, pids=(), problems=()):
    return {'path': home + '/conf/deployment.toml', 'home_key': home, 'text': text, 'startup': startup or {},
            'pids': list(pids), 'problems': list(problems)}


def wanted(name='a', home='/opt/mi/a', **settings):
    return dict({'name': name, 'home': home, 'service': None, 'offset': None, 'ports': {}, 'inbound_endpoints': []},
                **settings)


def only(plan):
    assert plan['problems'] == []
    (result,) = plan['instances']
    return result


def test_only_what_is_set_is_enforced_custom_ports_stay():
    result = only(plan_host([wanted(offset=7)], {'a': current(CUSTOM)}))
    assert result['changes'] == [{'key': 'server.offset', 'before': 5, 'after': 7}]
    assert result['text'] == CUSTOM.replace('offset = 5', 'offset = 7')
    assert {name: e['port'] for name, e in result['ports'].items()} == {
        'http': 8288, 'https': 8250, 'management_http': 9198, 'management_https': 9162}


def test_nothing_asked_nothing_changed():
    result = only(plan_host([wanted()], {'a': current(CUSTOM)}))
    assert (result['changed'], result['changes'], result['restart_needed']) == (False, [], False)
    assert result['text'] == CUSTOM


@pytest.mark.parametrize('settings, restart', [
    ({'offset': 3}, True),                                            # every listener moves
    ({'ports': {'http': 8281}}, True),
    ({'ports': {'transport.tcp.listener.port': 8300}}, False),        # the TCP transport is off: nothing moves
    ({'ports': {'transport.http.sender.proxy_port': 3128}}, False),   # an outbound setting
    ({'offset': 10}, False),                                          # the default, now written down
])
def test_restart_only_when_what_mi_listens_on_changes(settings, restart):
    result = only(plan_host([wanted(**settings)], {'a': current()}))
    assert result['changed'] is True and result['restart_needed'] is restart


def test_the_unit_decides_the_offset_and_placeholders():
    text = SHIPPED.replace('# offset  = 10', 'offset = "$env{MI_OFFSET}"')
    unit = {'jvm_args': [], 'environment': {'MI_OFFSET': '4'}, 'system_properties': {}, 'active': True}
    result = only(plan_host([wanted()], {'a': current(text, startup=unit)}))
    assert (result['offset'], result['offset_source'], result['ports']['http']['port']) == (4, 'env', 8284)
    unknown = only(plan_host([wanted()], {'a': current(text)}))
    assert unknown['ports']['http']['port'] is None and unknown['unresolved'] == sorted(
        ['http', 'https', 'management_http', 'management_https'])
    assert unknown['listeners'] == []


def test_a_jvm_offset_that_agrees_is_what_the_ports_follow():
    unit = {'jvm_args': ['-DportOffset=12'], 'system_properties': {'portOffset': '12'},
            'property_sources': {'portOffset': 'JAVA_OPTS (/etc/default/mi)'}}
    result = only(plan_host([wanted(offset=12)], {'a': current(startup=unit)}))
    assert (result['offset'], result['offset_source'], result['listeners'][0]['port']) == (12, 'jvm', 8292)


def test_a_jvm_offset_that_contradicts_the_offset_asked_for_is_refused():
    unit = {'jvm_args': ['-DportOffset=12'], 'system_properties': {'portOffset': '12'},
            'property_sources': {'portOffset': 'JAVA_OPTS (/etc/default/mi)'}}
    plan = plan_host([wanted(offset=3)], {'a': current(startup=unit)})
    assert plan['problems'] == ['a: MI starts with -DportOffset=12 (JAVA_OPTS (/etc/default/mi)), which wins over the '
                                'offset 3 asked for; remove it there or ask for offset 12']


def test_every_problem_of_every_instance_is_listed_at_once():
    plan = plan_host(
        [wanted(), wanted('b', '/opt/mi/b', ports={'http': 'x'}), wanted('c', '/opt/mi/a/', offset=0),
         wanted('a', '/opt/mi/d')],
        {'a': current(), 'b': current(home='/opt/mi/b'), 'c': current(home='/opt/mi/a')})
    assert plan['problems'] == [
        'instance name a is given more than once',
        'MI home /opt/mi/a is given for more than one instance (a, c, a)',
        "b: transport.http.listener.port is 'x'; a port must be an integer from 1 to 65535"]


def test_equal_effective_ports_across_instances_and_reserved_ports():
    plan = plan_host([wanted(), wanted('b', '/opt/mi/b', offset=47)],
                     {'a': current(), 'b': current(home='/opt/mi/b')}, reserved={8253: 'nginx'})
    assert plan['problems'] == [
        'port 8253 is used by both reserved (nginx) and a https; port 8290 is used by both a http and b https; '
        'port 9201 is used by both a management_http and b management_https']


def test_a_port_another_process_listens_on_is_refused_but_the_instances_own_jvm_is_not():
    sockets = [{'port': 8290, 'pids': [400], 'programs': ['java']},
               {'port': 9164, 'pids': [777], 'programs': ['nginx']},
               {'port': 9201, 'pids': None, 'programs': None}]
    asked = []
    plan = plan_host([wanted()], {'a': current(pids=[400])}, lambda ports, pids: asked.append((ports, pids)) or sockets)
    assert asked == [({8290, 8253, 9201, 9164}, [400])]
    assert plan['problems'] == [
        'port 9201 (a management_http) is already in use by a process this user cannot see; choose another port or '
        'stop that process',
        'port 9164 (a management_https) is already in use by nginx (pid 777); choose another port or stop that process']


def test_an_unreadable_file_is_a_problem_and_nothing_else_is_planned():
    plan = plan_host([wanted(), wanted('b', '/opt/mi/b', offset=3)],
                     {'a': current(text=None, problems=['/opt/mi/a/conf/deployment.toml: the file does not exist']),
                      'b': current(home='/opt/mi/b')})
    assert plan['problems'] == ['a: /opt/mi/a/conf/deployment.toml: the file does not exist']


def test_listeners_are_flat_and_follow_enable_flags():
    text = SHIPPED + '\n[mediation]\ninternal_http_api_enable = false\n'
    plan = plan_host([wanted(), wanted('b', '/opt/mi/b', offset=20)],
                     {'a': current(text), 'b': current(home='/opt/mi/b')})
    assert [(item['instance'], item['name'], item['port'], item['exposure']) for item in plan['listeners']] == [
        ('a', 'http', 8290, 'public'), ('a', 'https', 8253, 'public'),
        ('b', 'http', 8300, 'public'), ('b', 'https', 8263, 'public'),
        ('b', 'management_http', 9211, 'monitoring'), ('b', 'management_https', 9174, 'management')]


def test_a_unit_that_kills_mi_before_its_graceful_shutdown_ends_is_warned_about():
    result = {'name': 'a', 'service': 'mi-a', 'stop_timeout': 90.0, 'graceful_shutdown_timeout': 180}
    assert stop_warning(result) == (
        'a: MI may take up to 180 s to shut down gracefully ([server] graceful_shutdown_timeout), but the unit mi-a '
        'kills it after 90 s (TimeoutStopSec): set TimeoutStopSec=190 in a drop-in of the unit, or lower '
        'graceful_shutdown_timeout')
    assert stop_warning(dict(result, stop_timeout=200.0)) is None
    assert stop_warning(dict(result, stop_timeout=None)) is None  # infinity, or no unit read
    assert stop_warning(dict(result, service=None)) is None
