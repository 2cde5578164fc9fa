"""The port arithmetic, table-driven against MI-FACTS.md."""

import re

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi import ports as mi_ports
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall.rules import (
    PRIVATE_SOURCES,
    FirewallInputError,
    port_map_rules,
)
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.values import PortError
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.listeners import ALIASES


@pytest.mark.parametrize('base, offset, expected', [
    (8280, 10, 8290), (8280, 3, 8283), (8243, 3, 8246), (9154, 3, 9157), (9191, 0, 9191),
    ('8280', 10, 8290), (8280, '3', 8283), (65525, 10, 65535),
])
def test_effective_port(base, offset, expected):
    assert mi_ports.effective_port(base, offset) == expected


def test_effective_port_default_offset_is_ten():
    assert mi_ports.effective_port(8280) == 8290


@pytest.mark.parametrize('base, offset, fragment', [
    (0, 10, 'base port is 0'), (65536, 0, '65536'), (True, 10, 'boolean'), ('80a', 10, "'80a'"),
    (8080.5, 10, '8080.5'), (None, 10, 'None'), (8280, -8280, '8280 + offset -8280 = 0 is below 1'), (65530, 10, '65540 is above 65535'),
    (8280, False, 'boolean'),
])
def test_effective_port_refuses(base, offset, fragment):
    with pytest.raises(PortError, match=None) as err:
        mi_ports.effective_port(base, offset)
    assert fragment in str(err.value)


@pytest.mark.parametrize('file_offset, jvm_args, expected', [
    (None, None, (10, 'default')),
    (3, None, (3, 'file')),
    ('4', '', (4, 'file')),
    (3, '-Xmx1g -DportOffset=5', (5, 'jvm')),
    (None, ['-DportOffset=1', '-DportOffset=2'], (2, 'jvm')),
    (3, '-DportOffsetX=9 -Dfoo=-DportOffset=7', (3, 'file')),
    (None, '-DportOffset=0', (0, 'jvm')),
])
def test_offset_precedence(file_offset, jvm_args, expected):
    config = {} if file_offset is None else {'server': {'offset': file_offset}}
    model = mi_ports.instance_model(config, jvm_args)
    assert (model['offset'], model['offset_source']) == expected


def test_jvm_offset_must_be_a_number():
    model = mi_ports.instance_model({}, '-DportOffset=abc')
    assert model['offset'] is None and model['problems'] == [
        "-DportOffset is 'abc'; the offset must be a whole number (MI default 10)"]


def test_port_map_of_nothing_is_the_seed_table():
    ports = mi_ports.port_map({})
    assert {alias: entry['port'] for alias, entry in ports.items()} == {
        'http': 8290, 'https': 8253, 'management_http': 9201, 'management_https': 9164}
    assert ports['http']['key'] == 'transport.http.listener.port'
    assert ports['management_https']['key'] == 'mediation.internal_https_api_port'
    assert [ports[a]['exposure'] for a in ALIASES] == ['public', 'public', 'monitoring', 'management']
    assert all(entry['description'] and entry['protocol'] in ('http', 'https') for entry in ports.values())


def test_port_map_offset_replaces_default():
    ports = mi_ports.port_map({'http': 8380}, 3)
    assert ports['http']['port'] == 8383 and ports['http']['base'] == 8380
    assert ports['management_https']['port'] == 9157


@pytest.mark.parametrize('overrides, offset, fragment', [
    ({'htp': 1}, 10, "unknown port alias 'htp'"),
    ({'http': 8243, 'https': 8243}, 10, 'would both listen on 8253'),
    ({}, 56400, 'above 65535'),
    ([], 10, 'must be a dict'),
])
def test_port_map_refuses(overrides, offset, fragment):
    with pytest.raises(PortError) as err:
        mi_ports.port_map(overrides, offset)
    assert fragment in str(err.value)


def test_normalize_ports_maps_aliases_and_keys():
    assert mi_ports.normalize_ports({'http': '8281', 'transport.tcp.listener.port': 8300, 'https': None}) == {
        'transport.http.listener.port': 8281, 'transport.tcp.listener.port': 8300,
        'transport.http.listener.secured_port': None}


@pytest.mark.parametrize('ports, fragment', [
    ({'keystore.primary.password': 1}, 'names a secret, not a port'),
    ({'transport..port': 1}, 'not a dotted TOML key'),
    ({'http': 1, 'transport.http.listener.port': 2}, 'given twice'),
    ({'http': 70000}, 'transport.http.listener.port is 70000'),
])
def test_normalize_ports_refuses(ports, fragment):
    with pytest.raises(PortError) as err:
        mi_ports.normalize_ports(ports)
    assert fragment in str(err.value)


def test_firewall_rules_keep_management_closed_and_monitoring_private_by_default():
    rules = port_map_rules(mi_ports.port_map({}), instance='mi1')
    assert [(r['name'], r['port'], r['source'], r['family']) for r in rules] == [
        ('http', 8290, None, 'any'), ('https', 8253, None, 'any')] + [
        ('management_http', 9201, source, 'ipv6' if ':' in source else 'ipv4')
        for source in PRIVATE_SOURCES]


