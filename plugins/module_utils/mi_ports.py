# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The port model of WSO2 Micro Integrator 4.x, as MI itself computes it.

Pure Python: no Ansible and no TOML here, so the module, the info module, the
filters and the role's templates all share this one arithmetic.
Facts: effective port = base port + offset; the offset is -DportOffset, else
``[server] offset``, else 10; a manual offset replaces the 10, it does not add to it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re
from collections import namedtuple

DEFAULT_OFFSET = 10
OFFSET_KEY = 'server.offset'
PORT_MIN = 1
PORT_MAX = 65535

PortSpec = namedtuple('PortSpec', 'alias key base protocol exposure description')

# The four documented listeners; `base` is the value MI uses when the key is absent.
PORT_SPECS = (
    PortSpec('http', 'transport.http.listener.port', 8280, 'http', 'public',
             'HTTP pass-through transport (API and proxy traffic)'),
    PortSpec('https', 'transport.http.listener.secured_port', 8243, 'https', 'public',
             'HTTPS pass-through transport (API and proxy traffic)'),
    PortSpec('management_http', 'mediation.internal_http_api_port', 9191, 'http', 'management',
             'Management API over HTTP (also readiness, liveness and Prometheus when enabled)'),
    PortSpec('management_https', 'mediation.internal_https_api_port', 9154, 'https', 'management',
             'Management API over HTTPS'),
)
SPEC_BY_ALIAS = dict((spec.alias, spec) for spec in PORT_SPECS)
ALIASES = tuple(spec.alias for spec in PORT_SPECS)

# Tables that MI's documentation uses as the home of its port keys: a key that is
# missing from the file is added under the longest of these that prefixes it.
KNOWN_TABLES = (
    'server', 'mediation', 'monitoring', 'transport.http', 'transport.https',
    'transport.blocking.http', 'transport.tcp', 'transport.udp', 'transport.ws', 'transport.wss',
)

_JVM_OFFSET = re.compile(r'(?:^|\s)-DportOffset=(\S*)')
_SECRET_WORD = re.compile(r'passw|passphrase|secret|token|pwd|credential', re.IGNORECASE)


class PortError(ValueError):
    """A port, offset, key or network that MI would not accept, with the fix in the message."""


def _integer(value, what, allowed):
    """Return value as int: ints and digit strings pass, booleans and anything else fail."""
    if isinstance(value, bool):
        raise PortError('%s is %r (a boolean); %s' % (what, value, allowed))
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.match(r'^\s*[+-]?\d+\s*$', value):
        return int(value)
    raise PortError('%s is %r; %s' % (what, value, allowed))


def parse_port(value, key):
    """A TCP port (int or digit string, as MI stores both) in 1..65535."""
    allowed = 'a port must be an integer from %d to %d' % (PORT_MIN, PORT_MAX)
    port = _integer(value, '%s' % key, allowed)
    if not PORT_MIN <= port <= PORT_MAX:
        raise PortError('%s is %r; %s' % (key, value, allowed))
    return port


def parse_offset(value, key=OFFSET_KEY):
    """A port offset: a non-negative integer (or digit string)."""
    allowed = 'the offset must be a whole number >= 0 (MI default %d)' % DEFAULT_OFFSET
    offset = _integer(value, key, allowed)
    if offset < 0:
        raise PortError('%s is %r; %s' % (key, value, allowed))
    return offset


def effective_port(base, offset=DEFAULT_OFFSET):
    """The port MI listens on: base + offset, checked to stay in range."""
    base = parse_port(base, 'base port')
    offset = parse_offset(offset, 'offset')
    port = base + offset
    if port > PORT_MAX:
        raise PortError('base port %d + offset %d = %d is above %d; use a smaller offset or base port'
                        % (base, offset, port, PORT_MAX))
    return port


