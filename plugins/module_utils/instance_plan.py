# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the mi_ports role does on one host, computed on the controller in one call.

From the instance list it builds, per instance, the module's arguments and the port map MI
will use, the problems that must stop the role before any change, and the one list of
firewall rules every backend is fed from. Pure Python: the role calls it through the
instance_plan filter, so no Jinja loop re-implements it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi_listeners import KEY_BY_ALIAS
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi_ports import (
    ALIASES,
    PortError,
    describe_conflicts,
    firewall_rules,
    port_conflicts,
    port_map,
)

_ALIAS_BY_KEY = dict((key, alias) for alias, key in KEY_BY_ALIAS.items())
_INSTANCE_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_-]*$')


def _instance(instance, default_offset):
    """One instance's entry. Every alias is sent to the module, unset ones as null (MI's default),
    so the port map computed here is exactly the one MI will use."""
    if not isinstance(instance, dict):
        raise PortError('each instance must be a dict with name, home, offset, ports and service, got %r' % (instance,))
    aliases, keys = {}, {}
    for name, port in (instance.get('ports') or {}).items():
        alias = name if name in ALIASES else _ALIAS_BY_KEY.get(name)
        if alias:
            aliases[alias] = port
        else:
            keys[name] = port
    offset = default_offset if instance.get('offset') is None else instance['offset']
    home = instance.get('home')
    module_ports = dict.fromkeys(ALIASES)
    module_ports.update(aliases)
    module_ports.update(keys)
    return {
        'name': str(instance.get('name')),
        'home': home,
        'path': '%s/conf/deployment.toml' % (home or ''),
        'offset': offset,
        'service': instance.get('service'),
        'module_ports': module_ports,
        'ports': port_map(dict((a, p) for a, p in aliases.items() if p is not None), offset),
    }


def _repeated(values):
    return sorted(set(value for value in values if value is not None and values.count(value) > 1))


def _problems(plan, reserved):
    """Everything that must stop the role before it changes anything, as sentences."""
    found = []
    for instance in plan:
        if not instance['home']:
            found.append('instance %s has no home: set mi_ports_home, or home in mi_ports_instances' % instance['name'])
        if not _INSTANCE_NAME.match(instance['name']):
            found.append('instance name %s must be letters, digits, _ and - (it names firewall objects)'
                         % instance['name'])
    found.extend('instance name %s is used more than once' % name for name in _repeated([i['name'] for i in plan]))
    found.extend('MI home %s is given for more than one instance' % home for home in _repeated([i['home'] for i in plan]))
    conflicts = port_conflicts(dict((i['name'], i['ports']) for i in plan), reserved)
    if conflicts:
        found.append(describe_conflicts(conflicts))
    return found


def instance_plan(instances, default_offset=None, reserved=None, public_sources=None, management_sources=None):
    """{'plan': [...], 'problems': [...], 'rules': [...]} for the instances of one host."""
    if not isinstance(instances, list):
        raise PortError('instances must be a list of dicts, got %r' % (instances,))
    plan = [_instance(instance, default_offset) for instance in instances]
    rules = []
    for instance in plan:
        rules.extend(firewall_rules(instance['ports'], public_sources, management_sources, instance['name']))
    return {'plan': plan, 'problems': _problems(plan, reserved), 'rules': rules}
