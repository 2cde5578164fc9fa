# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes objects of one MI deployment that follow from its listeners: the Service, the container's ports
and its probes.

Pure Python, no Ansible. The input is what the instances module computes for a home (instances.plan.listeners_of()
and mi.version.features()), so a Service lists exactly the listeners MI opens, at their effective ports.
MI serves /healthz (readiness) on the internal HTTP API port from 4.0 and /liveness from 4.2 (MI-FACTS.md,
"MI versions"); from 4.5 a stopping MI may hold its ports for [server] graceful_shutdown_timeout.
"""

import hashlib
import re

READINESS_PATH = '/healthz'
LIVENESS_PATH = '/liveness'
INTERNAL_HTTP = 'management_http'
MANAGED_BY = 'wso2ops.micro_integrator'
# Kubernetes kills a container DEFAULT_GRACE seconds after SIGTERM unless the pod says otherwise.
DEFAULT_GRACE = 30
GRACE_MARGIN = 10  # the JVM's own exit after the graceful shutdown ends
# Probe timings: MI deploys every CApp before /healthz answers 200; a start may take minutes on a small node.
STARTUP = {'periodSeconds': 5, 'timeoutSeconds': 5, 'failureThreshold': 60}  # up to 5 minutes
READINESS = {'periodSeconds': 10, 'timeoutSeconds': 5, 'failureThreshold': 3}
LIVENESS = {'periodSeconds': 10, 'timeoutSeconds': 5, 'failureThreshold': 3}
HANDLERS = ('exec', 'httpGet', 'tcpSocket', 'grpc')

# Port names of MI's own listeners (a Kubernetes port name has at most 15 characters).
_PORT_NAMES = {
    'http': 'http', 'https': 'https', 'management_http': 'internal-http', 'management_https': 'internal-https',
    'transport.tcp.listener.port': 'tcp', 'mediation.synapse.command_debugger_port': 'debug-command',
    'mediation.synapse.event_debugger_port': 'debug-event', 'synapseTestPort': 'synapse-test',
}
_MAX_NAME = 15
_NOT_NAME = re.compile(r'[^a-z0-9]+')


def _candidate(listener):
    """A port name for a listener that is not one of MI's own: 'in-' and the endpoint's name for an inbound endpoint,
    'custom-' and the protocol for a custom transport, in Kubernetes' alphabet."""
    name = listener['name']
    if listener.get('endpoint'):
        name = 'in-' + listener['endpoint']
    elif name.startswith('custom_transport.'):
        name = 'custom-' + name[len('custom_transport.'):]
    return _NOT_NAME.sub('-', name.lower()).strip('-')


def _hashed(text, name):
    """text cut to leave room for a suffix that only the listener's own name gives: names stay unique."""
    digest = hashlib.sha1(name.encode('utf-8')).hexdigest()[:4]
    return '%s-%s' % (text[:_MAX_NAME - 5].rstrip('-'), digest)


def port_names(listeners):
    """{listener name: Kubernetes port name}: lower case, at most 15 characters, unique, with a letter."""
    names, taken = {}, set()
    for listener in sorted(listeners, key=lambda item: (item['name'] not in _PORT_NAMES, item['name'])):
        name = _PORT_NAMES.get(listener['name']) or _candidate(listener)
        if len(name) > _MAX_NAME or name in taken or not re.search('[a-z]', name):
            name = _hashed(name or 'port', listener['name'])
        names[listener['name']] = name
        taken.add(name)
    return names


def _app_protocol(listener):
    return listener['protocol'] if listener['protocol'] in ('http', 'https') else None


def container_ports(listeners):
    """The container's ports: one per listener, named, at the port MI listens on."""
    names = port_names(listeners)
    return [{'name': names[item['name']], 'containerPort': item['port'], 'protocol': 'TCP'}
            for item in sorted(listeners, key=lambda item: item['port'])]


