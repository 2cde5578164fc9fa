# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The port model of WSO2 Micro Integrator 4.x: every listener an instance opens, as MI computes it.

Pure Python: no Ansible and no TOML parser here. The input is the deployment.toml as plain data
(what tomllib returns) plus what MI starts with (JVM arguments, environment); the modules, the
filters and the role all use this one arithmetic.
Offset: -DportOffset, else ``[server] offset``, else 10; a manual offset replaces the 10. Only
some listeners take the offset; enable flags and the internal APIs' protocols decide which open.
"""

import ipaddress
import re

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.util import unique
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.listeners import (
    INTERNAL_APIS,
    LISTENERS,
    LISTENER_BY_KEY,
    OFFSET_KEY,
    RENAMED,
    RENAMED_FROM,
    UNIT_TEST_SERVER,
    check_port_key,
    classify,
    config_key,
)
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.inbound import PROTOCOLS as INBOUND_PROTOCOLS
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.values import (
    DEFAULT_OFFSET,
    PortError,
    Resolver,
    Unresolved,
    has_placeholder,
    parse_flag,
    parse_offset,
    parse_port,
    placeholder_origin,
    placeholder_source,
    shifted_port_problem,
    shown,
    system_properties,
)

_EXPECTED = {parse_port: 'a port from 1 to 65535', parse_offset: 'a whole number >= 0', parse_flag: 'true or false'}
_OFFSET_SOURCE = {'env': 'env', 'sys': 'sys'}  # $ref{}, $secret{} and ${} count as the file
INBOUND_OFFSET_KEY = 'mediation.inbound.port_offset_enable'


def lookup(config, key):
    """The stored value of a dotted key in plain TOML data, or None (also when a part is not a table)."""
    node = config
    for part in key.split('.'):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def effective_port(base, offset=DEFAULT_OFFSET):
    """The port MI listens on: base + offset, checked to stay in range."""
    base = parse_port(base, 'base port')
    offset = parse_offset(offset, 'offset')
    problem = shifted_port_problem('base port', base, offset)
    if problem:
        raise PortError(problem)
    return base + offset


class _Reader:
    """Reads values of one instance, collecting every problem instead of stopping at the first."""

    def __init__(self, config, jvm_args, environment):
        self.config = config
        self.properties = system_properties(jvm_args)
        self.resolver = Resolver(environment, self.properties, self._referenced)
        self.problems = []

    def _referenced(self, key):
        """What $ref{key} reads: keys as named after the config tool's renaming (a listener's new name reads
        its value or MI's default); a listener key by its old name does not exist for MI."""
        if key in RENAMED:
            self.problems.append('$ref{%s} stops MI: its config tool renames that key to %s before references are '
                                 'resolved; write $ref{%s}' % (key, RENAMED[key], RENAMED[key]))
            return None
        source = RENAMED_FROM.get(key, key)
        stored = lookup(self.config, source)
        spec = LISTENER_BY_KEY.get(source)
        return stored if stored is not None or spec is None or source == key else spec.base

    def value(self, key, default=None, carbon=False):
        """(resolved value or Unresolved or default, stored placeholder text or None, set in file).
        carbon: the value goes to carbon.xml (the offset), the one place where ${X} is substituted."""
        stored = lookup(self.config, key)
        if stored is None:
            return default, None, False
        if isinstance(stored, (dict, list)):
            self.problems.append('%s is a table or array, not a value; MI cannot read it' % key)
            return None, None, True
        if not carbon and '${' in str(stored):
            self.problems.append('%s is %s: MI substitutes ${...} only in the offset; use $env{...} or $sys{...}'
                                 % (key, shown(stored)))
            return Unresolved(stored), stored, True
        return self.resolver.resolve(stored, carbon=carbon), stored if has_placeholder(stored) else None, True

    def parsed(self, parse, value, what, placeholder=None):
        """parse(value) or None, recording the problem; Unresolved stays None without a problem. A value that a
        placeholder resolved to is never quoted (a $env{DB_PASSWORD} in the wrong key must not print the password):
        the problem names the placeholder and where its value comes from."""
        if value is None or isinstance(value, Unresolved):
            return None
        try:
            return parse(value, what)
        except PortError as exc:
            if placeholder is None or value == placeholder:
                self.problems.append(str(exc))
            else:
                self.problems.append('%s is %s: the value of %s is not %s (not shown: it may be a secret); fix it '
                                     'there' % (what, shown(placeholder), placeholder_origin(placeholder),
                                                _EXPECTED[parse]))
            return None

    def flag(self, key, default):
        value, placeholder, _set = self.value(key, default)
        return self.parsed(parse_flag, value, key, placeholder)

    def offset(self):
        """(offset or None, source, placeholder text or None)."""
        if 'portOffset' in self.properties:
            return self.parsed(parse_offset, self.properties['portOffset'], '-DportOffset'), 'jvm', None
        value, placeholder, set_in_file = self.value(OFFSET_KEY, carbon=True)
        if not set_in_file:
            return DEFAULT_OFFSET, 'default', None
        kind = placeholder_source(placeholder)
        if kind == 'other':  # ${X}: a system property, else an environment variable
            name = re.search(r'\$\{([^{}]*)\}', placeholder).group(1)
            kind = 'sys' if name in self.properties else 'env' if name in self.resolver.environment else None
        return self.parsed(parse_offset, value, OFFSET_KEY, placeholder), _OFFSET_SOURCE.get(kind, 'file'), placeholder


