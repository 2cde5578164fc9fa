# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The port audit of one host: per instance and port, configured / listening / reachable, and the drift.

Pure: no I/O. The audit module reads the host (files, units, /proc, the firewall) into plain data
and hands it to audit_host(). Three views of each instance are compared:
* configured: the port model of the file with what the unit starts MI with (the next start);
* running: the same file read with what the running JVM was started with (its /proc cmdline and
  environ), which is what the JVM listens on when the file has not changed since it started;
* listening: the sockets the JVM really holds (proc_scan.listening_sockets(pid=N)).
"""

import re
import time

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.audit.findings import finding
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.proc import changed_after_start
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml.engine import (
    TomlEditError,
    read_model,
)
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall.reach import our_rules, reach_of
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.ports import listening, port_conflicts
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.startup import process_startup
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.values import PortError, parse_offset

_JDWP = re.compile(r'^-(?:agentlib:jdwp=|Xrunjdwp:).*address=(?:[^,]*:)?(\d+)')
_JMX_PORTS = ('com.sun.management.jmxremote.port', 'com.sun.management.jmxremote.rmi.port')
_MANAGEMENT_LABELS = ('jdwp', 'jmx')


def _model(text, startup, inbound):
    """(model, problem): the port model, or the reason it cannot be built."""
    try:
        return read_model(text, startup.get('jvm_args'), startup.get('environment'), inbound), None
    except (PortError, TomlEditError) as exc:
        return None, str(exc)


def _process_context(process):
    found = process_startup(process['argv'], process.get('environ'))
    return {'jvm_args': found['jvm_args'], 'environment': process.get('environ') or {},
            'system_properties': found['system_properties']}


def _labels(processes):
    """{port: 'jdwp' or 'jmx'} for ports the JVMs' own arguments name."""
    labels = {}
    for process in processes:
        for word in process['argv']:
            match = _JDWP.match(word)
            if match:
                labels[int(match.group(1))] = 'jdwp'
        properties = _process_context(process)['system_properties']
        for name in _JMX_PORTS:
            if str(properties.get(name, '')).isdigit():
                labels[int(properties[name])] = 'jmx'
    return labels


