# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kinds of drift the port audit reports: each with one severity and the fix in one sentence.

Pure data plus helpers shared by the audit module (plugins/modules/audit_info.py), the host audit
(audit_host.py) and the report on the controller (plugins/plugin_utils/audit_report.py).
"""

from collections import namedtuple

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.errors import CollectionError

# Highest first. fail_on names one of them: findings at or above it fail the audit.
SEVERITIES = ('critical', 'high', 'medium', 'low', 'info')

Kind = namedtuple('Kind', 'severity title fix')

# The fix may name {instance}, {ports}, {service} and the kind's own fields (see finding()).
KINDS = {
    'management_exposed': Kind(
        'critical', 'Management API or debugger reachable from any address',
        'Restrict the port to your admin networks (mi_ports_management_sources) or set '
        '[management_api] protocols = "https" to take the Management API off the HTTP port.'),
    'not_audited': Kind(
        'high', 'Host not audited',
        'Make the host reachable and run the audit with become: true (it needs root to read every socket).'),
    'no_instance': Kind(
        'high', 'No MI instance to audit on the host',
        'List the instances of the host (mi_audit_instances, mi_ports_instances or mi_ports_home), or leave the '
        'host out of the audit; an audit of nothing proves nothing.'),
    'unreadable': Kind(
        'high', 'Instance cannot be read',
        'Fix what the message names (path, unit or value) so that MI, and the audit, can read it.'),
    'instance_down': Kind(
        'high', 'Instance not running',
        'Start the instance ({service}) or remove it from the inventory.'),
    'listener_failed': Kind(
        'high', 'Configured, not listening, although MI started after the last change',
        'Read the MI log for that listener (port in use, TLS keystore) and restart the instance.'),
    'inbound_failed': Kind(
        'high', 'A deployed inbound endpoint does not listen',
        'Give the endpoint a port nothing else holds (or stop what holds it), fix what the message names, and '
        'redeploy the artifact; MI undeploys an endpoint whose port it cannot bind.'),
    'offset_drift': Kind(
        'high', 'The running JVM uses another offset than its next start will',
        'Restart the instance to apply the offset, or restore the offset it runs with.'),
    'port_conflict': Kind(
        'high', 'Port wanted by two instances or held by another process',
        'Give each instance its own ports (mi_ports_instances) or stop the process that holds the port.'),
    # Kubernetes: the objects of an MI deployment against the ports MI opens (module_utils/k8s/drift.py).
    'k8s_unexposed_listener': Kind(
        'high', 'MI listens on a port that no Service exposes',
        'Add the port to the Service: wso2ops.micro_integrator.k8s_manifests computes every listener, inbound '
        'endpoints included (a helm-mi user applies its patches).'),
    'k8s_dead_port': Kind(
        'high', 'A Service, container or probe port where MI does not listen',
        'Point it at the port MI listens on (wso2ops.micro_integrator.k8s_manifests computes them), or remove it.'),
    'k8s_probe_path': Kind(
        'high', 'A probe asks a path that MI does not serve there',
        'Probe /healthz on the internal HTTP API port, and /liveness only from MI 4.2.'),
    'k8s_grace_short': Kind(
        'medium', 'Kubernetes kills MI before its graceful shutdown ends',
        'Set terminationGracePeriodSeconds to {grace}, or lower [server] graceful_shutdown_timeout.'),
    'k8s_probe_not_health': Kind(
        'low', 'A probe that does not ask MI whether it is ready',
        'Probe /healthz on the internal HTTP API port: it answers once MI has deployed its integrations.'),
    'control_plane_port': Kind(
        'high', 'The control plane is told a management port MI does not listen on',
        'MI 4.6\'s ICP agent advertises 9164 - 10 + [server] offset: move the management port with [server] offset '
        'only (no -DportOffset, no internal_https_api_port), and serve the Management API over HTTPS '
        '([management_api] protocols).'),
    'control_plane_blocked': Kind(
        'high', 'The firewall keeps the control plane from the Management API',
        'Add the control plane\'s address to the management sources (mi_ports_management_sources, or the instances '
        'module\'s allow_control_plane: true).'),
    'restart_pending': Kind(
        'medium', 'Configured, not listening: changed after MI started',
        'Restart the instance (the mi_ports role restarts it safely) to apply the change.'),
    'unexpected_listener': Kind(
        'medium', 'Listening on a port that is not configured',
        'Declare the inbound endpoint that opens it (inbound_endpoints) or remove what opens it.'),
    'firewall_closed': Kind(
        'medium', 'Listening, but the firewall lets nobody through',
        'Open the port with the mi_ports role, or disable the listener if nobody needs it.'),
    'stale_rule': Kind(
        'medium', 'Our firewall rule opens a port where no instance listens or is configured',
        'Run the mi_ports role (or the firewall module) with the current instances to remove the rule.'),
    'control_plane_unreachable': Kind(
        'medium', 'The control plane cannot be reached from the host',
        'Check the URL in deployment.toml ([icp_config] icp_url or [dashboard_config] dashboard_url), the control '
        'plane\'s service and the network between them.'),
    'control_plane_host': Kind(
        'medium', 'The control plane is told to call this node on loopback',
        'Set [server] hostname (ICP) or [dashboard_config] management_hostname (dashboard) to the name or address the '
        'control plane reaches this node by.'),
    'control_plane_settings': Kind(
        'medium', 'Control plane settings that MI cannot use',
        'Fix the [icp_config] or [dashboard_config] value the message names; MI then registers with its control '
        'plane.'),
    'offset_overridden': Kind(
        'low', 'The file sets an offset that -DportOffset overrides',
        'Set the same offset in the file or remove -DportOffset, so that the file tells the truth.'),
    'control_plane_override': Kind(
        'low', 'The dashboard is told another management port than MI listens on (a NAT override)',
        'Nothing to do when a NAT or proxy forwards that port to MI; else set [dashboard_config] management_port to '
        'the port MI listens on, or remove it.'),
    'no_firewall': Kind(
        'low', 'No firewall guards the host',
        'Enable a firewall (the mi_ports role with mi_ports_firewall: nftables) so that only the wanted '
        'sources reach MI.'),
    'unresolved_port': Kind(
        'low', 'Port depends on a placeholder whose source is unknown',
        'Give the variable or -D property in the instance\'s environment or jvm_args so that it can be audited.'),
    'unlisted_instance': Kind(
        'low', 'An MI JVM runs from a home that is not in the instance list',
        'Add the instance to the inventory (mi_ports_instances), or stop it.'),
    'inbound_activated': Kind(
        'info', 'A suspended inbound endpoint listens (activated at run time)',
        'Nothing to do if it was activated on purpose; set suspend="false" in its artifact so that the files say so.'),
    'random_port': Kind(
        'info', 'Listening on a port the kernel picked (JMX/RMI or another random listener)',
        'Nothing to do unless it must be reached: then give it a fixed port, '
        'such as -Dcom.sun.management.jmxremote.rmi.port.'),
}


class AuditError(CollectionError, ValueError):
    """Bad input to the audit (an unknown severity); the message names the value and the fix."""


def rank(severity):
    """0 for critical ... 4 for info; 'none' (never fail) is past the end."""
    if severity == 'none':
        return len(SEVERITIES)
    if severity not in SEVERITIES:
        raise AuditError('severity %r is not one of %s or none' % (severity, ', '.join(SEVERITIES)))
    return SEVERITIES.index(severity)


def finding(kind, instance, message, ports=(), **fields):
    """One finding: {kind, severity, title, instance, ports, message, fix}."""
    spec = KINDS[kind]
    values = dict(fields, instance=instance or '-', ports=', '.join(str(port) for port in ports))
    values.setdefault('service', 'systemctl start <its unit>')
    return {'kind': kind, 'severity': spec.severity, 'title': spec.title, 'instance': instance,
            'ports': sorted(ports), 'message': message, 'fix': spec.fix.format(**values)}


def worst(findings):
    """The highest severity among findings, or None."""
    found = [item['severity'] for item in findings]
    return min(found, key=rank) if found else None


def count_by_severity(findings):
    counts = dict((severity, 0) for severity in SEVERITIES)
    for item in findings:
        counts[item['severity']] += 1
    return counts


def at_or_above(findings, severity):
    """The findings that reach severity (fail_on)."""
    limit = rank(severity)
    return [item for item in findings if rank(item['severity']) <= limit]
