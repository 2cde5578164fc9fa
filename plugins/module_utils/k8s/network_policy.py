# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One NetworkPolicy per exposure (public, inbound, management, monitoring) of one MI deployment, from the same
source lists and the same rules as the host firewall (firewall.rules.desired_rules), so that the Management API
is never open to every address here either.

Pure Python, no Ansible. NetworkPolicies add up: once one selects MI's pods, a port is reachable only from the
sources some policy admits; a port no policy admits is closed (as an empty source list closes it on a host).
"""

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall.rules import desired_rules
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.k8s.objects import metadata

POLICY_CLASSES = ('public', 'inbound', 'management', 'monitoring')


def policy_class(listener):
    """The policy a listener belongs to: inbound endpoints have their own, the others follow their exposure."""
    return 'inbound' if listener.get('endpoint') else listener['exposure']


def admitted(listeners, checked_sources):
    """{policy class: {port: [networks] or None (any address)}} of the listeners; a closed port is absent.

    checked_sources: (sources by exposure, sources by inbound endpoint) as firewall.reconcile.sources() returns
    them. Refuses (FirewallInputError) what the firewall refuses: a management port open to every address."""
    by_exposure, by_endpoint = checked_sources
    wanted = desired_rules(listeners, by_exposure, (), by_endpoint)
    classes = dict((item['port'], policy_class(item)) for item in listeners)
    found = dict((name, {}) for name in POLICY_CLASSES)
    for rule in wanted.rules:
        ports = found[classes[rule.port]]
        if rule.source is None:
            ports[rule.port] = None
        elif ports.get(rule.port, []) is not None:
            ports.setdefault(rule.port, []).append(rule.source)
    return found


def _ingress(ports):
    """Ingress rules: one per distinct source list, with its ports."""
    groups = {}
    for port, sources in sorted(ports.items()):
        groups.setdefault(None if sources is None else tuple(sources), []).append(port)
    rules = []
    for sources, group in sorted(groups.items(), key=lambda item: item[1][0]):
        rule = {'ports': [{'protocol': 'TCP', 'port': port} for port in group]}
        if sources is not None:
            rule['from'] = [{'ipBlock': {'cidr': source}} for source in sources]
        rules.append(rule)
    return rules


def network_policies(name, namespace, pod_labels, listeners, checked_sources):
    """The four NetworkPolicies <name>-<class>, each selecting MI's pods; a class with nothing admitted has no
    ingress rule (it admits nothing, and keeps the pods isolated)."""
    found = admitted(listeners, checked_sources)
    return [{'apiVersion': 'networking.k8s.io/v1', 'kind': 'NetworkPolicy',
             'metadata': metadata('%s-%s' % (name, kind), namespace),
             'spec': {'podSelector': {'matchLabels': dict(pod_labels)}, 'policyTypes': ['Ingress'],
                      'ingress': _ingress(found[kind])}}
            for kind in POLICY_CLASSES]