# -- one instance -----------------------------------------------------------------------------------
class _Instance:
    """The rows and findings of one instance, built from its read entry."""

    def __init__(self, entry, host):
        self.entry, self.host = entry, host
        self.name = entry['name']
        self.findings = []
        self.rows = {}
        self.processes = entry.get('processes') or []
        self.started = min([p['started'] for p in self.processes if p.get('started')] or [None])
        self.configured = self.running = None
        self.suspended = {}  # {port: listener name} of suspended inbound endpoints
        self.inbound_failed = []  # ports of deployed endpoints not listening while MI runs (cause added by the host)
        self.offsets = {'configured': None, 'configured_source': None, 'running': None, 'running_source': None}

    def entry_pids(self):
        return [process['pid'] for process in self.processes]

    def add(self, kind, message, ports=(), **fields):
        self.findings.append(finding(kind, self.name, message, ports, **fields))

    def row(self, port):
        return self.rows.setdefault(port, {
            'port': port, 'name': None, 'key': None, 'exposure': None, 'apis': [], 'configured': False,
            'listening': False, 'addresses': [], 'pids': [], 'label': None, 'rules': [], 'findings': []})

    def build(self):
        self._read_models()
        self._configured_rows()
        self._listening_rows()
        for row in self.rows.values():
            row['reachable'] = reach_of(self.host.get('firewall'), row['port'], row['addresses'])
        if self.processes:
            if self.configured and not self.configured['problems']:  # else MI would not start with this file
                self._offsets()
                self._listener_drift()
        elif self.entry.get('listed', True):
            self.add('instance_down', 'no running JVM of %s%s' % (self.entry['home'], self._unit_state()),
                     service='systemctl start %s' % self.entry['service'] if self.entry.get('service')
                     else 'bin/micro-integrator.sh')
        if not self.entry.get('listed', True):
            self.add('unlisted_instance', 'a JVM (pid %s) runs MI from %s, which is not in the instance list'
                     % (', '.join(str(p['pid']) for p in self.processes), self.entry['home']))
        self._reach_findings()
        return self

    def _unit_state(self):
        startup = self.entry.get('startup') or {}
        return ' (unit %s inactive)' % startup['unit'] if startup.get('unit') and not startup.get('active') else ''

    def _read_models(self):
        for problem in self.entry.get('problems') or []:
            self.add('unreadable', problem)
        for problem in self.entry.get('inbound_problems') or []:
            self.add('inbound_failed', 'MI cannot deploy it: %s' % problem)
        text = self.entry.get('text')
        if text is None:
            return
        inbound = self.entry.get('inbound_endpoints')
        self.configured, problem = _model(text, self.entry.get('startup') or {}, inbound)
        if problem:
            self.add('unreadable', problem)
            return
        self.offsets.update(configured=self.configured['offset'], configured_source=self.configured['offset_source'])
        for problem in self.configured['problems']:
            self.add('unreadable', 'MI would refuse to start: %s' % problem)
        if self.processes:
            self.running, _problem = _model(text, _process_context(self.processes[0]), inbound)

    def _configured_rows(self):
        if not self.configured:
            return
        for name, entry in sorted(listening(self.configured['ports']).items()):
            row = self.row(entry['port'])
            row.update(name=name, key=entry['key'], exposure=entry['exposure'], apis=entry['apis'], configured=True,
                       base=entry['base'], offset=entry['offset'], bind_address=entry['bind_address'])
            if entry.get('endpoint'):
                row.update(endpoint=entry['endpoint'], artifact=entry.get('artifact'))
        self.suspended = dict((entry['port'], name) for name, entry in sorted(self.configured['ports'].items())
                              if entry.get('suspended') and entry.get('port'))
        unresolved = sorted(name for name, entry in self.configured['ports'].items()
                            if entry['enabled'] is not False and not entry['resolved'])
        if unresolved:
            self.add('unresolved_port', 'the port of %s depends on a placeholder whose source is unknown'
                     % ', '.join(unresolved))

    def _listening_rows(self):
        labels = _labels(self.processes)
        low, high = self.host.get('ephemeral', (32768, 60999))
        for process in self.processes:
            for socket in process.get('sockets') or []:
                row = self.row(socket['port'])
                row['listening'] = True
                row['addresses'] = sorted(set(row['addresses'] + [socket['address']]))
                row['pids'] = sorted(set(row['pids'] + [process['pid']]))
                if not row['configured'] and socket['port'] in self.suspended:
                    row.update(label='suspended', name=self.suspended[socket['port']], exposure='public')
                elif not row['configured']:
                    row['label'] = labels.get(socket['port']) or ('random' if low <= socket['port'] <= high
                                                                  else 'unknown')
                    row['name'] = row['name'] or row['label']
                    row['exposure'] = 'management' if row['label'] in _MANAGEMENT_LABELS else row['exposure']

    # -- drift between configured, running and listening --------------------------------------------
    def _changed_after_start(self):
        return changed_after_start(self.entry.get('file_mtime'), self.started)

    def _previous_ports(self):
        """{port: listener} the JVM opened from what it started with: the running model when the file has not
        changed since, else the configured listeners moved to the offset the JVM runs with."""
        if self.running and not self._changed_after_start():
            return dict((entry['port'], name) for name, entry in listening(self.running['ports']).items())
        running = self.offsets['running']
        if running is None or not self.configured:
            return {}
        return dict((entry['base'] + (running if entry['offset_applied'] else 0), name)
                    for name, entry in listening(self.configured['ports']).items() if entry['base'] is not None)

    def _listener_drift(self):
        previous = self._previous_ports()
        pending, stale, failed, unexpected, random, activated = [], [], [], [], [], []
        for port, row in sorted(self.rows.items()):
            if row['configured'] and not row['listening'] and row.get('endpoint'):
                self.inbound_failed.append(port)  # MI deploys artifacts while it runs: no restart is pending
            elif row['configured'] and not row['listening']:
                (pending if port not in previous or self._changed_after_start() else failed).append(port)
            elif row['listening'] and not row['configured'] and port in previous and row['label'] == 'unknown':
                row.update(label='stale', name=previous[port],
                           exposure=(self.configured or self.running)['ports'][previous[port]]['exposure'])
                stale.append(port)
            elif row['listening'] and not row['configured']:
                {'random': random, 'unknown': unexpected, 'suspended': activated}.get(row['label'], []).append(port)
        if pending or stale:
            self.add('restart_pending', '%s: %s' % ('; '.join(
                text for text in ('%s configured, not listening' % _ports(pending) if pending else '',
                                  'the JVM still listens on %s from before the change' % _ports(stale) if stale else '')
                if text), self._why_pending()), pending + stale)
        if failed:
            self.add('listener_failed', '%s configured and expected since MI started at %s, but not listening'
                     % (_ports(failed), _when(self.started)), failed)
        if unexpected:
            self.add('unexpected_listener', 'the JVM listens on %s, which its configuration does not have%s'
                     % (_ports(unexpected), ' (maybe from before the change: the file changed after MI started)'
                        if self._changed_after_start() else ''), unexpected)
        if activated:
            self.add('inbound_activated', 'the JVM listens on %s of the suspended inbound endpoint%s %s: activated at '
                     'run time (the Management API of MI 4.5+, or a state saved in the registry)' % (
                         _ports(activated), 's' if len(activated) > 1 else '',
                         ', '.join(self.rows[port]['name'] for port in activated)), activated)
        if random:
            low, high = self.host.get('ephemeral', (32768, 60999))
            self.add('random_port', 'the JVM listens on %s, in the kernel\'s ephemeral range %d-%d'
                     % (_ports(random), low, high), random)

    def _why_pending(self):
        if self._changed_after_start():
            return '%s changed at %s, after MI started at %s' % (self.entry.get('path') or 'the file',
                                                                 _when(self.entry['file_mtime']), _when(self.started))
        return 'what MI starts with changed after it started at %s (unit, environment or JVM arguments)' % _when(
            self.started)

    def _offsets(self):
        running, how = self._running_offset()
        wanted, source = self.configured['offset'], self.configured['offset_source']
        self.offsets.update(running=running, running_source=how)
        if running is not None and wanted is not None and running != wanted:
            self.add('offset_drift', 'the JVM runs with offset %d (%s); its next start uses %d (%s)'
                     % (running, how, wanted, _source(source, self.entry.get('startup'))))
        file_offset = self._file_offset()
        if source == 'jvm' and file_offset is not None and file_offset != wanted:
            self.add('offset_overridden', '-DportOffset=%d (%s) overrides offset %d of the file'
                     % (wanted, _source(source, self.entry.get('startup')), file_offset))

    def _running_offset(self):
        """(offset, how it is known) of the running JVM, or (None, reason)."""
        properties = _process_context(self.processes[0])['system_properties']
        if 'portOffset' in properties:
            try:
                return parse_offset(properties['portOffset'], '-DportOffset'), '-DportOffset of the running JVM'
            except PortError:
                return None, 'invalid -DportOffset of the running JVM'
        if self.running and not self._changed_after_start():
            return self.running['offset'], 'the file, unchanged since MI started'
        return _offset_from_sockets(self.configured['ports'], self.rows), 'inferred from the listening sockets'

    def _file_offset(self):
        words = [word for word in (self.entry.get('startup') or {}).get('jvm_args') or []
                 if not word.startswith('-DportOffset=')]
        if not self.configured['offset_set_in_file']:
            return None
        model, _problem = _model(self.entry['text'], dict(self.entry.get('startup') or {}, jvm_args=words),
                                 self.entry.get('inbound_endpoints'))
        return model['offset'] if model else None

    def _reach_findings(self):
        exposed, closed = [], []
        for port, row in sorted(self.rows.items()):
            state = row['reachable']['state']
            if not row['listening'] or state in ('local', 'unknown'):
                continue
            if state == 'any' and (row['exposure'] == 'management' or 'management_api' in row['apis']):
                exposed.append(port)
            elif state == 'closed' and row['configured'] and row['exposure'] in ('public', 'monitoring'):
                closed.append(port)
        if exposed:
            self.add('management_exposed', '%s (%s) reachable from any address (%s)' % (
                _ports(exposed), ', '.join(self.rows[p]['name'] for p in exposed),
                self.rows[exposed[0]]['reachable']['by']), exposed)
        if closed:
            self.add('firewall_closed', '%s (%s) listening, but the firewall lets nobody through' % (
                _ports(closed), ', '.join(self.rows[p]['name'] for p in closed)), closed)

    def result(self):
        entry = self.entry
        rows = sorted(self.rows.values(), key=lambda row: row['port'])
        for item in self.findings:
            for port in item['ports']:
                if port in self.rows:
                    self.rows[port]['findings'].append(item['kind'])
        return {
            'name': self.name, 'home': entry['home'], 'service': entry.get('service'),
            'listed': entry.get('listed', True), 'running': bool(self.processes),
            'pids': [p['pid'] for p in self.processes], 'started': self.started, 'file_mtime': entry.get('file_mtime'),
            'offset': self.offsets,
            'rows': rows, 'findings': self.findings,
        }


