# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control plane in the port audit: per instance, what it is, whether it is told the port MI listens on, whether
the firewall lets it call the Management API, and (when asked) whether the host reaches it.

Pure: the audit module hands in the host audit (audit.host.audit_host), the entries it was built from and, when the
user asked for them, a resolver of host names and a bounded TCP probe.
"""

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.audit.findings import finding
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall.reach import reach_of
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi import control_plane as cp
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.values import PortError
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml.engine import (
    TomlEditError,
    parse_plain,
    read_model,
)


def plane_of(entry):
    """The control plane of an audit entry (read_control_plane), or None when its file cannot be read."""
    if entry.get('text') is None:
        return None
    startup = entry.get('startup') or {}
    try:
        config = parse_plain(entry['text'])
        model = read_model(entry['text'], startup.get('jvm_args'), startup.get('environment'),
                           entry.get('inbound_endpoints'))
    except (PortError, TomlEditError):
        return None  # the audit already reports the file as unreadable
    return cp.read_control_plane(config, model, startup.get('jvm_args'), startup.get('environment'),
                                 entry.get('version'))


def _management_reach(instance, plane, firewall):
    port = plane['management']['port']
    for row in instance['rows']:
        if row['port'] == port and row.get('reachable'):
            return row['reachable']
    return reach_of(firewall, port) if port else {'state': 'unknown', 'sources': [], 'by': ''}


def _check(instance, plane, firewall, resolve, probe):
    """[(kind, message, ports)] of one instance; fills plane's address, reach and probe."""
    found = [('control_plane_settings', problem, []) for problem in plane['problems']]
    found.extend(cp.advertised_problems(plane))
    address = cp.literal_address(plane['host'])
    if address is None and plane['host'] and resolve:
        address = resolve(plane['host'])
    plane['address'] = address
    reach = _management_reach(instance, plane, firewall)
    blocked = cp.blocked_message(plane, address, reach)
    plane['allowed'] = None if reach['state'] == 'unknown' or address is None else not blocked
    if blocked:
        found.append(('control_plane_blocked', blocked, [plane['management']['port']]))
    if probe and address and plane['port']:
        plane['probe'] = probe(address, plane['port'])
        if plane['probe']:
            found.append(('control_plane_unreachable', '%s:%d (%s) cannot be reached from the host: %s'
                          % (plane['host'], plane['port'], plane['key'], plane['probe']), []))
    return found


def add_control_plane(report, entries, firewall, resolve=None, probe=None):
    """Adds 'control_plane' to every instance of the host audit and its findings (to the instance, its rows and the
    report). resolve(host) -> address or None; probe(address, port) -> None when a TCP connect succeeds, else why."""
    by_name = dict((entry['name'], entry) for entry in entries)
    for instance in report['instances']:
        entry = by_name.get(instance['name'])
        plane = plane_of(entry) if entry else None
        instance['control_plane'] = plane if plane and plane['kind'] else None
        if not instance['control_plane']:
            continue
        for kind, message, ports in _check(instance, plane, firewall, resolve, probe):
            item = finding(kind, instance['name'], message, ports)
            instance['findings'].append(item)
            report['findings'].append(item)
            for row in instance['rows']:
                if row['port'] in ports:
                    row['findings'].append(kind)
    return report
