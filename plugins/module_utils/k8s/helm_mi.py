# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""WSO2's Helm chart (wso2/helm-mi): a values overlay for what the chart can express, and strategic-merge patches
(for a Helm post-renderer such as kustomize) for what it cannot.

Pure Python, no Ansible. What the chart does with ports (read from its templates at commit aa0a13e): one value,
wso2.config.portOffset, goes to [server] offset, and every Kubernetes port is `default + portOffset - 10` (8253,
9201, 9164, 9008): 8290, inbound endpoints, the port keys its own deployment.toml template sets and -DportOffset are
never followed, and it has no NetworkPolicy. So the overlay sets the offset, the port keys and the probe timings,
and the patches replace the Service ports, the container ports and the probes, and add the NetworkPolicies.
"""

import json

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.k8s.objects import deployment_patch, service_ports

CONTAINER = 'wso2mi'  # the chart's container name
DEFAULT_PREFIX = 'cloud'  # the chart's resource prefix when cloudName is not set
# deployment.toml port keys that the chart's template writes from values (mi/confs/deployment.toml).
CHART_KEYS = {
    'mediation.internal_http_api_port': ('config', 'mediation', 'internalHttpApiPort'),
    'mediation.internal_https_api_port': ('config', 'mediation', 'internalHttpsApiPort'),
    'transport.http.listener.port': ('config', 'transport', 'http', 'nonBlocking', 'listener', 'port'),
    'transport.http.listener.secured_port': ('config', 'transport', 'http', 'nonBlocking', 'listener', 'securedPort'),
}
INBOUND_OFFSET = ('config', 'mediation', 'inbound', 'portOffsetEnable')
_HTTPS = ('https', 'wss', 'httpswss')


def names(release, prefix=None, gateway_api=True):
    """{'deployment', 'pod_labels', 'services'} as the chart names them: the Deployment <prefix>-<release>, its pods
    labelled deployment=<prefix>-<release>, and with the Gateway API (the chart's default) two Services,
    <prefix>-<release>-https and -http, else one, <prefix>-<release>."""
    base = '%s-%s' % (prefix or DEFAULT_PREFIX, release)
    return {'deployment': base, 'pod_labels': {'deployment': base},
            'services': {'https': base + '-https', 'http': base + '-http'} if gateway_api else {'all': base}}


def _put(tree, path, value):
    node = tree
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


def _timings(probe):
    return dict((key, probe[key]) for key in ('periodSeconds', 'failureThreshold') if key in probe)


def values_overlay(model, probes, synapse_test, inbound_offset=False):
    """The chart values that express what it can: the offset, the port keys the file sets, whether http inbound
    endpoints take the offset, the unit-test server, the probe timings. model: the port model (offset, ports)."""
    wso2 = {'config': {'portOffset': model['offset']}, 'deployment': {'synapseTest': {'enabled': synapse_test}}}
    for entry in model['ports'].values():
        path = CHART_KEYS.get(entry['key'])
        if path and entry['set_in_file'] and entry['base'] is not None:
            _put(wso2, path, entry['base'])
    if inbound_offset:
        _put(wso2, INBOUND_OFFSET, True)
    if probes:
        wso2['deployment']['probes'] = {
            'startup': dict(_timings(probes['startupProbe']), initialDelaySeconds=0),
            'readiness': dict(_timings(probes['readinessProbe']), initialDelaySeconds=0),
            'liveness': _timings(probes['livenessProbe'])}
    return {'wso2': wso2}


def _service_patches(chart, listeners):
    """Each of the chart's Services with its port list replaced ($patch: replace): with the Gateway API the https
    Service keeps the TLS listeners and the http one the others, as the chart splits them."""
    if 'all' in chart['services']:
        groups = {'all': listeners}
    else:
        tls = [item for item in listeners if item['protocol'] in _HTTPS]
        groups = {'https': tls, 'http': [item for item in listeners if item not in tls]}
    return [{'target': {'kind': 'Service', 'name': chart['services'][group]},
             'patch': {'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': chart['services'][group]},
                       'spec': {'ports': [{'$patch': 'replace'}] + service_ports(items)}}}
            for group, items in sorted(groups.items())]


def patches(chart, listeners, container_ports, probes, grace):
    """Strategic-merge patches of the chart's Deployment and Services, each {'target': {kind, name}, 'patch'}."""
    return [deployment_patch(chart['deployment'], CONTAINER, container_ports, probes, grace)] + _service_patches(
        chart, listeners)


def kustomization(patch_list, rendered='helm-output.yaml', policies='network-policies.yaml'):
    """A kustomization for a Helm post-renderer: the chart's output (rendered) and the NetworkPolicies (policies)
    as resources, the patches inline (JSON is YAML)."""
    return {'apiVersion': 'kustomize.config.k8s.io/v1beta1', 'kind': 'Kustomization',
            'resources': [rendered, policies],
            'patches': [{'target': item['target'], 'patch': json.dumps(item['patch'], sort_keys=True)}
                        for item in patch_list]}