def _ports(ports):
    return ('port %d' % ports[0]) if len(ports) == 1 else 'ports %s' % ', '.join(str(port) for port in ports)


def _when(stamp):
    return time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(stamp)) if stamp else 'an unknown time'


def _source(source, startup):
    where = (startup or {}).get('property_sources', {}).get('portOffset')
    return {'jvm': '-DportOffset%s' % (' in %s' % where if where else ''), 'file': 'the file',
            'env': 'an $env{} placeholder of the file', 'sys': 'a $sys{} placeholder of the file',
            'default': 'MI\'s default'}.get(source, source)


def _offset_from_sockets(ports, rows):
    """The offset k for which most offset-taking listeners (base + k) listen; at least two must agree."""
    bases = [entry['base'] for entry in ports.values() if entry['offset_applied'] and entry['base'] is not None
             and entry['enabled'] is not False]
    listening_ports = set(port for port, row in rows.items() if row['listening'])
    votes = {}
    for port in listening_ports:
        for base in bases:
            if -65535 <= port - base <= 65535:  # negative offsets are valid too
                votes[port - base] = votes.get(port - base, 0) + 1
    best = max(votes.items(), key=lambda item: (item[1], -item[0]), default=(None, 0))
    return best[0] if best[1] >= 2 else None


# -- the host -------------------------------------------------------------------------------------
def _conflicts(instances):
    """Configured ports wanted by two instances, and configured ports another process holds."""
    found = []
    models = dict((i.name, i.configured['ports']) for i in instances if i.configured and i.entry.get('listed', True))
    for conflict in port_conflicts(models):
        found.append(finding('port_conflict', conflict['second'].split()[0], 'port %d is configured for both %s and %s'
                             % (conflict['port'], conflict['first'], conflict['second']), [conflict['port']]))
    owners = dict((pid, i) for i in instances for pid in (p['pid'] for p in i.processes))
    for instance in instances:
        for port, row in sorted(instance.rows.items()):
            if row['configured'] and port not in instance.inbound_failed:  # inbound_failed names the holder
                found.extend(_held(instance, row, owners))
    return found