def offset_from_jvm_args(jvm_args):
    """The -DportOffset value in JVM arguments (a string or a list), or None when absent.

    The last occurrence wins, as it does for the JVM.
    """
    if jvm_args is None:
        return None
    text = jvm_args if isinstance(jvm_args, str) else ' '.join(str(arg) for arg in jvm_args)
    found = _JVM_OFFSET.findall(text)
    if not found:
        return None
    return parse_offset(found[-1], '-DportOffset')


def resolve_offset(file_offset=None, jvm_args=None):
    """(offset, source) with MI's precedence: -DportOffset, then the file, then 10."""
    jvm_offset = offset_from_jvm_args(jvm_args)
    if jvm_offset is not None:
        return jvm_offset, 'jvm'
    if file_offset is not None:
        return parse_offset(file_offset), 'file'
    return DEFAULT_OFFSET, 'default'


def alias_key(name):
    """The TOML key for an alias, or the name itself when it is already a dotted key."""
    return SPEC_BY_ALIAS[name].key if name in SPEC_BY_ALIAS else name


def check_port_key(key):
    """Refuse keys that cannot be port settings (this also keeps secrets out of reach)."""
    parts = key.split('.')
    if not key or '' in parts or not re.match(r'^[A-Za-z0-9_.-]+$', key):
        raise PortError('port key %r is not a dotted TOML key; use an alias (%s) or a key such as '
                        'transport.tcp.listener.port' % (key, ', '.join(ALIASES)))
    if 'port' not in parts[-1].lower():
        raise PortError('key %r does not name a port setting (its last part must contain "port"); '
                        'use an alias (%s) or a port key' % (key, ', '.join(ALIASES)))
    if _SECRET_WORD.search(parts[-1]):  # e.g. transport_password: its stored value would show in 'before'
        raise PortError('key %r names a secret, not a port; the module never reads or writes secrets' % key)
    if len(parts) == 1:  # MI has no top-level port key: a bare name is a mistyped alias
        raise PortError('unknown port alias %r; known aliases: %s; give any other port by its dotted key such as '
                        'transport.tcp.listener.port' % (key, ', '.join(ALIASES)))
    return key


def normalize_ports(ports):
    """Map aliases and dotted keys to {toml_key: port or None}; None means 'remove the key'."""
    if ports is None:
        return {}
    if not isinstance(ports, dict):
        raise PortError('ports must be a dict of alias or dotted key to port, got %r' % (ports,))
    wanted = {}
    for name, value in ports.items():
        key = check_port_key(alias_key(str(name)))
        if key in wanted:
            raise PortError('%s is given twice (as %r and by its alias); give it once' % (key, name))
        wanted[key] = None if value is None else parse_port(value, key)
    return wanted


def instance_ports(base_ports, offset):
    """{alias: effective port} for the four listeners, refusing out-of-range and equal ports.

    base_ports maps alias to base port; a missing alias uses MI's default.
    """
    offset = parse_offset(offset)
    effective = {}
    for spec in PORT_SPECS:
        base = parse_port(base_ports.get(spec.alias, spec.base), spec.key)
        if base + offset > PORT_MAX:
            raise PortError('%s %d + offset %d = %d is above %d; lower the offset or the port'
                            % (spec.key, base, offset, base + offset, PORT_MAX))
        effective[spec.alias] = base + offset
    _refuse_equal_ports(effective)
    return effective


def _refuse_equal_ports(effective):
    seen = {}
    for alias, port in effective.items():
        if port in seen:
            raise PortError('%s and %s would both listen on %d; give them distinct ports'
                            % (SPEC_BY_ALIAS[seen[port]].key, SPEC_BY_ALIAS[alias].key, port))
        seen[port] = alias