# The reader of any other setting of a file (mi.control_plane reads the control plane's settings with it).
SettingsReader = _Reader


def _served_apis(reader, protocol):
    """Internal APIs that run and are served over protocol ('http' or 'https'); None when unknown."""
    served = []
    for api in INTERNAL_APIS:
        switch = reader.properties.get(api.switch)
        if not (api.switch_default if switch is None else switch.lower() in ('', 'true')):
            continue
        value, _placeholder, _set = reader.value(api.protocols_key, api.protocols)
        if value is None or isinstance(value, Unresolved):
            return None
        if protocol in str(value).split(' '):
            served.append(api.name)
    return served


def _enabled(reader, spec):
    """Whether MI opens the listener: True, False, or None when a placeholder leaves it unknown."""
    if spec.jvm:
        wanted = ('true', 'super') if spec.jvm == 'esb.debug' else None
        value = reader.properties.get(spec.jvm)
        return value is not None and (wanted is None or value in wanted)
    enabled = True if spec.enable is None else reader.flag(*spec.enable)
    if spec.internal and enabled:
        apis = _served_apis(reader, spec.internal)
        return None if apis is None else bool(apis)
    return enabled


def _entry(reader, spec, offset, base_value, placeholder, set_in_file, enabled):
    base = reader.parsed(parse_port, base_value, spec.key, placeholder)
    applied = offset if spec.offset else 0
    port = None if base is None or applied is None else base + applied
    if port is not None and shifted_port_problem(spec.key, base, applied):
        reader.problems.append(shifted_port_problem(spec.key, base, applied))
        port = None
    bind, _bind_placeholder, _set = reader.value(spec.bind) if spec.bind else (None, None, False)
    apis = _served_apis(reader, spec.internal) if spec.internal else []
    exposure = spec.exposure
    if spec.internal == 'http' and not set(apis or []) - set(['management_api']):
        exposure = 'management'  # no health check or metrics (known) on it: only the Management API
    return {
        'key': spec.key, 'alias': spec.alias, 'base': base, 'offset_applied': spec.offset, 'offset': applied,
        'port': port, 'enabled': enabled, 'bind_address': None if isinstance(bind, Unresolved) else bind,
        'exposure': exposure, 'protocol': spec.protocol, 'transport': 'tcp', 'description': spec.description,
        'set_in_file': set_in_file, 'source': placeholder,
        'resolved': not isinstance(base_value, Unresolved) and not (spec.offset and offset is None),
        'apis': apis or [],
    }


def _listener_entries(reader, offset):
    entries = {}
    for spec in LISTENERS + (UNIT_TEST_SERVER,):
        if spec is UNIT_TEST_SERVER:
            value, placeholder, set_in_file = reader.properties.get('synapseTestPort', spec.base), None, False
        else:
            value, placeholder, set_in_file = reader.value(spec.key, spec.base)
        enabled = _enabled(reader, spec)
        if not spec.alias and not set_in_file and not enabled:
            continue  # an optional listener that is neither configured nor switched on
        if value is None:  # e.g. the TCP transport enabled without a port: MI cannot open it
            reader.problems.append('%s is enabled but has no port; set %s' % (spec.description, spec.key))
            continue
        entries[spec.alias or spec.key] = _entry(reader, spec, offset, value, placeholder, set_in_file, enabled)
    return entries


def _inbound_shift(reader):
    """Whether http/https inbound endpoints take the server offset: [mediation] inbound.port_offset_enable, or its
    rendered name [synapse_properties] 'inbound.port.offset.enable' (CT/key-mappings.json)."""
    if lookup(reader.config, INBOUND_OFFSET_KEY) is not None:
        return reader.flag(INBOUND_OFFSET_KEY, False)
    stored = (reader.config.get('synapse_properties') or {}).get('inbound.port.offset.enable')
    return bool(stored is not None and reader.parsed(parse_flag, stored, "synapse_properties.'inbound.port.offset.enable'"))


