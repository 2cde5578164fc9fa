#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: k8s_manifests
short_description: Kubernetes Service, container ports, probes and NetworkPolicies of one WSO2 Micro Integrator deployment
version_added: 0.2.0
description:
  - Reads an MI folder as M(wso2ops.micro_integrator.instances) reads an MI home (C(conf/deployment.toml), the inbound
    endpoints and CApps deployed under C(repository/deployment/server/), C(updates/product.txt)), with the JVM
    arguments and environment the container starts MI with, and computes the listeners with the same code. Runs on the
    controller (or wherever the folder is) and needs no cluster.
  - Returns the Kubernetes objects that follow from those listeners; it creates, changes and deletes nothing. Apply them
    with C(kubernetes.core.k8s) (see the C(wso2ops.micro_integrator.k8s) playbook), or with a Helm post-renderer for
    WSO2's chart (RV(helm_patches), RV(kustomization)).
  - RV(service) has one named port for every listener MI will open, inbound endpoints included, at the port MI
    listens on; RV(container_ports) the same for the container. RV(probes) ask MI's health API on the internal HTTP
    API port MI really uses, C(/healthz) for startup and readiness and C(/liveness) only from MI 4.2 (a TCP check of
    that port before); RV(termination_grace_period_seconds) covers the graceful shutdown of MI 4.5 and later.
  - RV(network_policies) holds one NetworkPolicy per exposure (C(public), C(inbound), C(management), C(monitoring)),
    built from the same source options as M(wso2ops.micro_integrator.firewall) takes, with the same refusals (the
    Management API is never opened to every address).
  - Refuses what MI would refuse on a host, before returning anything, with every problem in one message; port
    conflicts between listeners and inbound endpoints, two deployed endpoints on one port or of one name, an endpoint
    MI cannot deploy.
author:
  - wso2ops contributors (@wso2ops)
requirements:
  - Python 3.11 or later (C(tomllib)) or C(tomli) where the module runs
options:
  path:
    description:
      - The MI folder, laid out as an MI home; C(conf/deployment.toml) is required, the deployed artifacts and
        C(updates/product.txt) are read when present.
    type: path
    required: true
  name:
    description:
      - The name of the objects, C(<name>) for the Service and C(<name>-<exposure>) for the NetworkPolicies; a
        Kubernetes name (lower-case letters, digits and C(-), starting with a letter, 50 characters at most).
    type: str
    required: true
  namespace:
    description: The namespace of the objects; omitted, they carry none (the one of C(kubernetes.core.k8s) applies).
    type: str
  pod_labels:
    description:
      - The labels of MI's pods, which the Service and the NetworkPolicies select.
      - Default C(app.kubernetes.io/name=<name>), or C(deployment=<prefix>-<release>) (the chart's) with O(helm).
    type: dict
  deployment:
    description:
      - The Deployment that runs MI, which RV(deployment_patch) patches; default O(name), or the chart's
        C(<prefix>-<release>) with O(helm).
    type: str
  container:
    description: MI's container in it; default O(name), or C(wso2mi) (the chart's) with O(helm).
    type: str
  mi_version:
    description:
      - The MI version the container runs (its image tag, for example C(4.4.0)); it wins over the folder's
        C(updates/product.txt). Unknown, the probes use no C(/liveness) and the 4.5 graceful shutdown is assumed.
    type: str
  jvm_args:
    description:
      - JVM arguments the container starts MI with (C(-DportOffset), C(-DsynapseTest), C(-D) values of C($sys{})
        placeholders), as a string or a list.
      - C(no_log), since they may carry secrets; never logged or returned, except values that are only a port, offset or flag.
    type: raw
  environment:
    description:
      - Environment variables of the container (for C($env{}) placeholders and C($SYSTEM:) values of endpoints).
      - C(no_log), since they may carry secrets; never logged or returned, except values that are only a port, offset or flag.
    type: dict
    default: {}
  inbound_endpoints:
    description:
      - Inbound endpoints MI opens besides those its files show, as M(wso2ops.micro_integrator.instances) takes them;
        one named like a deployed endpoint replaces it.
    type: list
    elements: dict
    default: []
  inbound_sources:
    description:
      - Networks allowed to reach an inbound endpoint, by endpoint name, in the C(inbound) NetworkPolicy; an empty
        list closes it. An endpoint not listed follows O(public_sources).
    type: dict
    default: {}
  helm:
    description:
      - WSO2's chart (C(wso2/helm-mi)) release that runs MI; the module then also returns RV(helm_values),
        RV(helm_patches) and RV(kustomization) for it.
    type: dict
    suboptions:
      release:
        description: The Helm release name.
        type: str
        required: true
      resource_prefix:
        description: The chart's C(cloudName) value, which prefixes its object names.
        type: str
        default: cloud
      gateway_api:
        description:
          - The chart's C(wso2.gatewayAPI.enabled) (its default, true), with which it makes two Services, C(-https)
            and C(-http), instead of one.
        type: bool
        default: true
