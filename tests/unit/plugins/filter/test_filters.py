"""The filter plugins, called as Jinja does through Ansible's templar."""

import pytest
from ansible.errors import AnsibleError

from helpers.core_versions import render

from ansible_collections.wso2ops.micro_integrator.plugins.filter.effective_port import FilterModule as EffectivePort
from ansible_collections.wso2ops.micro_integrator.plugins.filter.port_map import FilterModule as PortMap

NS = 'wso2ops.micro_integrator.'


@pytest.mark.parametrize('expression, expected', [
    ('8280 | %seffective_port' % NS, 8290),
    ('8280 | %seffective_port(3)' % NS, 8283),
    ('"9154" | %seffective_port(0)' % NS, 9154),
    ("({} | %sport_map).values() | map(attribute='port') | list" % NS, [8290, 8253, 9201, 9164]),
    ("({'http': 8380} | %sport_map(11)).http.port" % NS, 8391),
    ("({} | %sport_map).management_http.exposure" % NS, 'monitoring'),
    ("({'management_api.protocols': 'https'} | %sport_map).management_http.exposure" % NS, 'monitoring'),
    ("({'readiness_probe.protocols': 'https', 'liveness_probe.protocols': 'https'}"
     " | %sport_map).management_http.exposure" % NS, 'management'),
    ("({'mediation.internal_http_api_enable': false} | %sport_map).values() | selectattr('enabled') "
     "| map(attribute='port') | list" % NS, [8290, 8253]),
    ("({'transport.tcp.listener.enable': true, 'transport.tcp.listener.port': 8300} | %sport_map(3))"
     "['transport.tcp.listener.port'].port" % NS, 8300),
    ("{'a': {} | %sport_map, 'b': {} | %sport_map(11)} | %sport_conflicts" % (NS, NS, NS), []),
    ("({'a': {'http': 8281} | %sport_map, 'b': {} | %sport_map(11)} | %sport_conflicts)[0].port" % (NS, NS, NS), 8291),
    ("{'a': {'http': 22}} | %sport_conflicts({22: 'ssh'}) | map(attribute='first') | list" % NS, ['reserved (ssh)']),
    ("({} | %sport_map | %sfirewall_rules(none, ['192.0.2.0/24'], 'mi1')) | map(attribute='port') | unique | list"
     % (NS, NS), [8290, 8253, 9201, 9164]),
    ("({} | %sport_map | %sfirewall_rules(none, [], 'mi1', [])) | map(attribute='port') | list" % (NS, NS),
     [8290, 8253]),
])
def test_filters_in_jinja(expression, expected):
    assert render(expression) == expected


@pytest.mark.parametrize('expression, fragment', [
    ('true | %seffective_port' % NS, 'effective_port: base port is True'),
    ('70000 | %seffective_port' % NS, '70000'),
    ("{'htp': 1} | %sport_map" % NS, "port_map: unknown port alias 'htp'"),
    ("{} | %sport_map(60000)" % NS, 'above 65535'),
    ("{} | %sport_map | %sfirewall_rules(none, ['not-a-net'])" % (NS, NS), "'not-a-net' is not an IP network"),
    ("{'a': 5} | %sport_conflicts" % NS, "instance 'a' has 5"),
])
def test_bad_input_raises_a_filter_error_naming_the_value(expression, fragment):
    with pytest.raises(AnsibleError) as err:
        render(expression)
    assert fragment in str(err.value)


def test_filter_modules_export_one_filter_each():
    assert list(EffectivePort().filters()) == ['effective_port']
    assert list(PortMap().filters()) == ['port_map']
