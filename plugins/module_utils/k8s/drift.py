# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift between the Kubernetes objects of an MI deployment and the ports MI really opens, as audit findings.

Pure Python, no Ansible. expected is what wso2ops.micro_integrator.k8s_manifests returns for the MI folder (its
listeners, version features, pod labels); manifests are the objects as a cluster or a file holds them (a list,
a List, or kubernetes.core.k8s_info's result). The result has the shape of one host's audit_info result, so the
fleet report (plugin_utils/audit_report.fleet) shows a deployment beside the hosts.
"""

import ipaddress
import re

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.audit.findings import AuditError, finding
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall.rules import serves_management
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.k8s.objects import (
    DEFAULT_GRACE,
    INTERNAL_HTTP,
    LIVENESS_PATH,
    grace_period,
)

WORKLOADS = ('Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Pod')
PROBES = ('startupProbe', 'readinessProbe', 'livenessProbe')
_NC = re.compile(r'\bnc\b[^;&|]*?\s-[a-y]*z[a-y]*\s+\S+\s+(\d+)')
_URL = re.compile(r'https?://[^/:\s]+:(\d+)(/[^\s\'"]*)?')


def objects_of(manifests):
    """The objects of manifests, flat: a list, a List's items, or k8s_info's result ({'resources': [...]})."""
    if isinstance(manifests, dict) and 'resources' in manifests and 'kind' not in manifests:
        manifests = manifests['resources']
    if isinstance(manifests, dict):
        manifests = manifests.get('items') if manifests.get('kind', '').endswith('List') else [manifests]
    if not isinstance(manifests, list):
        raise AuditError('manifests is %r; give a list of Kubernetes objects, a List, or the result of '
                         'kubernetes.core.k8s_info' % (type(manifests).__name__,))
    found = []
    for item in manifests:
        if isinstance(item, (list, dict)) and not (isinstance(item, dict) and 'kind' in item):
            found.extend(objects_of(item))
        elif isinstance(item, dict):
            found.append(item)
    return found


def _namespace(item):
    return (item.get('metadata') or {}).get('namespace')


def _same_namespace(item, namespace):
    return namespace is None or _namespace(item) in (None, namespace)


def _expression(rule, labels):
    values, has = rule.get('values') or [], rule.get('key') in labels
    return {'In': has and labels.get(rule.get('key')) in values, 'NotIn': not has or labels[rule['key']] not in values,
            'Exists': has, 'DoesNotExist': not has}.get(rule.get('operator'), False)


def selects(selector, labels, plain=False):
    """Whether a label selector selects labels. plain: a Service's selector (a plain map; empty selects nothing)."""
    if selector is None or plain and not selector:
        return False
    match = selector if plain else selector.get('matchLabels') or {}
    expressions = [] if plain else selector.get('matchExpressions') or []
    return all(labels.get(key) == value for key, value in match.items()) and all(
        _expression(rule, labels) for rule in expressions)


def _pod(item):
    """(pod labels, pod spec) of a workload."""
    if item.get('kind') == 'Pod':
        return (item.get('metadata') or {}).get('labels') or {}, item.get('spec') or {}
    template = (item.get('spec') or {}).get('template') or {}
    return (template.get('metadata') or {}).get('labels') or {}, template.get('spec') or {}


def _container(spec, name):
    containers = spec.get('containers') or []
    if name:
        return next((item for item in containers if item.get('name') == name), None)
    return containers[0] if len(containers) == 1 else next(
        (item for item in containers if item.get('name') in ('wso2mi', 'mi', 'micro-integrator')), None)


class Found:
    """The findings and the rows of the report, port by port."""

    def __init__(self, name):
        self.name, self.findings, self.by_port = name, [], {}

    def add(self, kind, message, ports=(), **fields):
        self.findings.append(finding(kind, self.name, message, ports, **fields))
        for port in ports:
            self.by_port.setdefault(port, []).append(kind)


def _port_number(value, named):
    if isinstance(value, int) or isinstance(value, str) and value.isdigit():
        return int(value)
    return named.get(value)


def probe_port(probe, named):
    """(port, path, how) of a probe: httpGet, tcpSocket, grpc, or an exec running nc -z or calling a URL."""
    for handler in ('httpGet', 'tcpSocket', 'grpc'):
        if isinstance(probe.get(handler), dict):
            return _port_number(probe[handler].get('port'), named), probe[handler].get('path'), handler
    command = ' '.join(str(word) for word in ((probe.get('exec') or {}).get('command') or []))
    found = _NC.search(command) or _URL.search(command)
    if found:
        path = found.group(2) if found.re is _URL else None
        return int(found.group(1)), path, 'exec'
    return None, None, 'exec' if probe.get('exec') else None


def _check_probes(found, container, listeners, named, expected):
    by_port = dict((item['port'], item) for item in listeners)
    for kind in PROBES:
        probe = container.get(kind)
        if not isinstance(probe, dict):
            continue
        port, path, how = probe_port(probe, named)
        if port is not None and port not in by_port:
            found.add('k8s_dead_port', 'the %s checks port %s, where MI does not listen' % (kind, port), [port])
        listener = by_port.get(port)
        if path == LIVENESS_PATH and not expected.get('liveness'):
            found.add('k8s_probe_path', 'the %s asks %s, which MI %s does not serve (it is there from MI 4.2)' % (
                kind, path, expected.get('mi_version') or 'of an unknown version'), [port] if port else [])
        elif path and listener and listener['name'] != INTERNAL_HTTP:
            found.add('k8s_probe_path', 'the %s asks %s on port %s (%s), where MI serves no health check' % (
                kind, path, port, listener['name']), [port])
        # Before 4.2 MI has no liveness endpoint: a TCP check is the best liveness probe there is.
        if how in ('exec', 'tcpSocket') and path is None and (kind != 'livenessProbe' or expected.get('liveness')):
            found.add('k8s_probe_not_health', 'the %s %s, not whether MI deployed its integrations' % (
                kind, 'only checks that port %s accepts connections (%s)' % (port, how) if port
                else 'runs a command that asks no port of MI'), [port] if port else [])


def _target(port, named):
    return _port_number(port.get('targetPort', port.get('port')), named)


def _rule_admits(rule, port, named):
    ports = rule.get('ports') or []
    for item in ports:
        if (item.get('protocol') or 'TCP') != 'TCP':
            continue
        first = _port_number(item.get('port'), named) if item.get('port') is not None else None
        if item.get('port') is None or first == port or first is not None and first <= port <= (
                item.get('endPort') or first):
            return True
    return not ports


def _peer(peer):
    if 'ipBlock' in peer:
        return (peer['ipBlock'] or {}).get('cidr')
    return 'pods (%s)' % ', '.join(sorted(key for key in ('namespaceSelector', 'podSelector') if key in peer))


def _world(source):
    try:
        return ipaddress.ip_network(source, strict=False).prefixlen == 0
    except ValueError:
        return False


def reach(policies, port, named):
    """{state: any, closed or sources; sources; by} of a port under the NetworkPolicies that select the pods."""
    if not policies:
        return {'state': 'any', 'sources': [], 'by': 'no NetworkPolicy selects the pods'}
    sources, world = [], False
    for policy in policies:
        for rule in (policy.get('spec') or {}).get('ingress') or []:
            if not _rule_admits(rule, port, named):
                continue
            peers = rule.get('from') or []
            world = world or not peers
            sources.extend(_peer(peer) for peer in peers)
    world = world or any(_world(source) for source in sources)
    by = 'NetworkPolicy %s' % ', '.join(sorted((p.get('metadata') or {}).get('name', '?') for p in policies))
    return {'state': 'any' if world else 'sources' if sources else 'closed', 'sources': sorted(set(sources)), 'by': by}


def _ingress_policies(items, labels, namespace):
    found = []
    for item in items:
        spec = item.get('spec') or {}
        types = spec.get('policyTypes') or ['Ingress']
        if item.get('kind') == 'NetworkPolicy' and 'Ingress' in types and _same_namespace(item, namespace) \
                and selects(spec.get('podSelector') or {}, labels):
            found.append(item)
    return found


def _workload(items, expected):
    labels = expected.get('pod_labels') or {}
    for item in items:
        if item.get('kind') in WORKLOADS and _same_namespace(item, expected.get('namespace')):
            pod_labels, spec = _pod(item)
            if labels and selects({'matchLabels': labels}, pod_labels):
                return item, pod_labels, spec
    return None, None, None


def _services(items, pod_labels, namespace):
    return [item for item in items if item.get('kind') == 'Service' and _same_namespace(item, namespace)
            and selects((item.get('spec') or {}).get('selector'), pod_labels, plain=True)]


def _exposed(services, named):
    """{port MI must listen on: ['Service <name>/<port name>', ...]}."""
    exposed = {}
    for item in services:
        for port in (item.get('spec') or {}).get('ports') or []:
            target = _target(port, named)
            exposed.setdefault(target, []).append('Service %s/%s' % (
                item['metadata'].get('name'), port.get('name') or port.get('port')))
    return exposed


def _row(port, listener, exposed, access, kinds):
    return {'port': port, 'name': listener['name'] if listener else None, 'key': listener['key'] if listener else None,
            'exposure': listener['exposure'] if listener else None, 'configured': listener is not None,
            'listening': port in exposed, 'addresses': exposed.get(port, []), 'pids': [], 'label': None,
            'reachable': access, 'findings': sorted(set(kinds))}


def _check_ports(found, listeners, exposed, container, named, services):
    by_port = dict((item['port'], item) for item in listeners)
    for item in listeners:
        if item['port'] not in exposed:
            found.add('k8s_unexposed_listener', '%s (%s) listens on %d, which %s' % (
                item['name'], item['key'], item['port'],
                'no Service exposes' if services else 'no Service exposes (no Service selects the pods)'),
                [item['port']])
    if None in exposed:
        found.add('k8s_dead_port', '%s sends to a port name the container does not declare' % ', '.join(exposed[None]))
    for port, where in sorted((port, where) for port, where in exposed.items() if port is not None):
        if port not in by_port:
            found.add('k8s_dead_port', '%s sends to port %d, where MI does not listen' % (', '.join(where), port),
                      [port])
    for port in container.get('ports') or []:
        if port.get('containerPort') not in by_port:
            found.add('k8s_dead_port', 'the container declares port %s, where MI does not listen'
                      % port.get('containerPort'), [port.get('containerPort')])


def _check_grace(found, spec, expected):
    graceful = expected.get('graceful_shutdown_timeout') or 0
    given = spec.get('terminationGracePeriodSeconds', DEFAULT_GRACE)
    if graceful and given < graceful:
        found.add('k8s_grace_short', 'Kubernetes kills MI %s s after SIGTERM (terminationGracePeriodSeconds), but MI '
                  '%s may take %d s to shut down gracefully' % (given, expected.get('mi_version') or '', graceful),
                  grace=grace_period(graceful))


def _check_access(found, listeners, policies, named):
    access = {}
    for item in listeners:
        access[item['port']] = reach(policies, item['port'], named)
        if serves_management(item) and access[item['port']]['state'] == 'any':
            found.add('management_exposed', '%s (port %d) serves the Management API and is reachable from any '
                      'address: %s' % (item['name'], item['port'], access[item['port']]['by']
                                       if not policies else 'a NetworkPolicy admits every source'), [item['port']])
    return access


def drift(expected, manifests, container_name=None):
    """The drift of one MI deployment, as one audit_info result: {'instances': [one], 'findings', 'firewall'}."""
    items = objects_of(manifests)
    name = expected.get('name') or 'mi'
    found = Found(name)
    workload, pod_labels, spec = _workload(items, expected)
    listeners = expected.get('listeners') or []
    container = _container(spec, container_name) if workload else None
    if container is None:
        found.add('no_instance', 'no workload%s with the pod labels %s and an MI container is in the manifests' % (
            ' in namespace %s' % expected['namespace'] if expected.get('namespace') else '', expected.get('pod_labels')))
        return {'instances': [], 'findings': found.findings, 'firewall': None}
    named = dict((port.get('name'), port.get('containerPort')) for port in container.get('ports') or []
                 if port.get('name'))
    services = _services(items, pod_labels, expected.get('namespace'))
    policies = _ingress_policies(items, pod_labels, expected.get('namespace'))
    exposed = _exposed(services, named)
    _check_ports(found, listeners, exposed, container, named, services)
    _check_probes(found, container, listeners, named, expected)
    _check_grace(found, spec, expected)
    access = _check_access(found, listeners, policies, named)
    by_port = dict((item['port'], item) for item in listeners)
    ports = sorted(set(by_port) | set(port for port in exposed if port is not None) | set(found.by_port))
    rows = [_row(port, by_port.get(port), exposed, access.get(port) or reach(policies, port, named),
                 found.by_port.get(port, [])) for port in ports]
    where = '%s %s%s' % (workload['kind'], '%s/' % _namespace(workload) if _namespace(workload) else '',
                         workload['metadata'].get('name'))
    service_names = ', '.join('Service ' + item['metadata'].get('name') for item in services)
    instance = {'name': name, 'home': where, 'service': service_names or None,
                'running': False, 'state': 'Kubernetes manifests (not a running pod)', 'pids': [], 'listed': True,
                'offset': {'configured': expected.get('offset'), 'configured_source': expected.get('offset_source')},
                'rows': rows, 'findings': found.findings}
    return {'instances': [instance], 'findings': found.findings,
            'firewall': {'backend': 'NetworkPolicy', 'guarded': bool(policies),
                         'reason': ', '.join(sorted(p['metadata'].get('name', '?') for p in policies)) or None}}