extends_documentation_fragment:
  - wso2ops.micro_integrator.sources
attributes:
  check_mode:
    support: full
    description: The module never changes anything; check mode returns the same.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
  platform:
    support: full
    platforms: posix
    description: Runs where the MI folder is, usually the controller (C(delegate_to) localhost); needs no cluster.
notes:
  - The objects are validated against the Kubernetes 1.25 and 1.37 OpenAPI schemas in the collection's tests
    (C(kubernetes-validate)); none was applied to a live cluster there. NetworkPolicies need a network plugin that
    enforces them, and most plugins let the kubelet's own probes through whatever the policies say.
  - "The patches follow Kubernetes' strategic merge (C($patch: replace) for the port lists, null to delete a probe
    handler of another kind); the collection's tests apply them to the chart's rendering with their own merge of
    those directives, not with kustomize."
seealso:
  - module: wso2ops.micro_integrator.instances
  - module: wso2ops.micro_integrator.firewall
  - plugin: wso2ops.micro_integrator.k8s_drift
    plugin_type: filter
"""

EXAMPLES = r"""
- name: The objects of the MI image's folder (built from the same files as the image)
  wso2ops.micro_integrator.k8s_manifests:
    path: "{{ playbook_dir }}/mi"
    name: orders
    namespace: integration
    mi_version: 4.4.0
    jvm_args: -DportOffset=3
    management_sources: [10.20.0.0/16]
  delegate_to: localhost
  register: mi_k8s

- name: Apply them
  kubernetes.core.k8s:
    definition: "{{ mi_k8s.objects }}"
    apply: true
  delegate_to: localhost

- name: The values and the post-renderer patches for WSO2's chart
  wso2ops.micro_integrator.k8s_manifests:
    path: "{{ playbook_dir }}/mi"
    name: orders
    helm: {release: orders}
  delegate_to: localhost
  register: mi_helm