def _held(instance, row, owners):
    """Another process on a configured port; an instance configured for it too is a conflict said above."""
    found, name = [], instance.name
    for socket in row.get('host_sockets') or []:
        others = [pid for pid in socket['pids'] or [] if pid not in instance.entry_pids() and not (
            pid in owners and owners[pid].rows.get(row['port'], {}).get('configured'))]
        if others:
            holder = ', '.join('instance %s (pid %d)' % (owners[pid].name, pid) if pid in owners else
                               '%s (pid %d)' % (program, pid) for pid, program in zip(socket['pids'], socket['programs'])
                               if pid in others)
            found.append(finding('port_conflict', name, 'port %d (%s %s) is held by %s' % (
                row['port'], name, row['name'], holder), [row['port']]))
    return found


def _inbound_failures(instances):
    """inbound_failed findings: a deployed endpoint MI runs without listening on, with the likely cause seen."""
    owners = dict((pid, i) for i in instances for pid in i.entry_pids())
    for instance in instances:
        for port in instance.inbound_failed:
            row = instance.rows[port]
            holders = ['%s (pid %d)' % ('instance %s' % owners[pid].name if pid in owners else program, pid)
                       for socket in row.get('host_sockets') or []
                       for pid, program in zip(socket['pids'] or [], socket['programs'] or [])
                       if pid not in instance.entry_pids()]
            others = [i.name for i in instances if i is not instance and i.rows.get(port, {}).get('configured')]
            cause = ('port %d is held by %s' % (port, ', '.join(holders)) if holders else
                     'instance %s is configured for port %d too' % (', '.join(others), port) if others else
                     'no conflict is visible: read the MI log for the endpoint (TLS keystore, a parameter)')
            instance.add('inbound_failed', 'the inbound endpoint %s (%s) is deployed but MI does not listen on port %d: '
                         '%s' % (row.get('endpoint'), row.get('artifact'), port, cause), [port])


