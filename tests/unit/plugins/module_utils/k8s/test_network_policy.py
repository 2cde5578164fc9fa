"""NetworkPolicies per exposure from the firewall's source options: who is admitted where, and the refusals."""

import ipaddress

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall.rules import (
    FirewallInputError,
    endpoint_sources,
    exposure_sources,
)
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.k8s.network_policy import network_policies
from helpers.k8s import ANY, admitted, validate, wanted_access

from .test_objects import CORE, listener

LISTENERS = CORE + [listener('inbound.HL7In', 20001, protocol='hl7', endpoint='HL7In'),
                    listener('inbound.Orders', 8697, endpoint='Orders'),
                    listener('inbound.Closed', 8698, endpoint='Closed')]


def sources(public=None, management=(), monitoring=(), inbound=None):
    return exposure_sources(public, management, list(monitoring)), endpoint_sources(inbound or {})


def canonical(networks):
    return [str(ipaddress.ip_network(item, strict=False)) for item in networks]


@pytest.mark.parametrize('public, management, monitoring, inbound', [
    (None, [], [], {}),
    (['198.51.100.0/24'], ['192.0.2.0/24', '2001:db8::/32'], ['10.0.0.0/8'], {'HL7In': ['203.0.113.7'], 'Closed': []}),
    ([], ['192.0.2.1'], [], {'Orders': ['203.0.113.0/24']}),
])
def test_each_exposure_admits_exactly_its_sources(public, management, monitoring, inbound):
    policies = network_policies('mi', 'ns', {'app': 'mi'}, LISTENERS,
                                sources(public, management, monitoring, inbound))
    assert admitted(policies) == wanted_access(LISTENERS, public, canonical(management), monitoring, dict(
        (name, canonical(networks)) for name, networks in inbound.items()))
    assert [policy['metadata']['name'] for policy in policies] == ['mi-public', 'mi-inbound', 'mi-management',
                                                                   'mi-monitoring']
    for policy in policies:
        validate(policy)
    inbound_ports = set(port['port'] for rule in policies[1]['spec']['ingress'] for port in rule['ports'])
    assert inbound_ports <= {20001, 8697, 8698}


def test_management_is_never_open_to_every_address():
    with pytest.raises(FirewallInputError, match='never opened to every address'):
        network_policies('mi', None, {'app': 'mi'}, LISTENERS, sources(management=['0.0.0.0/0']))
    with pytest.raises(FirewallInputError, match='Management API'):
        network_policies('mi', None, {'app': 'mi'}, LISTENERS, sources(monitoring=['::/0']))
    policies = network_policies('mi', None, {'app': 'mi'}, LISTENERS, sources(management=None))
    assert 9164 not in admitted(policies) and admitted(policies)[8290] == ANY