"""

RETURN = r"""
listeners:
  description:
    - The listeners MI will open, as M(wso2ops.micro_integrator.instances) returns
      RV(wso2ops.micro_integrator.instances#module:listeners) for the same files (the instance is O(name)).
  returned: success
  type: list
  elements: dict
  sample: [{instance: orders, name: http, key: transport.http.listener.port, port: 8293, exposure: public,
            protocol: http, bind_address: null, apis: []}]
service:
  description: The Service (C(v1)), selecting O(pod_labels), one port per listener (C(port) and C(targetPort) the
    port MI listens on).
  returned: success
  type: dict
  sample: {apiVersion: v1, kind: Service, metadata: {name: orders}, spec: {selector: {app.kubernetes.io/name: orders},
           ports: [{name: http, port: 8290, targetPort: 8290, protocol: TCP, appProtocol: http}]}}
container_ports:
  description: The container's C(ports), one named port per listener.
  returned: success
  type: list
  elements: dict
  sample: [{name: http, containerPort: 8290, protocol: TCP}]
probes:
  description:
    - C(startupProbe), C(readinessProbe) and C(livenessProbe) for MI's container; null when MI opens no port.
    - Without an internal HTTP API port serving the readiness probe, TCP checks of the first public listener (with a
      warning).
  returned: success
  type: dict
  sample: {readinessProbe: {httpGet: {path: /healthz, port: 9201, scheme: HTTP}, periodSeconds: 10,
           timeoutSeconds: 5, failureThreshold: 3}}
deployment_patch:
  description:
    - A strategic-merge patch of the Deployment O(deployment), C(target) (kind, name) and C(patch), for
      C(kubernetes.core.k8s) with C(state=patched) and C(merge_type=strategic-merge); the container O(container)
      gets RV(container_ports) in place of its ports, RV(probes) in place of its probes, and the pod
      RV(termination_grace_period_seconds).
  returned: success
  type: dict
termination_grace_period_seconds:
  description: The pod's C(terminationGracePeriodSeconds); 30 unless MI's graceful shutdown (4.5 and later) needs more.
  returned: success
  type: int
  sample: 190
network_policies:
  description: The NetworkPolicies C(<name>-public), C(<name>-inbound), C(<name>-management), C(<name>-monitoring)
    (C(networking.k8s.io/v1), ingress only); a closed class has no ingress rule.
  returned: success
  type: list
  elements: dict
objects:
  description: RV(service) and RV(network_policies), for C(kubernetes.core.k8s).
  returned: success
  type: list
  elements: dict
mi_version:
  description: The MI version used (O(mi_version), else the folder's), or null.
  returned: success
  type: str
liveness:
  description: Whether that version serves C(/liveness).
  returned: success
  type: bool
graceful_shutdown_timeout:
  description: Seconds a stopping MI may hold its ports (4.5 and later).
  returned: success
  type: int
offset:
  description: The port offset MI uses.
  returned: success
  type: int
offset_source:
  description: Where the offset comes from (C(jvm), C(file), C(env), C(sys), C(default)).
  returned: success
  type: str
name:
  description: O(name), for P(wso2ops.micro_integrator.k8s_drift#filter).
  returned: success
  type: str
namespace:
  description: O(namespace).
  returned: success
  type: str
pod_labels:
  description: The pod labels the objects select.
  returned: success
  type: dict
helm_values:
  description: The values overlay for WSO2's chart (C(helm -f)); the offset, the port keys the file sets, the unit-test
    server and the probe timings.
  returned: when O(helm) is given
  type: dict
  sample: {wso2: {config: {portOffset: 3}, deployment: {synapseTest: {enabled: false}}}}
helm_patches:
  description: Strategic-merge patches of the chart's Deployment and Services, each C(target) (kind, name) and C(patch).
  returned: when O(helm) is given
  type: list
  elements: dict
kustomization:
  description: A kustomization for a Helm post-renderer, with the chart's output as C(helm-output.yaml) and
    RV(network_policies) as C(network-policies.yaml).
  returned: when O(helm) is given
  type: dict
problems:
  description: What MI would refuse; the module fails and returns no object when there is one.
  returned: failure
  type: list
  elements: str
"""

import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.errors import CollectionError
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.masking import keep_ports_visible
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import reconcile
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.instances.plan import plan_host
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.instances.read import read_home, read_instances
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.k8s import helm_mi, objects
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.k8s.network_policy import network_policies
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.version import parse_version

_NAME = re.compile(r'^[a-z]([-a-z0-9]{0,48}[a-z0-9])?$')
_EXPECTED = ('name', 'namespace', 'pod_labels', 'listeners', 'mi_version', 'liveness', 'graceful_shutdown_timeout',
             'offset', 'offset_source')


class K8sInputError(CollectionError, ValueError):
    """An option the module refuses; the message names it and the fix."""


def _version(params):
    if not params['mi_version']:
        return None
    version = parse_version(params['mi_version'])
    if version is None:
        raise K8sInputError('mi_version %r is not a version such as 4.4.0 (the tag of the MI image)'
                            % params['mi_version'])
    return version


def read_folder(params):
    """The instances module's plan of the folder as one instance without a unit, with the version given (the
    container's) in place of the folder's; (result, problems)."""
    instance = {'name': params['name'], 'home': params['path'], 'jvm_args': params['jvm_args'],
                'environment': params['environment'], 'inbound_endpoints': params['inbound_endpoints']}
    current = read_instances(None, [instance], [])
    entry, version = current[params['name']], _version(params)
    if version is not None and version != entry['version']:
        # the endpoints MI can deploy depend on the version (httpws, nested CApps): read as the container's version
        _snapshot, _problems, entry['version'], entry['deployed'] = read_home(params['path'], entry['startup'], version)
    plan = plan_host([instance], current, None, {})
    return (plan['instances'] or [None])[0], plan['problems']


def _pod_labels(params, chart):
    if params['pod_labels'] is not None:
        return dict((str(key), str(value)) for key, value in params['pod_labels'].items())
    return chart['pod_labels'] if chart else {'app.kubernetes.io/name': params['name']}


def manifests(params, result):
    """Every object and patch of the deployment, from the plan of its folder."""
    chart = helm_mi.names(params['helm']['release'], params['helm']['resource_prefix'],
                          params['helm']['gateway_api']) if params['helm'] else None
    labels = _pod_labels(params, chart)
    listeners = result['listeners']
    policies = network_policies(params['name'], params['namespace'], labels, listeners, reconcile.sources(params))
    probes = objects.probes(listeners, result['liveness'])
    grace = objects.grace_period(result['graceful_shutdown_timeout'])
    service = objects.service(params['name'], params['namespace'], labels, listeners)
    ports = objects.container_ports(listeners)
    patch = objects.deployment_patch(params['deployment'] or (chart or {}).get('deployment') or params['name'],
                                     params['container'] or (helm_mi.CONTAINER if chart else params['name']),
                                     ports, probes, grace)
    output = dict(listeners=listeners, service=service, container_ports=ports, deployment_patch=patch,
                  probes=probes, termination_grace_period_seconds=grace, network_policies=policies,
                  objects=[service] + policies, pod_labels=labels, name=params['name'], namespace=params['namespace'],
                  **dict((key, result[key]) for key in ('mi_version', 'liveness', 'graceful_shutdown_timeout',
                                                        'offset', 'offset_source')))
    if chart:
        inbound_offset = any(item.get('offset_applied') and item['protocol'] in ('http', 'https')
                             for item in listeners if item.get('endpoint'))
        synapse_test = any(item['key'] == 'synapseTestPort' for item in listeners)
        output['helm_values'] = helm_mi.values_overlay(result, probes, synapse_test, inbound_offset)
        output['helm_patches'] = helm_mi.patches(chart, listeners, output['container_ports'], probes, grace)
        output['kustomization'] = helm_mi.kustomization(output['helm_patches'])
    return output


def warnings(result, output):
    found = ['the port of %s depends on %s: no Service port and no probe can follow it' % (
        name, result['ports'][name].get('unresolved_reason') or 'a placeholder whose source is unknown')
        for name in result['unresolved']]
    if output['probes'] and not objects.internal_http(output['listeners']):
        found.append('MI serves no readiness probe over HTTP (internal_http_api_enable, or [readiness_probe] '
                     'protocols): the probes only check that port %s accepts connections'
                     % output['probes']['readinessProbe']['tcpSocket']['port'])
    if output['mi_version'] is None:
        found.append('the MI version is unknown (no mi_version, no updates/product.txt): the liveness probe is a TCP '
                     'check, and the graceful shutdown of MI 4.5 is assumed')
    return found


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            name=dict(type='str', required=True),
            namespace=dict(type='str'),
            pod_labels=dict(type='dict'),
            deployment=dict(type='str'),
            container=dict(type='str'),
            mi_version=dict(type='str'),
            jvm_args=dict(type='raw', no_log=True),
            environment=dict(type='dict', default={}, no_log=True),
            inbound_endpoints=dict(type='list', elements='dict', default=[]),
            helm=dict(type='dict', options=dict(
                release=dict(type='str', required=True),
                resource_prefix=dict(type='str', default=helm_mi.DEFAULT_PREFIX),
                gateway_api=dict(type='bool', default=True),
            )),
            inbound_sources=reconcile.OPTIONS['inbound_sources'],
            public_sources=reconcile.OPTIONS['public_sources'],
            management_sources=reconcile.OPTIONS['management_sources'],
            monitoring_sources=reconcile.OPTIONS['monitoring_sources'],
        ),
        supports_check_mode=True,
    )
    keep_ports_visible(module)
    params = module.params
    try:
        if not _NAME.match(params['name']):
            raise K8sInputError('name %r is not a Kubernetes name: lower-case letters, digits and -, starting with a '
                                'letter, 50 characters at most' % params['name'])
        reconcile.sources(params)  # a source that is not a network is refused before the folder is read
        result, problems = read_folder(params)
        if problems:
            module.fail_json(msg='no object was made: %s' % '; '.join(problems), problems=problems)
        output = manifests(params, result)
    except CollectionError as exc:
        module.fail_json(msg='no object was made: %s' % to_native(exc))
    for warning in warnings(result, output):
        module.warn(warning)
    module.exit_json(changed=False, **output)


if __name__ == '__main__':
    main()
