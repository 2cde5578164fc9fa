"""The Service, container ports and probes of one MI deployment, from listeners as the instances module returns
them: table-driven, validated against the Kubernetes schemas."""

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.k8s import objects
from helpers.k8s import validate


def listener(name, port, exposure='public', protocol='http', apis=(), endpoint=None):
    found = {'instance': 'mi', 'name': name, 'key': name, 'port': port, 'exposure': exposure, 'protocol': protocol,
             'bind_address': None, 'apis': list(apis)}
    if endpoint:
        found['endpoint'] = endpoint
    return found


CORE = [listener('http', 8290), listener('https', 8253, protocol='https'),
        listener('management_http', 9201, 'monitoring', apis=['management_api', 'readiness_probe', 'liveness_probe']),
        listener('management_https', 9164, 'management', 'https', ['management_api'])]


def test_port_names_are_kubernetes_names_unique_even_when_endpoint_names_are_long_or_alike():
    many = CORE + [listener('inbound.%s' % name, 20000 + index, endpoint=name) for index, name in enumerate(
        ['HTTPInboundEndpointForOrders', 'HTTPInboundEndpointForOrders2', 'hl7', 'HL7', '1234', 'a_b'])]
    names = objects.port_names(many)
    assert [names[name] for name in ('http', 'https', 'management_http', 'management_https')] == [
        'http', 'https', 'internal-http', 'internal-https']
    assert len(set(names.values())) == len(many)
    for name in names.values():
        assert len(name) <= 15 and name == name.lower() and not name.startswith('-') and '--' not in name
    assert names['inbound.a_b'] == 'in-a-b'
    validate(objects.service('mi', 'ns', {'app': 'mi'}, many))


@pytest.mark.parametrize('liveness, path', [(True, '/liveness'), (False, None)])
def test_probes_ask_the_internal_http_port_and_liveness_only_where_the_version_serves_it(liveness, path):
    probes = objects.probes(CORE, liveness)
    assert probes['readinessProbe']['httpGet'] == {'path': '/healthz', 'port': 9201, 'scheme': 'HTTP'}
    assert probes['startupProbe']['httpGet']['port'] == 9201
    assert probes['livenessProbe'].get('httpGet', {}).get('path') == path
    if not liveness:
        assert probes['livenessProbe']['tcpSocket'] == {'port': 9201}


def test_without_an_internal_http_api_the_probes_check_the_first_public_port():
    listeners = [item for item in CORE if item['name'] != 'management_http']
    probes = objects.probes(listeners, True)
    assert set(probe['tcpSocket']['port'] for probe in probes.values()) == {8253}
    assert objects.probes([], True) is None


@pytest.mark.parametrize('graceful, grace', [(0, 30), (None, 30), (10, 30), (180, 190), (600, 610)])
def test_the_grace_period_covers_the_graceful_shutdown(graceful, grace):
    assert objects.grace_period(graceful) == grace


def test_a_replacing_probe_deletes_the_handlers_of_another_kind():
    patch = objects.replacing(objects.probes(CORE, True)['startupProbe'])
    assert patch['exec'] is None and patch['tcpSocket'] is None and patch['httpGet']['path'] == '/healthz'
