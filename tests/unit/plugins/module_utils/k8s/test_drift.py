"""The drift check on manifests written here: each finding kind, named ports, selectors, k8s_info's result."""

import copy

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.audit.findings import AuditError
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.k8s import objects
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.k8s.drift import drift

from .test_objects import CORE, listener

LABELS = {'app': 'mi'}
EXPECTED = {'name': 'mi', 'namespace': 'ns', 'pod_labels': LABELS, 'listeners': CORE, 'liveness': True,
            'mi_version': '4.4.0', 'graceful_shutdown_timeout': 0, 'offset': 10, 'offset_source': 'default'}


def deployment(ports=None, probes=None, labels=None, grace=None):
    container = {'name': 'wso2mi', 'image': 'wso2mi:4.4.0',
                 'ports': objects.container_ports(CORE) if ports is None else ports}
    container.update(objects.probes(CORE, True) if probes is None else probes)
    spec = {'containers': [container, {'name': 'sidecar', 'image': 'x'}]}
    if grace is not None:
        spec['terminationGracePeriodSeconds'] = grace
    return {'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': 'mi', 'namespace': 'ns'},
            'spec': {'selector': {'matchLabels': LABELS}, 'template': {'metadata': {'labels': dict(
                labels or LABELS, extra='x')}, 'spec': spec}}}


def policy(rules, selector=None, name='p'):
    return {'apiVersion': 'networking.k8s.io/v1', 'kind': 'NetworkPolicy', 'metadata': {'name': name, 'namespace': 'ns'},
            'spec': {'podSelector': selector or {'matchLabels': LABELS}, 'ingress': rules}}


def kinds(result):
    return sorted((item['kind'], tuple(item['ports'])) for item in result['findings'])


def good():
    service = objects.service('mi', 'ns', LABELS, CORE)
    return [deployment(), service, policy([{'ports': [{'port': 8290}, {'port': 8253}]},
                                           {'ports': [{'port': 'internal-https'}, {'port': 9201}],
                                            'from': [{'ipBlock': {'cidr': '192.0.2.0/24'}}]}])]


def test_what_the_module_makes_has_no_drift_and_its_rows_say_who_reaches_what():
    result = drift(EXPECTED, {'resources': good()})  # kubernetes.core.k8s_info's result
    assert result['findings'] == [] and result['firewall']['guarded'] is True
    rows = dict((row['port'], row) for row in result['instances'][0]['rows'])
    assert rows[9164]['reachable'] == {'state': 'sources', 'sources': ['192.0.2.0/24'], 'by': 'NetworkPolicy p'}
    assert rows[8290]['reachable']['state'] == 'any' and rows[8290]['addresses'] == ['Service mi/http']


def test_each_defect_is_a_finding_of_its_kind():
    items = good()
    items[0] = deployment(ports=[{'containerPort': 9999}], grace=5, probes={
        'startupProbe': {'exec': {'command': ['sh', '-c', 'nc -z localhost 8253']}},
        'readinessProbe': {'httpGet': {'path': '/healthz', 'port': 8290}},
        'livenessProbe': {'httpGet': {'path': '/liveness', 'port': 'internal-http'}}})  # a name nobody declares
    items[1]['spec']['ports'] = items[1]['spec']['ports'][1:] + [{'port': 80, 'targetPort': 9300},
                                                                 {'port': 81, 'targetPort': 'nowhere'}]
    items[2] = policy([{'ports': [{'port': 9000, 'endPort': 9300}], 'from': [{'ipBlock': {'cidr': '0.0.0.0/0'}}]}])
    expected = dict(EXPECTED, liveness=False, mi_version='4.1.0', graceful_shutdown_timeout=180)
    assert kinds(drift(expected, items)) == sorted([
        ('k8s_unexposed_listener', (8253,)), ('k8s_dead_port', (9300,)), ('k8s_dead_port', (9999,)),
        ('k8s_dead_port', ()),
        ('k8s_probe_path', (8290,)), ('k8s_probe_path', ()), ('k8s_probe_not_health', (8253,)),
        ('k8s_grace_short', ()), ('management_exposed', (9164,)), ('management_exposed', (9201,))])


def test_no_policy_selecting_the_pods_leaves_management_open_and_other_pods_policies_do_not_count():
    items = good()
    items[2] = policy([], selector={'matchExpressions': [{'key': 'app', 'operator': 'NotIn', 'values': ['mi']}]})
    assert kinds(drift(EXPECTED, items)) == [('management_exposed', (9164,)), ('management_exposed', (9201,))]
    items[2] = policy([], selector={'matchExpressions': [{'key': 'app', 'operator': 'In', 'values': ['mi']}]})
    result = drift(EXPECTED, items)
    assert result['findings'] == [] and set(row['reachable']['state'] for row in result['instances'][0]['rows']) == {
        'closed'}


def test_an_inbound_endpoint_without_a_service_port_and_a_service_of_another_namespace():
    expected = dict(EXPECTED, listeners=CORE + [listener('inbound.HL7In', 20001, protocol='hl7', endpoint='HL7In')])
    items = good()
    other = copy.deepcopy(items[1])
    other['metadata']['namespace'] = 'elsewhere'
    other['spec']['ports'] = [{'name': 'hl7', 'port': 20001}]
    assert kinds(drift(expected, items + [other])) == [('k8s_unexposed_listener', (20001,))]


def test_manifests_without_the_workload_or_in_a_shape_it_cannot_read():
    assert kinds(drift(EXPECTED, [deployment(labels={'app': 'other'})])) == [('no_instance', ())]
    with pytest.raises(AuditError, match='give a list of Kubernetes objects'):
        drift(EXPECTED, 'kind: Service')
