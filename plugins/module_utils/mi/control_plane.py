# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control plane an MI instance registers with, and what MI tells it about its Management API.

Pure Python, no Ansible, no I/O: the input is the deployment.toml as plain data, its port model
(mi.ports.instance_model) and what MI starts with. Facts from MI's source (wso2/product-integrator-mi,
components/org.wso2.micro.integrator.initializer/.../initializer/dashboard/):
* Constants.java names the keys: [dashboard_config] dashboard_url, group_id, node_id, heartbeat_interval,
  management_hostname, management_port (the last two from 4.1); [icp_config] enabled, icp_url (default
  https://localhost:9445), environment, project, integration, runtime, heartbeat_interval, ssl_verify, secret (4.6).
  The default heartbeat interval is 5 s up to 4.5 and 10 s from 4.6.
* HeartBeatComponent.java: ICP when icp_config.enabled is "true" (any case), else the dashboard when dashboard_url is
  set. The dashboard gets https://<carbon.local.ip>:<the real internal HTTPS port>/management/; with
  management_hostname it gets that host instead, with management_port that port, without it no port (https: 443).
  management_port alone is ignored. An interval that Integer.parseInt refuses stops the heartbeat.
* ICPHeartBeatComponent.java (4.6): runtimeHostname = server.hostname, else carbon.local.ip (the host's address, set
  by CoreServerInitializer.java at start), else localhost; runtimePort = 9164 - 10 + server.offset of the file, 9164
  when the offset is 0, unset or not a number: internal_https_api_port and -DportOffset are ignored. No secret: the
  heartbeat does not start. A bad interval is logged and 10 is used.
A placeholder's value is never put in a message; the secret is never read.
"""

import ipaddress
from urllib.parse import urlsplit

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.listeners import OFFSET_KEY
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.ports import SettingsReader, lookup
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.values import (
    PortError,
    Unresolved,
    parse_int,
)

ICP_FROM = (4, 6)  # the ICP 2.0 agent
ICP_AGENT_PORT = 9164  # ICPHeartBeatComponent: ICP_API_DEFAULT_PORT, the base of its arithmetic
DEFAULT_ICP_URL = 'https://localhost:9445'
MANAGEMENT = 'management_https'  # the listener the control plane calls (mi.listeners)
_SETTINGS = {
    'icp': (('environment', 'production'), ('project', 'default'), ('integration', 'default'), ('runtime', None),
            ('ssl_verify', 'true')),
    'dashboard': (('group_id', 'default'), ('node_id', None), ('management_hostname', None),
                  ('management_port', None)),
}
_TABLE = {'icp': 'icp_config', 'dashboard': 'dashboard_config'}


def _newer(version, than):
    return version is None or tuple(version) >= than


class _Settings:
    """One instance's settings, read as MI's config tool hands them to the heartbeat (placeholders resolved)."""

    def __init__(self, config, jvm_args, environment):
        self.reader = SettingsReader(config, jvm_args, environment)
        self.config = config
        self.problems = []

    def text(self, key, default=None):
        """(text as Java's toString gives it, or Unresolved, or default; what to show: the placeholder when one)."""
        stored = lookup(self.config, key)
        if stored is None:
            return default, default
        if isinstance(stored, (dict, list)):
            self.problems.append('%s is a table or array, not a value; MI cannot use it' % key)
            return None, None
        value = self.reader.resolver.resolve(stored) if isinstance(stored, str) else stored
        shown = stored if isinstance(stored, str) and value != stored else value
        if isinstance(value, bool):
            value = str(value).lower()
        return (value if isinstance(value, Unresolved) else str(value)), shown


def _kind(settings, version):
    enabled, _shown = settings.text('icp_config.enabled')
    if isinstance(enabled, Unresolved):
        settings.problems.append('icp_config.enabled is %s, whose source is unknown: whether MI uses ICP cannot be '
                                 'told' % enabled.placeholder)
    elif enabled is not None and enabled.lower() == 'true':
        if _newer(version, ICP_FROM):
            return 'icp'
        settings.problems.append('icp_config is read from MI 4.6; this MI (%s) ignores it'
                                 % '.'.join(str(part) for part in version))
    url, _shown = settings.text('dashboard_config.dashboard_url')
    return 'dashboard' if url is not None else None


def _address(settings, kind):
    """{url (shown), scheme, host, port} of the control plane, or with host None when it cannot be read."""
    key = '%s.%s' % (_TABLE[kind], 'icp_url' if kind == 'icp' else 'dashboard_url')
    value, shown = settings.text(key, DEFAULT_ICP_URL if kind == 'icp' else None)
    found = {'key': key, 'url': None, 'scheme': None, 'host': None, 'port': None}
    if isinstance(value, Unresolved):
        settings.problems.append('%s is %s, whose source is unknown' % (key, value.placeholder))
        found['url'] = value.placeholder
        return found
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in ('http', 'https') or not parts.hostname:
        settings.problems.append('%s is not an http(s) URL with a host%s; MI cannot reach its control plane'
                                 % (key, '' if shown != value else ' (%r)' % _without_userinfo(value)))
        found['url'] = shown if shown != value else _without_userinfo(value)
        return found
    found.update(url=shown if shown != value else _without_userinfo(value), scheme=parts.scheme,
                 host=parts.hostname, port=port or (443 if parts.scheme == 'https' else 80))
    return found


def _without_userinfo(url):
    """The URL without user:password@ (credentials are never shown)."""
    head, sep, rest = str(url).partition('://')
    if not sep:
        return str(url)
    netloc, slash, path = rest.partition('/')
    return head + sep + netloc.rpartition('@')[2] + slash + path


def _interval(settings, kind, version):
    key = '%s.heartbeat_interval' % _TABLE[kind]
    default = 10 if kind == 'icp' or (version is not None and tuple(version) >= ICP_FROM) else 5
    value, shown = settings.text(key)
    if value is None:
        return default
    if isinstance(value, Unresolved):
        return None
    try:
        return parse_int(value, key, 'seconds, a whole number')
    except PortError:
        consequence = ('MI logs a warning and sends one every %d s' % default if kind == 'icp'
                       else 'Integer.parseInt fails and MI sends no heartbeat at all')
        settings.problems.append('%s is %r, not a whole number of seconds: %s'
                                 % (key, shown if shown != value else value, consequence))
        return default if kind == 'icp' else None


def _advertised_icp(settings, properties):
    """(host, how, port, how) that MI 4.6's ICP agent puts in its heartbeat."""
    host, _shown = settings.text('server.hostname')
    if isinstance(host, Unresolved) or host:
        how_host = 'server.hostname'
    else:
        host = properties.get('carbon.local.ip')
        how_host = '-Dcarbon.local.ip' if host else 'the host\'s own address (carbon.local.ip, set by MI at start)'
    host = None if isinstance(host, Unresolved) else host
    offset, _shown = settings.text(OFFSET_KEY)
    if isinstance(offset, Unresolved):
        return host, how_host, None, 'unknown: server.offset is %s' % offset.placeholder
    try:
        number = 0 if offset is None else parse_int(offset, OFFSET_KEY, 'a whole number')
    except PortError:
        number = 0  # the agent keeps 0 when Integer.parseInt fails
    if number == 0:
        return host, how_host, ICP_AGENT_PORT, 'the agent\'s 9164, [server] offset %s' % (
            'unset' if offset is None else '0 or not a number')
    return host, how_host, ICP_AGENT_PORT - 10 + number, 'the agent\'s 9164 - 10 + [server] offset %d' % number


def _advertised_dashboard(settings, real, properties):
    host, _shown = settings.text('dashboard_config.management_hostname')
    host = None if isinstance(host, Unresolved) else host
    port, port_shown = settings.text('dashboard_config.management_port')
    if host is None:
        local = properties.get('carbon.local.ip')
        if port is not None:
            settings.problems.append('dashboard_config.management_port is set without management_hostname: MI '
                                     'ignores it and sends its real port')
        return (local, '-Dcarbon.local.ip' if local else 'the host\'s own address (carbon.local.ip, set by MI at '
                'start)', real, 'the real Management API port')
    if port is None:
        return host, 'dashboard_config.management_hostname', 443, (
            'no management_port: the URL has no port, https uses 443')
    if isinstance(port, Unresolved):
        return host, 'dashboard_config.management_hostname', None, 'unknown: %s' % port.placeholder
    try:
        number = parse_int(port, 'dashboard_config.management_port', 'a port')
    except PortError:
        settings.problems.append('dashboard_config.management_port is %r, not a port'
                                 % (port_shown if port_shown != port else port))
        number = None
    return host, 'dashboard_config.management_hostname', number, 'dashboard_config.management_port'


def _management(model):
    """{port, listening (True, False, None unknown), how} of the Management API over HTTPS."""
    entry = (model or {}).get('ports', {}).get(MANAGEMENT)
    if not entry:
        return {'port': None, 'listening': None, 'how': 'unknown'}
    how = '%s + offset %s' % (entry['base'], entry['offset'])
    if model.get('offset_source') == 'jvm':
        how += ' (-DportOffset)'
    elif entry.get('set_in_file'):
        how = 'internal_https_api_port ' + how
    return {'port': entry['port'], 'listening': entry['enabled'], 'how': how}


def read_control_plane(config, model, jvm_args=None, environment=None, version=None):
    """The control plane of one instance, or {'kind': None} when it registers with none.

    config: deployment.toml as plain data; model: mi.ports.instance_model() of the same file and start;
    version: MI's version tuple, None when unknown (then 4.6's behaviour is assumed where versions differ).
    Returns {kind ('icp' or 'dashboard'), key, url (no credentials; a placeholder as written), scheme, host, port,
    heartbeat_interval, settings (non-secret values, placeholders as written), secret_set (ICP), advertised {host,
    host_source, port, port_source}, management {port, listening, how}, problems}.
    """
    settings = _Settings(config, jvm_args, environment)
    kind = _kind(settings, version)
    if kind is None:
        return {'kind': None, 'problems': settings.problems}
    found = _address(settings, kind)
    management = _management(model)
    properties = settings.reader.properties
    if kind == 'icp':
        host, host_how, port, port_how = _advertised_icp(settings, properties)
        if lookup(config, 'icp_config.secret') is None:
            settings.problems.append('icp_config.secret is not set: MI refuses to start the ICP heartbeat (it signs '
                                     'each heartbeat with it)')
    else:
        host, host_how, port, port_how = _advertised_dashboard(settings, management['port'], properties)
    values = dict((name, settings.text('%s.%s' % (_TABLE[kind], name), default)[1])
                  for name, default in _SETTINGS[kind])
    if kind == 'dashboard' and properties.get('node.id'):
        values['node_id'] = '-Dnode.id'  # it wins over the file (HeartBeatComponent.getNodeId)
    found.update(kind=kind, heartbeat_interval=_interval(settings, kind, version), settings=values,
                 advertised={'host': host, 'host_source': host_how, 'port': port, 'port_source': port_how},
                 management=management, problems=settings.problems)
    if kind == 'icp':
        found['secret_set'] = lookup(config, 'icp_config.secret') is not None
    return found


def literal_address(host):
    """The IP address a host names without a lookup (an IP literal, localhost), else None."""
    if host is None:
        return None
    if host.lower() in ('localhost', 'localhost.localdomain'):
        return '127.0.0.1'
    try:
        return str(ipaddress.ip_address(host.strip('[]')))
    except ValueError:
        return None


def is_loopback(address):
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _name(plane):
    return 'ICP' if plane['kind'] == 'icp' else 'the dashboard'


def advertised_problems(plane):
    """[(kind, message, ports)] where what the control plane is told does not reach MI's Management API."""
    if not plane or not plane.get('kind'):
        return []
    found = []
    told, real = plane['advertised'], plane['management']
    if real['listening'] is False:
        found.append(('control_plane_port', '%s calls the Management API over HTTPS on %s, but MI serves it on no '
                      'HTTPS port ([management_api] protocols or [mediation] internal_http_api_enable)'
                      % (_name(plane), told['port']), [p for p in (told['port'],) if p]))
    elif told['port'] is not None and real['port'] is not None and told['port'] != real['port']:
        override = plane['kind'] == 'dashboard' and told['port_source'] == 'dashboard_config.management_port'
        found.append(('control_plane_override' if override else 'control_plane_port',
                      '%s is told management port %d (%s), but MI listens on %d (%s)%s' % (
                          _name(plane), told['port'], told['port_source'], real['port'], real['how'],
                          ': right only when a NAT or proxy forwards %d to it' % told['port'] if override else
                          ': it cannot call this node back'), sorted(set([told['port'], real['port']]))))
    peer = literal_address(plane.get('host'))
    if is_loopback(literal_address(told['host'])) and peer is not None and not is_loopback(peer):
        found.append(('control_plane_host', '%s at %s is told to call this node at %s (%s): that is itself'
                      % (_name(plane), plane['host'], told['host'], told['host_source']), []))
    return found


def within(address, networks):
    """Whether an IP address is inside one of the networks (canonical strings; None means any address)."""
    if networks is None:
        return True
    ip = ipaddress.ip_address(address)
    parsed = [ipaddress.ip_network(network, strict=False) for network in networks]
    return any(ip.version == net.version and ip in net for net in parsed)


def blocked_message(plane, address, reach):
    """Why the firewall keeps the control plane at address from the management port (reach: firewall.reach.reach_of
    of that port), or None when it lets it through or cannot be told."""
    state, port = reach['state'], plane['management']['port']
    if state in ('any', 'unknown') or address is None:
        return None
    if state == 'local':
        return None if is_loopback(address) else (
            'management port %d listens on loopback only: %s at %s cannot reach it' % (port, _name(plane), address))
    if state == 'sources' and within(address, reach['sources']):
        return None
    allowed = 'lets only %s reach' % ', '.join(reach['sources']) if state == 'sources' else 'lets nobody reach'
    return 'the firewall %s management port %d; %s at %s (%s) is not among them' % (
        allowed, port, _name(plane), address, plane['key'])


def sources_warning(instance, plane, address, management_sources):
    """The plan's warning when management_sources leave the control plane out, else None."""
    if address is None or is_loopback(address) or within(address, management_sources):
        return None
    return ('%s: management_sources (%s) leave out %s at %s (%s): it cannot call the Management API on %s; add it to '
            'management_sources, or set allow_control_plane: true' % (
                instance, ', '.join(management_sources) or 'none', _name(plane), address, plane['key'],
                plane['management']['port']))


def follow_warnings(instance, before, after):
    """What the plan must say so that the control plane's view stays true after the run: [warning]."""
    if not after or not after.get('kind'):
        return []
    warnings = []
    for kind, message, _ports in advertised_problems(after):
        if kind == 'control_plane_port' and after['kind'] == 'icp' and after['management']['listening']:
            warnings.append('%s: after this run %s; MI 4.6\'s agent computes 9164 - 10 + [server] offset: move the '
                            'management port with [server] offset only (no -DportOffset, no internal_https_api_port)'
                            % (instance, message))
        elif kind == 'control_plane_override' and before and before.get('management', {}).get('port') == \
                after['advertised']['port']:
            warnings.append('%s: after this run %s, the port it listened on before; set [dashboard_config] '
                            'management_port = %d (ports: {dashboard_config.management_port: %d}) unless a NAT '
                            'forwards it' % (instance, message, after['management']['port'],
                                             after['management']['port']))
        elif kind != 'control_plane_override':
            warnings.append('%s: after this run %s' % (instance, message))
    return warnings
