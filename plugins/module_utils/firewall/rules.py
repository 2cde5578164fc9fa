# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The firewall rules MI's listeners need, and the shape of a backend's plan.

Pure Python, shared by every backend (fw_nftables, fw_firewalld, fw_ufw): listeners plus the
sources of each exposure class become a list of allow rules, each with its owner tag
``wso2ops-mi <instance> <name>``, and the ports where every other source must be kept out.
"""

import ipaddress
import re
from collections import namedtuple

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.errors import CollectionError
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.util import unique
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.listeners import EXPOSURES
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.ports import parse_sources
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.values import PortError, parse_port

OWNER = 'wso2ops-mi'
# Load balancers, Kubernetes nodes and Prometheus inside the network keep reaching /healthz,
# /liveness and the metrics; the world does not reach the Management API over HTTP on that port.
PRIVATE_SOURCES = ('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7')
SSH_PORT = 22
# nftables keeps at most 128 bytes of a rule comment.
MAX_OWNER_TAG = 120

_INSTANCE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_-]*\Z')
_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*\Z')

Rule = namedtuple('Rule', 'instance name port exposure source')
Action = namedtuple('Action', 'verb args text')


class FirewallInputError(CollectionError, ValueError):
    """Listeners or sources the module refuses; the message names the entry and the fix."""


class Desired(namedtuple('Desired', 'rules restricted skipped listeners')):
    """rules: the allow rules; restricted: ports that sources outside the rules must not reach;
    skipped: listeners that get no rule (disabled or without a port), with the reason."""


class Plan:
    """What a backend will do, from what it read.

    actions: Action tuples in order; before/after: the owned rules as lines in the backend's own syntax
    (rules_added/rules_removed, and the diff unless diff gives its own (before, after) texts); problems
    stop the run before any change; guarded: whether the backend keeps the sources that are not allowed
    out of the MI ports."""

    def __init__(self, actions, before, after, problems=(), warnings=(), guarded=True, diff=None):
        self.actions, self.before, self.after = list(actions), list(before), list(after)
        self.problems, self.warnings, self.guarded = list(problems), list(warnings), guarded
        self.diff = diff or ('\n'.join(self.before) + '\n' if self.before else '',
                             '\n'.join(self.after) + '\n' if self.after else '')

    @property
    def added(self):
        return [line for line in self.after if line not in self.before]

    @property
    def removed(self):
        return [line for line in self.before if line not in self.after]


def owner_tag(instance, name):
    return '%s %s %s' % (OWNER, instance, name)


def family(source):
    """'any', 'ipv4' or 'ipv6' for a canonical source (None = any address)."""
    if source is None:
        return 'any'
    return 'ipv%d' % ipaddress.ip_network(source).version


def host_address(source):
    """A single-address network as the plain address (how ufw and nft print it), else the network."""
    network = ipaddress.ip_network(source)
    return str(network.network_address) if network.num_addresses == 1 else str(network)


def exposure_sources(public=None, management=None, monitoring=PRIVATE_SOURCES):
    """{exposure: [canonical networks] or None (any address)}, refusing what is not a network."""
    found = {}
    for exposure, sources in (('public', public), ('management', management), ('monitoring', monitoring)):
        if sources is None and exposure != 'public':
            sources = []  # only the pass-through ports may be open to any address
        try:
            found[exposure] = None if sources is None else unique(parse_sources(sources, '%s_sources' % exposure))
        except PortError as exc:
            raise FirewallInputError(str(exc))
    return found


def _listener(entry, index, reserved):
    """(instance, name, port or None, exposure, enabled) of one listener, checked."""
    if not isinstance(entry, dict):
        raise FirewallInputError('listeners[%d] is %r; each listener is a dict with instance, name, port, exposure'
                                 % (index, entry))
    instance, name = str(entry.get('instance') or ''), str(entry.get('name') or '')
    where = 'listener %s %s' % (instance or '?', name or '?')
    if not _INSTANCE.match(instance):
        raise FirewallInputError('%s: instance %r must be letters, digits, _ and - (it names firewall objects)'
                                 % (where, instance))
    if not _NAME.match(name):
        raise FirewallInputError('%s: name %r must be an alias or a dotted key (letters, digits, _, -, .)'
                                 % (where, name))
    if len(owner_tag(instance, name)) > MAX_OWNER_TAG:
        raise FirewallInputError('%s: instance and name are too long for a firewall comment (%d characters at most)'
                                 % (where, MAX_OWNER_TAG - len(OWNER) - 2))
    exposure = entry.get('exposure')
    if exposure not in EXPOSURES:
        raise FirewallInputError('%s: exposure %r is not one of %s' % (where, exposure, ', '.join(EXPOSURES)))
    port = None
    if entry.get('port') is not None:
        try:
            port = parse_port(entry['port'], '%s port' % where)
        except PortError as exc:
            raise FirewallInputError(str(exc))
    if port in reserved:
        raise FirewallInputError(
            '%s has port %d, which is reserved (%s): the module never writes a firewall rule for it, since a '
            'restriction there could lock you out; move the listener to another port'
            % (where, port, 'SSH' if port == SSH_PORT else 'reserved_ports'))
    return instance, name, port, exposure, entry.get('enabled', True) is not False


def serves_management(entry):
    """Whether a listener serves the Management API or a management service: its HTTPS port, the debuggers, the
    internal HTTP port while it serves the Management API too (MI's default)."""
    return entry.get('exposure') == 'management' or 'management_api' in (entry.get('apis') or [])


def _refuse_world_open(entry, instance, name, port, exposure, allowed):
    """The Management API is never opened to every address (serves_management())."""
    world = allowed is None or any(ipaddress.ip_network(source).prefixlen == 0 for source in allowed)
    if world and serves_management(dict(entry, exposure=exposure)):
        raise FirewallInputError(
            'listener %s %s (port %d) serves %s: it is never opened to every address; list the networks that need '
            'it%s' % (instance, name, port, 'the Management API' if entry.get('apis') else 'a management service',
                      ', or set [management_api] protocols = "https" to take the Management API off this port'
                      if exposure == 'monitoring' else ''))


def endpoint_sources(sources):
    """{endpoint name: [canonical networks]} of the inbound_sources option, refusing what is not a network."""
    if not isinstance(sources or {}, dict):
        raise FirewallInputError('inbound_sources is %r; give a dict of inbound endpoint name to networks' % (sources,))
    try:
        return dict((str(name), unique(parse_sources(networks, 'inbound_sources.%s' % name)))
                    for name, networks in (sources or {}).items())
    except PortError as exc:
        raise FirewallInputError(str(exc))


def desired_rules(listeners, sources, reserved_ports=(), inbound=None):
    """The allow rules for the enabled listeners with a port.

    sources: {exposure: [networks] or None}, from exposure_sources(). A listener whose exposure
    has None is open to any address; otherwise it gets one rule per source and its port is
    restricted (other sources are kept out; an empty list leaves only loopback).
    inbound: {endpoint name: [networks]} (endpoint_sources()): an inbound endpoint listed there is open to
    those networks instead of its exposure class's.
    """
    inbound = inbound or {}
    reserved = set([SSH_PORT]) | set(int(port) for port in reserved_ports or ())
    rules, restricted, skipped, kept, holders = [], [], [], [], {}
    for index, entry in enumerate(listeners or []):
        instance, name, port, exposure, enabled = _listener(entry, index, reserved)
        if not enabled or port is None:
            skipped.append({'instance': instance, 'name': name, 'port': port, 'exposure': exposure,
                            'reason': 'disabled' if not enabled else 'no port (unresolved)'})
            continue
        if port in holders:
            raise FirewallInputError('port %d is given for both %s and %s %s; each listener needs its own port'
                                     % (port, holders[port], instance, name))
        holders[port] = '%s %s' % (instance, name)
        kept.append({'instance': instance, 'name': name, 'port': port, 'exposure': exposure})
        allowed = inbound.get(str(entry.get('endpoint')), sources[exposure]) if entry.get('endpoint') else \
            sources[exposure]
        _refuse_world_open(entry, instance, name, port, exposure, allowed)
        if allowed is not None:
            restricted.append(port)
        for source in [None] if allowed is None else allowed:
            rules.append(Rule(instance, name, port, exposure, source))
    return Desired(rules, sorted(restricted), skipped, kept)


def port_map_rules(ports, public_sources=None, management_sources=(), instance=None,
                   monitoring_sources=PRIVATE_SOURCES):
    """The allow rules of one port map (what the firewall_rules filter returns), as plain dicts.

    Only listeners that MI opens get rules (enabled, port resolved); each rule has instance, name, key,
    port, transport, exposure, source (None = any) and family."""
    if not isinstance(ports, dict):
        raise FirewallInputError('ports must be a port map (from port_map or the modules), got %r' % (ports,))
    keys = dict((name, entry.get('key', name)) for name, entry in ports.items() if isinstance(entry, dict))
    listeners = [dict(entry, instance=instance or 'mi', name=name, enabled=entry.get('enabled') is True)
                 for name, entry in sorted(ports.items()) if isinstance(entry, dict)]
    desired = desired_rules(listeners, exposure_sources(public_sources, management_sources, monitoring_sources))
    return [{'instance': instance, 'name': rule.name, 'key': keys[rule.name], 'port': rule.port, 'transport': 'tcp',
             'exposure': rule.exposure, 'source': rule.source, 'family': family(rule.source)}
            for rule in desired.rules]
