# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: k8s_drift
short_description: Drift between the Kubernetes objects of an MI deployment and the ports MI opens, as audit findings
version_added: 0.2.0
description:
  - Compares the objects of one MI deployment (its Deployment or other workload, the Services and NetworkPolicies that
    select its pods) with what M(wso2ops.micro_integrator.k8s_manifests) computed from its MI folder, and returns the
    drift as the port audit's findings (kind, severity, message, fix).
  - C(k8s_unexposed_listener) (high), a listener MI opens that no Service exposes; C(k8s_dead_port) (high), a Service,
    container or probe port where MI does not listen; C(k8s_probe_path) (high), a probe path the MI version or the port
    does not serve (C(/liveness) before 4.2, C(/healthz) elsewhere than on the internal HTTP API port);
    C(management_exposed) (critical), the Management API reachable from any address (no NetworkPolicy selects the
    pods, or one admits every source); C(k8s_grace_short) (medium), a termination grace period shorter than MI's
    graceful shutdown; C(k8s_probe_not_health) (low), a probe that only checks a port (C(nc -z), TCP).
  - The result has the shape of one host's M(wso2ops.micro_integrator.audit_info) result, so that
    P(wso2ops.micro_integrator.audit_fleet#filter) shows the deployment in the fleet report beside the hosts.
author: wso2ops contributors (@wso2ops)
positional: manifests, container
options:
  _input:
    description: The result of M(wso2ops.micro_integrator.k8s_manifests) for the deployment's MI folder.
    type: dict
    required: true
  manifests:
    description:
      - The objects, as a list (for example C(lookup('file', 'rendered.yaml') | from_yaml_all)), a C(List), or the
        result of C(kubernetes.core.k8s_info) (its C(resources)); lists of those are read through.
    type: raw
    required: true
  container:
    description: The name of MI's container; default the only container, else one named C(wso2mi) (WSO2's chart).
    type: str
"""

EXAMPLES = r"""
# What helm-mi renders, against the MI folder the image is built from
drift: "{{ mi_k8s | wso2ops.micro_integrator.k8s_drift(lookup('ansible.builtin.file', 'rendered.yaml') | from_yaml_all) }}"

# In the fleet report, beside the hosts
fleet: "{{ host_results | combine({'k8s integration/orders': drift}) | wso2ops.micro_integrator.audit_fleet }}"
"""

RETURN = r"""
_value:
  description: One audit_info-shaped result, C(instances) (one, the workload, with its C(rows) per port), C(findings)
    and C(firewall) (C(backend) NetworkPolicy, C(guarded) whether a policy selects the pods).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.k8s.drift import drift
from ansible_collections.wso2ops.micro_integrator.plugins.plugin_utils.filter_errors import filter_errors


@filter_errors('k8s_drift')
def k8s_drift(expected, manifests, container=None):
    if not isinstance(expected, dict) or 'listeners' not in expected:
        raise AnsibleFilterError('k8s_drift: give the result of wso2ops.micro_integrator.k8s_manifests, got %r'
                                 % (type(expected).__name__,))
    return drift(expected, manifests, container)


class FilterModule:
    def filters(self):
        return {'k8s_drift': k8s_drift}