def _inbound_entry(reader, offset, shift, endpoint):
    """The port entry of one inbound endpoint: deployed (inbound.endpoint_listener()) or declared by the user
    ({name, port, protocol, ws_use_port_offset})."""
    name, protocol = str(endpoint.get('name')), str(endpoint.get('protocol') or 'http').lower()
    deployed = 'offset_rule' in endpoint
    rule = endpoint['offset_rule'] if deployed else INBOUND_PROTOCOLS.get(protocol, (None, 'never'))[1]
    applied = bool(shift) if rule == 'inbound' else bool(endpoint.get('ws_use_port_offset')) if rule == 'endpoint' \
        else False
    key = 'inbound.%s' % name
    base = endpoint.get('base') if deployed else reader.parsed(parse_port, endpoint.get('port'), key)
    port = None if base is None or offset is None and applied else base + (offset if applied else 0)
    if port is not None and applied and shifted_port_problem(key, base, offset):
        reader.problems.append(shifted_port_problem(key, base, offset))
        port = None
    suspended = bool(endpoint.get('suspended'))
    entry = {
        'key': key, 'alias': None, 'base': base, 'offset_applied': applied, 'offset': offset if applied else 0,
        'port': port, 'enabled': not suspended, 'bind_address': endpoint.get('bind_address'), 'exposure': 'public',
        'protocol': protocol, 'transport': 'tcp', 'description': 'inbound endpoint %s (%s)' % (name, protocol),
        'set_in_file': False, 'source': None, 'resolved': port is not None or bool(endpoint.get('problem')), 'apis': [],
        'endpoint': name, 'artifact': endpoint.get('source'), 'suspended': suspended,
    }
    if endpoint.get('unresolved'):
        entry['unresolved_reason'] = endpoint['unresolved']
    return key, entry


def _inbound_entries(reader, offset, endpoints):
    """Inbound endpoints (ports live in their XML): HTTP/HTTPS take the offset only with
    [mediation] inbound.port_offset_enable, WebSocket only with ws.use.port.offset, the others never.
    A declared endpoint replaces a deployed one of the same name; polling endpoints open nothing."""
    shift = _inbound_shift(reader)
    declared = set(str(endpoint.get('name')) for endpoint in endpoints or [] if 'offset_rule' not in endpoint)
    entries = {}
    for endpoint in endpoints or []:
        if 'offset_rule' in endpoint and (not endpoint.get('listening') or str(endpoint.get('name')) in declared):
            continue
        key, entry = _inbound_entry(reader, offset, shift, endpoint)
        entries[key] = entry
    return entries


def _custom_entries(reader, offset):
    """[[custom_transport.listener]] tables (CT/templates/conf/axis2/axis2.xml.j2 renders each as a transportReceiver
    with its parameters): a listener on parameter.port. Only MI's pass-through listener classes add the offset."""
    listeners = (reader.config.get('custom_transport') or {}).get('listener') if isinstance(
        reader.config.get('custom_transport'), dict) else None
    entries = {}
    for index, table in enumerate(listeners if isinstance(listeners, list) else []):
        if not isinstance(table, dict) or 'port' not in (table.get('parameter') or {}):
            continue
        protocol = str(table.get('protocol') or index)
        key = 'custom_transport.%s' % protocol
        stored = table['parameter']['port']
        value = reader.resolver.resolve(stored) if isinstance(stored, str) else stored
        base = reader.parsed(parse_port, value, '%s parameter.port' % key)
        applied = 'PassThroughHttp' in str(table.get('class') or '')
        port = None if base is None or applied and offset is None else base + (offset if applied else 0)
        if port is not None and shifted_port_problem(key, base, offset if applied else 0):
            reader.problems.append(shifted_port_problem(key, base, offset))
            port = None
        entries[key] = {
            'key': key, 'alias': None, 'base': base, 'offset_applied': applied, 'offset': offset if applied else 0,
            'port': port, 'enabled': True, 'bind_address': None, 'exposure': 'public', 'protocol': protocol,
            'transport': 'tcp', 'description': 'custom transport listener %s (%s)' % (protocol, table.get('class')),
            'set_in_file': True, 'source': stored if has_placeholder(stored) else None,
            'resolved': not isinstance(value, Unresolved), 'apis': [],
        }
    return entries


def _port_like_keys(config, prefix=''):
    """Dotted names of scalar keys whose last part names a port (values are never read)."""
    for name, value in config.items():
        key = prefix + name
        if isinstance(value, dict):
            yield from _port_like_keys(value, key + '.')
        elif not isinstance(value, list) and 'port' in name.lower():
            yield key


def _notes(config, entries):
    """Keys of the file that name a port but are not one of MI's listeners, with what they are."""
    listed = set(entry['key'] for entry in entries.values())
    notes = []
    for key in sorted(_port_like_keys(config)):
        if key not in listed and key != OFFSET_KEY:
            kind, what = classify(key)
            notes.append({'key': key, 'kind': kind, 'message': '%s: %s' % (key, what)})
    return notes