def service_ports(listeners):
    """The Service's ports: one per listener, at the port MI listens on (a client sees MI's own port numbers)."""
    names = port_names(listeners)
    ports = []
    for item in sorted(listeners, key=lambda item: item['port']):
        port = {'name': names[item['name']], 'port': item['port'], 'targetPort': item['port'], 'protocol': 'TCP'}
        if _app_protocol(item):
            port['appProtocol'] = _app_protocol(item)
        ports.append(port)
    return ports


def metadata(name, namespace=None, labels=None):
    found = {'name': name, 'labels': dict(labels or {}, **{'app.kubernetes.io/managed-by': MANAGED_BY})}
    if namespace:
        found['namespace'] = namespace
    return found


def service(name, namespace, pod_labels, listeners):
    """The Service of the deployment: every listener MI opens, selecting the pods by pod_labels."""
    return {'apiVersion': 'v1', 'kind': 'Service', 'metadata': metadata(name, namespace),
            'spec': {'selector': dict(pod_labels), 'ports': service_ports(listeners)}}


def internal_http(listeners):
    """The internal HTTP API listener while it serves the readiness probe, or None."""
    return next((item for item in listeners
                 if item['name'] == INTERNAL_HTTP and 'readiness_probe' in (item.get('apis') or [])), None)


def _http(path, port, timings):
    return dict(timings, httpGet={'path': path, 'port': port, 'scheme': 'HTTP'})


def _tcp(port, timings):
    return dict(timings, tcpSocket={'port': port})


def probes(listeners, liveness):
    """{startupProbe, readinessProbe, livenessProbe}: MI's health API on the internal HTTP port MI really uses.

    liveness: whether the version serves /liveness (4.2+); before, liveness is a TCP check of that port (a JVM
    that stopped accepting). Without an internal HTTP API (internal_http_api_enable = false, or the readiness
    probe served elsewhere) MI has no health endpoint to ask: every probe is a TCP check of the first public
    listener, and the caller warns. None when MI opens no port at all."""
    internal = internal_http(listeners)
    if internal:
        port = internal['port']
        ready = _http(READINESS_PATH, port, READINESS)
        return {'startupProbe': _http(READINESS_PATH, port, STARTUP), 'readinessProbe': ready,
                'livenessProbe': _http(LIVENESS_PATH, port, LIVENESS)
                if liveness and 'liveness_probe' in internal['apis'] else _tcp(port, LIVENESS)}
    public = sorted((item for item in listeners if item['exposure'] == 'public'), key=lambda item: item['port'])
    fallback = (public or sorted(listeners, key=lambda item: item['port']) or [None])[0]
    if fallback is None:
        return None
    port = fallback['port']
    return {'startupProbe': _tcp(port, STARTUP), 'readinessProbe': _tcp(port, READINESS),
            'livenessProbe': _tcp(port, LIVENESS)}


def grace_period(graceful_shutdown_timeout):
    """terminationGracePeriodSeconds: Kubernetes' 30 s unless MI's graceful shutdown (4.5+) needs longer; else the
    kubelet kills MI while it still finishes its in-flight messages."""
    graceful = graceful_shutdown_timeout or 0
    return max(DEFAULT_GRACE, graceful + GRACE_MARGIN) if graceful else DEFAULT_GRACE


def replacing(probe):
    """A probe as a strategic-merge patch: the handlers it does not use are deleted (null), so that it replaces a
    probe of another kind (helm-mi's startup probe is an exec)."""
    return dict(probe, **dict((handler, None) for handler in HANDLERS if handler not in probe))


def deployment_patch(name, container, container_ports_, probes_, grace):
    """A strategic-merge patch of the Deployment name: the container's ports replaced ($patch: replace), its probes
    replaced, and the grace period; {'target': {kind, name}, 'patch'}."""
    found = {'name': container, 'ports': [{'$patch': 'replace'}] + list(container_ports_)}
    for kind in ('startupProbe', 'readinessProbe', 'livenessProbe'):
        found[kind] = replacing(probes_[kind]) if probes_ else None
    return {'target': {'kind': 'Deployment', 'name': name},
            'patch': {'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': name},
                      'spec': {'template': {'spec': {'terminationGracePeriodSeconds': grace,
                                                     'containers': [found]}}}}}
