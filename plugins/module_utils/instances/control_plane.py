# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control plane in the host module's plan: what each instance will tell its control plane after the run, what
the run must say so that this stays true, and the addresses to let through to the Management API when asked.

Pure: the module hands in the plan (instances.plan.plan_host), what was read (instances.read.read_instances) and,
when allow_control_plane asks for names to be resolved, a resolver.
"""

import copy
import ipaddress

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi import control_plane as cp
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.values import PortError
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml.engine import (
    TomlEditError,
    parse_plain,
    read_model,
)


def _with_changes(config, changes):
    """The plain data of the file after the plan's changes ({key, before, after}; after None removes the key)."""
    config = copy.deepcopy(config)
    for change in changes:
        node, parts = config, change['key'].split('.')
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if change['after'] is None:
            node.pop(parts[-1], None)
        else:
            node[parts[-1]] = change['after']
    return config


def _planes(result, entry):
    """(before, after) control planes of one planned instance, or (None, None) when the file cannot be read."""
    startup = entry.get('startup') or {}
    context = (startup.get('jvm_args'), startup.get('environment'))
    try:
        config = parse_plain(entry['text'])
        model = read_model(entry['text'], *context)
    except (PortError, TomlEditError):
        return None, None
    before = cp.read_control_plane(config, model, context[0], context[1], entry.get('version'))
    after_model = {'ports': result['ports'], 'offset_source': result['offset_source']}
    after = cp.read_control_plane(_with_changes(config, result['changes']), after_model, context[0], context[1],
                                  entry.get('version'))
    return before, after


def _host_network(address):
    return str(ipaddress.ip_network(address))  # one address: /32 or /128


def plan_control_planes(plan, current, management_sources=None, resolve=None):
    """Adds 'control_plane' (what the instance tells its control plane after the run, null for none) to every result
    of the plan; returns (warnings, left_out): what the run must say, and {network: warning} of the control planes
    that management_sources (canonical networks; None when no firewall is planned) leave out."""
    warnings, left_out = [], {}
    for result in plan['instances']:
        entry = current[result['name']]
        before, after = _planes(result, entry) if entry.get('text') is not None else (None, None)
        result['control_plane'] = after if after and after['kind'] else None
        if not result['control_plane']:
            continue
        warnings.extend('%s: %s' % (result['name'], problem) for problem in after['problems'])
        warnings.extend(cp.follow_warnings(result['name'], before, after))
        address = cp.literal_address(after['host'])
        if address is None and after['host'] and resolve:
            address = resolve(after['host'])
        after['address'] = address
        if management_sources is None:
            continue
        warning = cp.sources_warning(result['name'], after, address, management_sources)
        if warning:
            left_out[_host_network(address)] = warning
    return warnings, left_out