def _stale_rules(instances, firewall, host_sockets):
    """Our firewall rules on ports that no instance is configured for and nothing listens on."""
    if not firewall:
        return [], {}
    configured = set(port for i in instances for port, row in i.rows.items() if row['configured'])
    listening_ports = dict((socket['port'], socket) for socket in host_sockets)
    found, rows = [], {}
    for rule in our_rules(firewall):
        if rule['port'] in configured:
            continue
        rows.setdefault((rule.get('instance'), rule['port']), []).append(rule)
    per_instance = {}
    for (instance, port), rules in sorted(rows.items(), key=lambda item: (str(item[0][0]), item[0][1])):
        holder = listening_ports.get(port)
        if holder and any(port in i.rows and i.rows[port]['listening'] for i in instances):
            continue  # an instance listens there (unexpected_listener says so)
        exposes = ', now exposing %s (pid %s)' % (', '.join(holder['programs'] or ['?']), ', '.join(
            str(pid) for pid in holder['pids'] or [])) if holder else ''
        per_instance.setdefault(instance, []).append((port, '%s (%s%s)' % (
            port, rules[0]['text'], exposes or ', nothing listens')))
    for instance, items in sorted(per_instance.items(), key=lambda item: str(item[0])):
        found.append(finding('stale_rule', instance, 'our rules open %s where no instance is configured: %s' % (
            _ports([port for port, _text in items]), '; '.join(text for _port, text in items)),
            [port for port, _text in items]))
    return found, rows


def audit_host(entries, host):
    """The audit of one host.

    entries: one per instance (listed ones, then running MI homes not in the list with listed False):
    {'name', 'home', 'service', 'listed', 'path', 'text' (None when unreadable), 'problems', 'startup'
    (host_read.startup_of()), 'inbound_endpoints' (deployed and declared, mi.deployed.inbound_endpoints()),
    'inbound_problems' (endpoints MI cannot deploy), 'file_mtime', 'processes': [{'pid', 'argv', 'environ',
    'started', 'sockets' (proc_scan.listening_sockets(pid=N))}]}.
    host: {'firewall' (fw_reach: None when not read), 'ephemeral' (low, high), 'sockets': a function (ports) -> the host's
    sockets listening on those ports, with their owners (proc_scan.listening_sockets(ports=...))}.
    Returns {'instances': [...], 'findings': [...], 'firewall': {...}}.
    """
    instances = [_Instance(entry, host).build() for entry in entries]
    firewall = host.get('firewall')
    ports = set(port for i in instances for port, row in i.rows.items() if row['configured'])
    ports.update(rule['port'] for rule in our_rules(firewall))
    host_sockets = host['sockets'](ports) if host.get('sockets') and ports else []
    for instance in instances:
        for port, row in instance.rows.items():
            row['host_sockets'] = [s for s in host_sockets if s['port'] == port]
    _inbound_failures(instances)
    findings = _conflicts(instances)
    if not entries:  # neither listed nor found running: a gate must not pass on an empty audit
        findings.append(finding('no_instance', None, 'no MI instance is listed for this host and no MI JVM runs on it'))
    stale, stale_rows = _stale_rules(instances, firewall, host_sockets)
    _attach_rule_rows(instances, stale_rows, firewall, host)
    if firewall is not None and not firewall['guarded']:
        findings.append(finding('no_firewall', None, firewall.get('reason') or 'no active firewall'))
    results = [instance.result() for instance in instances]
    by_name = dict((result['name'], result) for result in results)
    for item in findings + stale:
        target = by_name.get(item['instance'])
        if target is not None:
            target['findings'].append(item)
            for row in target['rows']:
                if row['port'] in item['ports']:
                    row['findings'].append(item['kind'])
    for result in results:
        for row in result['rows']:
            row.pop('host_sockets', None)
    orphans = [item for item in findings + stale if item['instance'] not in by_name]
    return {'instances': results, 'findings': [item for r in results for item in r['findings']] + orphans,
            'firewall': _firewall_summary(firewall)}


def _attach_rule_rows(instances, stale_rows, firewall, host):
    """Rows for our rules' ports that nothing configures: under the rule's instance (a new unlisted entry
    when the inventory no longer has it)."""
    by_name = dict((i.name, i) for i in instances)
    for (name, port), rules in stale_rows.items():
        instance = by_name.get(name)
        if instance is None:
            instance = _Instance({'name': name or '-', 'home': '-', 'listed': False, 'processes': []}, host)
            instance.findings = []
            by_name[name] = instance
            instances.append(instance)
        row = instance.row(port)
        row['name'] = row['name'] or (rules[0].get('name') or 'rule')
        row['rules'] = [rule['text'] for rule in rules]
        row['reachable'] = reach_of(firewall, port, row['addresses'])


def _firewall_summary(firewall):
    if firewall is None:
        return {'backend': 'unknown', 'guarded': None, 'reason': 'not read'}
    return {'backend': firewall.get('backend'), 'guarded': firewall['guarded'], 'reason': firewall.get('reason'),
            'notes': firewall.get('notes', [])}