def test_firewall_rules_restrict_sources_per_family():
    rules = port_map_rules(mi_ports.port_map({}, 3), ['10.1.0.0/16'], ['192.0.2.7', '2001:db8::/64'],
                           monitoring_sources=['10.9.0.0/24'])
    assert {(r['name'], r['port'], r['source'], r['family']) for r in rules} == {
        ('http', 8283, '10.1.0.0/16', 'ipv4'), ('https', 8246, '10.1.0.0/16', 'ipv4'),
        ('management_http', 9194, '10.9.0.0/24', 'ipv4'), ('management_https', 9157, '192.0.2.7/32', 'ipv4'),
        ('management_https', 9157, '2001:db8::/64', 'ipv6')}


def test_firewall_rules_only_for_listeners_mi_opens():
    ports = mi_ports.port_map({'transport.http.listener.secured_enable': False, 'management_api.protocols': 'http'})
    rules = port_map_rules(ports, None, [], 'mi', ['10.0.0.0/8'])
    assert [r['name'] for r in rules] == ['http', 'management_http']
    model = mi_ports.instance_model({'transport': {'http': {'listener': {'port': '$env{P}'}}}})
    assert 'http' not in [r['name'] for r in port_map_rules(model['ports'])]


@pytest.mark.parametrize('sources', [['anywhere'], ['10.0.0.0/33'], ['0.0.0.0/0; drop']])
def test_firewall_rules_refuse_non_networks(sources):
    with pytest.raises(FirewallInputError, match='is not an IP network'):
        port_map_rules(mi_ports.port_map({}), None, sources)


def test_conflicts_compare_effective_ports_not_offsets():
    maps = {'mi1': mi_ports.port_map({'http': 8281}), 'mi2': mi_ports.port_map({}, 11)}
    assert mi_ports.port_conflicts(maps) == [{'port': 8291, 'first': 'mi1 http', 'second': 'mi2 http'}]
    assert mi_ports.port_conflicts({'a': mi_ports.port_map({}), 'b': mi_ports.port_map({}, 11)}) == []


def test_conflicts_with_reserved_ports_and_messages():
    conflicts = mi_ports.port_conflicts({'mi1': {'http': 22}}, {22: 'ssh'})
    assert conflicts == [{'port': 22, 'first': 'reserved (ssh)', 'second': 'mi1 http'}]
    assert mi_ports.describe_conflicts(conflicts) == 'port 22 is used by both reserved (ssh) and mi1 http'


@pytest.mark.parametrize('overrides, management, monitoring, fragment', [
    ({}, ['0.0.0.0/0'], [], 'listener mi management_https (port 9164) serves the Management API'),
    ({}, ['::/0'], [], 'never opened to every address'),
    ({}, [], ['0.0.0.0/0'], 'set [management_api] protocols = "https"'),
    ({'mediation.synapse.command_debugger_port': 9005}, [], [], None),
])
def test_firewall_rules_never_open_the_management_api_to_the_world(overrides, management, monitoring, fragment):
    ports = mi_ports.port_map(overrides)
    if fragment is None:  # debuggers listen only with -Desb.debug=true: no rule, nothing to refuse
        assert 'mediation.synapse.command_debugger_port' not in [r['name'] for r in port_map_rules(ports)]
        return
    with pytest.raises(FirewallInputError, match=re.escape(fragment)):
        port_map_rules(ports, None, management, 'mi', monitoring)


def test_monitoring_may_be_open_to_all_once_the_management_api_left_it():
    ports = mi_ports.port_map({'management_api.protocols': 'https'})
    rules = port_map_rules(ports, None, [], 'mi', ['0.0.0.0/0'])
    assert ('management_http', 9201, '0.0.0.0/0') in [(r['name'], r['port'], r['source']) for r in rules]
    assert [r['name'] for r in port_map_rules(ports, None, [], 'mi', None)] == ['http', 'https']  # null: nobody


@pytest.mark.parametrize('stored, environment, jvm_args, origin, expected', [
    ('$env{DB_PASSWORD}', {'DB_PASSWORD': 'hunter2-canary'}, None, 'environment variable DB_PASSWORD',
     'a port from 1 to 65535'),
    ('$sys{db.password}', {}, ['-Ddb.password=hunter2-canary'], 'JVM argument -Ddb.password', 'a port from 1 to 65535'),
    ('${DB_PASSWORD}', {'DB_PASSWORD': 'hunter2-canary'}, None, 'system property or environment variable DB_PASSWORD',
     'a whole number >= 0'),
], ids=['$env', '$sys', '${} offset'])
def test_a_placeholder_resolving_to_a_bad_value_is_named_never_quoted(stored, environment, jvm_args, origin, expected):
    key = 'offset' if expected.startswith('a whole') else 'internal_http_api_port'
    config = {'server': {'offset': stored}} if key == 'offset' else {'mediation': {key: stored}}
    problems = mi_ports.instance_model(config, jvm_args, environment)['problems']
    assert problems == ["%s is %r: the value of %s is not %s (not shown: it may be a secret); fix it there"
                        % ('server.offset' if key == 'offset' else 'mediation.' + key, stored, origin, expected)]
    assert 'hunter2' not in str(problems)


def test_a_bad_value_stored_in_the_file_is_still_quoted():
    problems = mi_ports.instance_model({'mediation': {'internal_http_api_port': '80a'}})['problems']
    assert problems == ["mediation.internal_http_api_port is '80a'; a port must be an integer from 1 to 65535"]