def _equal_ports(entries):
    owners, problems = {}, []
    for name, entry in sorted(entries.items()):
        if entry['enabled'] is False or entry['port'] is None:
            continue
        if entry['port'] in owners:
            problems.append('%s and %s would both listen on %d; give them distinct ports'
                            % (owners[entry['port']], entry['key'], entry['port']))
        else:
            owners[entry['port']] = entry['key']
    return problems


def instance_model(config, jvm_args=None, environment=None, inbound_endpoints=None):
    """The real port model of one instance.

    config: deployment.toml as plain data; jvm_args: a string or list (-DportOffset, -Dx for $sys{x},
    -Desb.debug, -DsynapseTest); environment: the variables MI starts with (for $env{x});
    inbound_endpoints: [{name, port, protocol, ws_use_port_offset}] declared by the user.
    Returns {offset, offset_source, offset_placeholder, offset_set_in_file, ports, notes, problems}; ports is keyed by alias
    or dotted key and holds every listener the instance may open, enabled or not. problems lists what
    MI would refuse at start-up; placeholders without a known source are not problems.
    """
    if not isinstance(environment, (dict, type(None))):
        raise PortError('environment is a %s; give a dict of variable names to values' % type(environment).__name__)
    reader = _Reader(config, jvm_args, environment)
    offset, source, placeholder = reader.offset()
    entries = _listener_entries(reader, offset)
    entries.update(_custom_entries(reader, offset))
    entries.update(_inbound_entries(reader, offset, inbound_endpoints))
    return {
        'offset': offset, 'offset_source': source, 'offset_placeholder': placeholder,
        'offset_set_in_file': lookup(config, OFFSET_KEY) is not None, 'ports': entries,
        'notes': _notes(config, entries), 'problems': unique(reader.problems) + _equal_ports(entries),
    }


def refuse_problems(model):
    """Raise one PortError naming every problem of a model."""
    if model['problems']:
        raise PortError('; '.join(model['problems']))
    return model


def nest(flat):
    """{'a.b.c': v} -> {'a': {'b': {'c': v}}}: plain TOML data from dotted keys."""
    config = {}
    for key, value in flat.items():
        node = config
        parts = key.split('.')
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return config


def port_map(overrides=None, offset=DEFAULT_OFFSET):
    """The port model of a file that sets overrides ({alias or dotted key: value}) and offset.

    Values may be ports, enable flags or protocols (any TOML value); None leaves MI's default.
    """
    overrides = {} if overrides is None else overrides
    if not isinstance(overrides, dict):
        raise PortError('overrides must be a dict of alias or dotted key to value, got %r' % (overrides,))
    flat = dict((config_key(str(name)), value) for name, value in overrides.items() if value is not None)
    if offset is not None:
        flat[OFFSET_KEY] = offset
    return refuse_problems(instance_model(nest(flat)))['ports']


def normalize_ports(ports):
    """Map aliases and dotted keys to {toml_key: port or None}; None means 'remove the key'."""
    if ports is None:
        return {}
    if not isinstance(ports, dict):
        raise PortError('ports must be a dict of alias or dotted key to port, got %r' % (ports,))
    wanted = {}
    for name, value in ports.items():
        key = check_port_key(str(name))
        if key in wanted:
            raise PortError('%s is given twice (as %r and by its alias); give it once' % (key, name))
        wanted[key] = None if value is None else parse_port(value, key)
    return wanted


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


def listening(entries):
    """The entries of a port map that MI really opens: enabled and with a known port."""
    return dict((name, entry) for name, entry in entries.items() if entry.get('enabled') and entry.get('port'))


def port_conflicts(instances, reserved=None):
    """Equal effective ports of every listener MI opens, across instances and against reserved ports.

    instances maps name -> port map (or {name: port}); reserved maps port -> what holds it.
    Returns a list of {port, first, second}; empty means no conflict.
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
        for listener in sorted(ports):
            entry = ports[listener]
            if isinstance(entry, dict) and (entry.get('enabled') is False or entry.get('port') is None):
                continue
            port = parse_port(entry['port'] if isinstance(entry, dict) else entry, '%s.%s' % (name, listener))
            owner = '%s %s' % (name, listener)
            if port in owners:
                conflicts.append({'port': port, 'first': owners[port], 'second': owner})
            else:
                owners[port] = owner
    return conflicts


def describe_conflicts(conflicts):
    """One sentence per conflict, for error messages."""
    return '; '.join('port %d is used by both %s and %s' % (c['port'], c['first'], c['second'])
                     for c in conflicts)


__all__ = ['describe_conflicts', 'effective_port', 'instance_model', 'listening', 'lookup', 'nest', 'normalize_ports', 'parse_sources',
           'port_conflicts', 'port_map', 'refuse_problems']
