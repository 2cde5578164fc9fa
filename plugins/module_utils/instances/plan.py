# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan for all MI instances of one host: from what was read to what to write and what to return.

Pure: no I/O. The host module reads every instance's deployment.toml, what its systemd unit starts
it with and the host's listening sockets, hands them here, and writes only when the plan has no
problem at all. Only what the user sets is enforced: an offset or port not given keeps the file's.
"""

import re

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.proc import changed_after_start
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml.engine import (
    TomlEditError,
    edit_ports,
    parse_plain,
    read_model,
    unified_diff,
)
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.ports import describe_conflicts, listening, port_conflicts
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.values import PortError, parse_offset
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.deployed import inbound_endpoints
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.version import features

_INSTANCE_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_-]*\Z')


INBOUND_FIELDS = ('endpoint', 'artifact', 'offset_applied')


def listeners_of(name, ports):
    """The flat listener list a firewall is fed from: what MI opens, enabled and with a known port. An inbound
    endpoint's also names the endpoint, where it is deployed (artifact: the file, or <capp>!<member>) and whether
    the offset applied."""
    return [dict(dict((field, entry[field]) for field in INBOUND_FIELDS if 'endpoint' in entry),
                 instance=name, name=port_name, key=entry['key'], port=entry['port'], exposure=entry['exposure'],
                 protocol=entry['protocol'], bind_address=entry['bind_address'], apis=entry['apis'])
            for port_name, entry in sorted(listening(ports).items())]


def _signature(ports):
    """What MI listens on: the thing a restart changes."""
    return sorted((entry['port'], entry['bind_address'] or '') for entry in listening(ports).values())


def _jvm_offset(startup):
    value = startup.get('system_properties', {}).get('portOffset')
    try:
        return None if value is None else parse_offset(value, '-DportOffset')
    except PortError:
        return None  # the model reports the bad value itself


def _contradiction(wanted, startup):
    """The -DportOffset that would override the offset the user asks for, as a problem, or None."""
    jvm = _jvm_offset(startup)
    if wanted.get('offset') is None or jvm is None or jvm == wanted['offset']:
        return None
    where = startup.get('property_sources', {}).get('portOffset', 'the JVM arguments')
    return ('MI starts with -DportOffset=%d (%s), which wins over the offset %d asked for; remove it there or '
            'ask for offset %d' % (jvm, where, wanted['offset'], jvm))


def _instance(wanted, current):
    """(result, problems) of one instance."""
    startup = current['startup']
    context = (startup.get('jvm_args'), startup.get('environment'), inbound_endpoints(wanted, current))
    problems = list(current.get('problems', [])) + list((current.get('deployed') or {}).get('problems') or [])
    contradiction = _contradiction(wanted, startup)
    if contradiction:
        problems.append(contradiction)
    if current.get('text') is None:
        return None, problems
    try:
        before = read_model(current['text'], *context)
        edit = edit_ports(current['text'], wanted.get('ports'), wanted.get('offset'), *context, plan_only=True)
    except (PortError, TomlEditError) as exc:
        return None, problems + [str(exc)]
    ports = edit.model['ports']
    found = features(current.get('version'), parse_plain(current['text']))  # the edit never touches [server] graceful_shutdown_timeout
    return dict(found, **{
        'name': wanted['name'], 'home': wanted['home'], 'path': current['path'], 'service': wanted.get('service'),
        'changed': edit.changed, 'changes': edit.changes, 'text': edit.text,
        'diff': unified_diff(current['text'], edit.text, edit.changes, current['path']) if edit.changed else '',
        'offset': edit.offset, 'offset_source': edit.model['offset_source'], 'ports': ports,
        'listeners': listeners_of(wanted['name'], ports), 'notes': edit.model['notes'],
        'restart_needed': _signature(before['ports']) != _signature(ports),
        'moved': _moves(before['ports'], ports),
        'listening_before': [{'port': entry['port'], 'address': entry['bind_address']}
                             for entry in listening(before['ports']).values()],
        'active': startup.get('active'), 'running': bool(current.get('pids')) or startup.get('active') is True,
        'pids': current.get('pids', []), 'stop_timeout': startup.get('stop_timeout'),
        'unresolved': sorted(name for name, entry in ports.items() if entry['enabled'] is not False
                             and not entry['resolved']),
    }), problems


def stop_warning(result):
    """A warning when systemd would kill MI before its graceful shutdown ends (it then drops in-flight messages),
    else None."""
    stop, graceful = result.get('stop_timeout'), result.get('graceful_shutdown_timeout') or 0
    if not result.get('service') or stop is None or graceful <= stop:
        return None
    return ('%s: MI may take up to %d s to shut down gracefully ([server] graceful_shutdown_timeout), but the unit %s '
            'kills it after %g s (TimeoutStopSec): set TimeoutStopSec=%d in a drop-in of the unit, or lower '
            'graceful_shutdown_timeout' % (result['name'], graceful, result['service'], stop, graceful + 10))


def _moves(before, after):
    """{listener: [port before, port after]} of the listeners whose port changes (None: closed / not open)."""
    was, now = listening(before), listening(after)
    return dict((name, [was[name]['port'] if name in was else None, now[name]['port'] if name in now else None])
                for name in sorted(set(was) | set(now))
                if (was.get(name) or {}).get('port') != (now.get(name) or {}).get('port'))


def _not_applied(result, entry, sockets):
    """Whether the running JVM has not applied the file yet (a restart is still pending from an earlier run):
    the file changed after the JVM started and the JVM does not hold every port of the file. A listener that
    failed at start, with the file unchanged since, is no reason to restart. Unknown owners: not claimed."""
    pids = set(entry.get('pids') or [])
    if not pids or not result['listeners'] or not changed_after_start(entry.get('file_mtime'), entry.get('started')):
        return False
    if any(socket['pids'] is None for socket in sockets):
        return False
    held = set(socket['port'] for socket in sockets if pids & set(socket['pids']))
    return any(listener['port'] not in held for listener in result['listeners'])


def _value(value):
    return 'unset' if value is None else value


def summary_line(result):
    """One line of the plan: the port map MI will listen on (with what moves), the file changes, the restart."""
    moved = result.get('moved', {})
    ports = ['%s %s' % (listener['name'], listener['port'])
             + (' (was %s)' % (moved[listener['name']][0] or 'closed') if listener['name'] in moved else '')
             for listener in result['listeners']]
    ports += ['%s %s closes' % (name, move[0]) for name, move in sorted(moved.items()) if move[1] is None]
    changes = ', '.join('%s %s -> %s' % (c['key'], _value(c['before']), _value(c['after'])) for c in result['changes'])
    if result['restart_needed'] and not result['running']:
        restart = 'not running: the new ports apply at its next start'
    elif result['restart_needed']:
        restart = 'restart needed%s' % ('' if result['changed'] else ' (the running MI has not applied the file yet)')
    else:
        restart = 'no restart'
    return '%s: %s; offset %s (%s); file: %s; %s' % (
        result['name'], ', '.join(ports) or 'no listener', result['offset'], result['offset_source'],
        changes or 'unchanged', restart)


def _repeated(values):
    return sorted(set(value for value in values if values.count(value) > 1))


def _host_problems(wanted, homes, files):
    """Names and homes given twice, and instances whose deployment.toml is one file (a link between homes)."""
    found = []
    for instance in wanted:
        if not _INSTANCE_NAME.match(str(instance['name'])):
            found.append('instance name %r must be letters, digits, _ and - (it names firewall objects)'
                         % (instance['name'],))
    found.extend('instance name %s is given more than once' % name
                 for name in _repeated([instance['name'] for instance in wanted]))
    found.extend('MI home %s is given for more than one instance (%s)' % (home, ', '.join(
        instance['name'] for instance in wanted if homes[instance['name']] == home))
        for home in _repeated(list(homes.values())))
    found.extend('%s is the deployment.toml of more than one instance (%s, through a symbolic link); each instance '
                 'needs a file of its own' % (path, ', '.join(i['name'] for i in wanted if files[i['name']] == path))
                 for path in _repeated([files[i['name']] for i in wanted
                                        if homes[i['name']] not in _repeated(list(homes.values()))]))
    return found


def _foreign_listeners(results, sockets):
    """Ports the instances will listen on that another process already holds."""
    ours = set(pid for result in results for pid in result['pids'])
    taken = {}
    for socket in sockets:
        if socket['pids'] is None or set(socket['pids']) - ours:
            taken.setdefault(socket['port'], socket)
    found = []
    for result in results:
        for listener in result['listeners']:
            socket = taken.get(listener['port'])
            if socket:
                holder = ('%s (pid %s)' % (', '.join(socket['programs'] or ['?']), ', '.join(map(str, socket['pids'])))
                          if socket['pids'] else 'a process this user cannot see')
                found.append('port %d (%s %s) is already in use by %s; choose another port or stop that process'
                             % (listener['port'], result['name'], listener['name'], holder))
    return found


def plan_host(wanted, current, sockets=None, reserved=None):
    """Everything the host module does, decided before any write.

    wanted: the instances as asked [{name, home, service, offset, ports, inbound_endpoints}];
    current: {name: {'path', 'home_key', 'text' (None when unreadable), 'problems', 'startup' (jvm_args,
    environment, system_properties, property_sources, active), 'pids' (its running JVMs)}};
    sockets: a function (ports, pids of the instances' JVMs) -> the sockets listening on those ports
    (proc_scan.listening_sockets), None to skip that check;
    reserved: {port: holder}. Returns {'instances': [...], 'listeners': [...], 'problems': [...]}: with any
    problem nothing may be written.
    """
    problems = _host_problems(wanted, dict((i['name'], current[i['name']]['home_key']) for i in wanted),
                              dict((i['name'], current[i['name']]['path']) for i in wanted))
    results = []
    for instance in wanted:
        result, found = _instance(instance, current[instance['name']])
        problems.extend('%s: %s' % (instance['name'], problem) for problem in found)
        if result:
            results.append(result)
    conflicts = port_conflicts(dict((r['name'], r['ports']) for r in results), reserved)
    if conflicts:  # among the instances that could be read: every problem is named at once
        problems.append(describe_conflicts(conflicts))
    if results and sockets is not None:
        ports = set(listener['port'] for result in results for listener in result['listeners'])
        pids = [pid for result in results for pid in result['pids']]
        found = sockets(ports, pids)
        problems.extend(_foreign_listeners(results, found))
        for result in results:
            if not result['restart_needed'] and _not_applied(result, current[result['name']], found):
                result['restart_needed'] = True
    for result in results:
        result['plan'] = summary_line(result)
    return {'instances': results, 'listeners': [listener for r in results for listener in r['listeners']],
            'problems': problems}
