"""The rules the firewall module derives from listeners and sources (fw_rules), table-driven."""

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall.rules import (
    PRIVATE_SOURCES,
    FirewallInputError,
    Rule,
    desired_rules,
    endpoint_sources,
    exposure_sources,
)


def listener(name='http', port=8290, exposure='public', instance='mi', **extra):
    return dict(instance=instance, name=name, port=port, exposure=exposure, **extra)


MI = [listener(), listener('https', 8253),
      listener('management_http', 9201, 'monitoring'), listener('management_https', 9164, 'management')]


def test_defaults_open_public_to_all_monitoring_to_private_ranges_and_management_to_nobody():
    desired = desired_rules(MI, exposure_sources())
    assert [(r.port, r.source) for r in desired.rules] == (
        [(8290, None), (8253, None)] + [(9201, source) for source in PRIVATE_SOURCES])
    assert desired.restricted == [9164, 9201]
    assert desired.skipped == []


@pytest.mark.parametrize('sources, rules, restricted', [
    ({'public': ['192.0.2.0/24']}, [(8290, '192.0.2.0/24')], [8290]),
    ({'public': []}, [], [8290]),
    ({'public': None}, [(8290, None)], []),
    ({'management': ['192.0.2.1', '2001:db8::1']}, [(9164, '192.0.2.1/32'), (9164, '2001:db8::1/128')], [9164]),
    ({'management': None}, [], [9164]),
    ({'monitoring': []}, [], [9201]),
    ({'monitoring': None}, [], [9201]),
    ({'monitoring': ['10.1.2.0/24', '10.1.2.7/24']}, [(9201, '10.1.2.0/24')], [9201]),
], ids=['public restricted', 'public nobody', 'public any', 'management of both families', 'management null is nobody',
        'monitoring closed', 'monitoring null is closed', 'monitoring deduplicated'])
def test_sources_per_exposure(sources, rules, restricted):
    exposure = 'public' if 'public' in sources else list(sources)[0]
    port = {'public': 8290, 'management': 9164, 'monitoring': 9201}[exposure]
    desired = desired_rules([listener('x', port, exposure)], exposure_sources(**dict(
        {'public': None, 'management': [], 'monitoring': PRIVATE_SOURCES}, **sources)))
    assert [(r.port, r.source) for r in desired.rules] == rules
    assert desired.restricted == restricted


def test_rules_carry_instance_and_name_of_each_listener():
    desired = desired_rules([listener('transport.tcp.listener.port', 8301, instance='orders')], exposure_sources())
    assert desired.rules == [Rule('orders', 'transport.tcp.listener.port', 8301, 'public', None)]


@pytest.mark.parametrize('entry, reason', [
    (listener(enabled=False), 'disabled'),
    (listener(port=None), 'no port (unresolved)'),
    (listener(port=None, enabled=False), 'disabled'),
])
def test_disabled_and_unresolved_listeners_are_skipped_and_reported(entry, reason):
    desired = desired_rules([entry, listener('https', 8253)], exposure_sources())
    assert [r.name for r in desired.rules] == ['https']
    assert desired.skipped == [dict(instance='mi', name='http', port=entry['port'], exposure='public', reason=reason)]


@pytest.mark.parametrize('listeners, reserved, fragment', [
    ([listener(port=22)], (), 'listener mi http has port 22, which is reserved (SSH)'),
    ([listener(port=22)], (2222,), 'listener mi http has port 22'),
    ([listener(port=2222)], (2222,), 'has port 2222, which is reserved (reserved_ports)'),
    ([listener(), listener('https', 8290)], (), 'port 8290 is given for both mi http and mi https'),
    ([listener(instance='a b')], (), "instance 'a b' must be letters"),
    ([listener(name='h"ttp')], (), "name 'h\"ttp' must be an alias or a dotted key"),
    ([listener(instance='x' * 120)], (), 'too long for a firewall comment'),
    ([listener(exposure='internal')], (), "exposure 'internal' is not one of public, monitoring, management"),
    ([listener(port=0)], (), 'listener mi http port is 0; a port must be an integer from 1 to 65535'),
    (['mi http'], (), "listeners[0] is 'mi http'"),
])
def test_bad_listeners_are_refused_naming_the_entry(listeners, reserved, fragment):
    with pytest.raises(FirewallInputError) as err:
        desired_rules(listeners, exposure_sources(), reserved)
    assert fragment in str(err.value)


def test_a_disabled_listener_on_ssh_is_refused_too():
    """Even a listener that gets no rule may not sit on SSH: the port model would be wrong."""
    with pytest.raises(FirewallInputError):
        desired_rules([listener(port=22, enabled=False)], exposure_sources())


@pytest.mark.parametrize('option', ['public', 'management', 'monitoring'])
def test_sources_that_are_not_networks_are_refused_naming_the_option(option):
    with pytest.raises(FirewallInputError) as err:
        exposure_sources(**{option: ['lb.example.invalid']})
    assert "%s_sources entry 'lb.example.invalid' is not an IP network" % option in str(err.value)


def test_inbound_endpoints_are_public_unless_their_own_sources_are_given():
    endpoints = [listener('inbound.Orders', 8697, endpoint='Orders'), listener('inbound.HL7', 20001, endpoint='HL7')]
    desired = desired_rules(MI + endpoints, exposure_sources(), inbound=endpoint_sources({'HL7': ['192.0.2.0/24']}))
    assert [(r.name, r.port, r.source) for r in desired.rules if r.name.startswith('inbound.')] == [
        ('inbound.Orders', 8697, None), ('inbound.HL7', 20001, '192.0.2.0/24')]
    assert desired.restricted == [9164, 9201, 20001]
    closed = desired_rules(endpoints, exposure_sources(), inbound=endpoint_sources({'Orders': []}))
    assert [r.name for r in closed.rules] == ['inbound.HL7'] and closed.restricted == [8697]
    with pytest.raises(FirewallInputError, match="inbound_sources.HL7 entry 'x' is not an IP network"):
        endpoint_sources({'HL7': ['x']})