def port_map(overrides=None, offset=DEFAULT_OFFSET):
    """The four listeners keyed by alias, each with port, base, key, protocol and exposure."""
    overrides = {} if overrides is None else overrides
    if not isinstance(overrides, dict):
        raise PortError('overrides must be a dict of alias to base port, got %r' % (overrides,))
    unknown = sorted(set(overrides) - set(ALIASES))
    if unknown:
        raise PortError('unknown port alias %s; known aliases: %s' % (', '.join(map(repr, unknown)), ', '.join(ALIASES)))
    bases = dict((alias, overrides[alias]) for alias in overrides if overrides[alias] is not None)
    effective = instance_ports(bases, offset)
    result = {}
    for spec in PORT_SPECS:
        result[spec.alias] = {
            'port': effective[spec.alias],
            'base': parse_port(bases.get(spec.alias, spec.base), spec.key),
            'offset': parse_offset(offset),
            'key': spec.key,
            'protocol': spec.protocol,
            'transport': 'tcp',
            'exposure': spec.exposure,
            'public': spec.exposure == 'public',
            'description': spec.description,
        }
    return result


def parse_sources(sources, what):
    """Networks as canonical strings; refuses anything that is not an IPv4/IPv6 network."""
    if sources is None:
        return []
    if isinstance(sources, str):
        sources = [sources]
    networks = []
    for source in sources:
        try:
            networks.append(str(ipaddress.ip_network(str(source), strict=False)))
        except ValueError:
            raise PortError('%s entry %r is not an IP network; use an address or CIDR such as '
                            '192.0.2.0/24 or 2001:db8::/32' % (what, source))
    return networks


def firewall_rules(ports, public_sources=None, management_sources=None, instance=None):
    """The allow rules a firewall needs for one port map.

    Public (pass-through) ports are open to public_sources, or to any address when it is
    None. Management API ports are open only to management_sources: empty means closed.
    Each rule: instance, alias, port, transport, source (None = any) and family.
    """
    public = [None] if public_sources is None else parse_sources(public_sources, 'public_sources')
    management = parse_sources(management_sources, 'management_sources')
    rules = []
    for alias in ALIASES:
        entry = ports.get(alias) if isinstance(ports, dict) else None
        if not isinstance(entry, dict) or 'port' not in entry:
            raise PortError('port map has no entry %r with a port; build it with port_map' % alias)
        sources = public if entry.get('exposure', SPEC_BY_ALIAS[alias].exposure) == 'public' else management
        for source in sources:
            rules.append({
                'instance': instance,
                'alias': alias,
                'port': parse_port(entry['port'], alias),
                'transport': 'tcp',
                'exposure': SPEC_BY_ALIAS[alias].exposure,
                'source': source,
                'family': _family(source),
            })
    return rules


def _family(source):
    if source is None:
        return 'any'
    return 'ipv%d' % ipaddress.ip_network(source).version


def port_conflicts(instances, reserved=None):
    """Equal effective ports across instances (and against reserved ports).

    instances maps name -> port map (or {alias: port}); reserved maps port -> what holds it.
    Returns a list of {port, first, second} descriptions; empty means no conflict.
    """
    if not isinstance(instances, dict):
        raise PortError('instances must be a dict of instance name to port map, got %r' % (instances,))
    owners = {}
    for port, holder in (reserved or {}).items():
        owners[parse_port(port, 'reserved port')] = 'reserved (%s)' % holder
    conflicts = []
    for name in sorted(instances):
        ports = instances[name]
        if not isinstance(ports, dict):
            raise PortError('instance %r has %r, not a port map' % (name, ports))
        for alias in sorted(ports):
            entry = ports[alias]
            port = parse_port(entry['port'] if isinstance(entry, dict) else entry, '%s.%s' % (name, alias))
            owner = '%s %s' % (name, alias)
            if port in owners:
                conflicts.append({'port': port, 'first': owners[port], 'second': owner})
            else:
                owners[port] = owner
    return conflicts


def describe_conflicts(conflicts):
    """One sentence per conflict, for error messages."""
    return '; '.join('port %d is used by both %s and %s' % (c['port'], c['first'], c['second'])
                     for c in conflicts)
