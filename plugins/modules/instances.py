#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: instances
short_description: Apply the ports of all WSO2 Micro Integrator instances of a host, from what is really there
version_added: 0.2.0
description:
  - In one execution, for every MI instance of the host, reads C(<home>/conf/deployment.toml), what the instance's
    systemd unit starts MI with (C(ExecStart) arguments, C(Environment=), C(EnvironmentFile=), C(JAVA_OPTS),
    C(--env-file)), and, when MI runs, the JVM's real command line from C(/proc); builds each instance's real port
    model (placeholders resolved from that environment, enable flags, the offset with its source).
  - Validates everything before any write, and writes nothing on the host when anything is wrong. One message
    lists every problem, ports and offsets MI would refuse, equal effective ports of all enabled listeners of all
    instances, ports in O(reserved_ports), ports that other processes already listen on, the same MI home given
    twice (also through a trailing slash or a symlink), a C(-DportOffset) that contradicts the offset asked for.
  - Only what you set is enforced. An instance without O(instances[].offset) keeps the file's offset, and a port
    not listed in O(instances[].ports) keeps its value; a port set to null is removed so that MI's default applies.
  - Writes the files that change atomically (each is the complete old or the complete new file even when the
    module is killed midway), keeping mode and owner, and all or nothing as far as the file systems allow. Every new
    file (and every backup) is written first; only then are they renamed into place. When a rename fails midway,
    the files already replaced are put back, and RV(files) says where every file stands.
  - Holds the lock of every instance's file (taken in one order, see the notes) from the first read to the last
    rename and validates the whole host under them, so overlapping runs wait for each other and two runs can never
    both give one port to two instances. Two instances whose deployment.toml is the same file (through a symbolic
    link) are refused.
  - Reads the inbound endpoints deployed on every instance, as MI deploys them, in the same execution
    (C(repository/deployment/server/synapse-configs/default/inbound-endpoints/*.xml) and every CApp of
    C(repository/deployment/server/carbonapps/*.car), CApps nested under C(dependencies/) from MI 4.5). Each
    listening endpoint is a listener like the ports of C(deployment.toml) (port parameter per protocol, the offset
    only where MI adds it, C($SYSTEM:), C($FILE:), C(${configs.}) and C(key=) local entries resolved from what the
    host has), checked with them; an endpoint MI cannot deploy (no port, a port C(Integer.parseInt) refuses, a
    missing local entry, an unreadable CApp) is a problem naming the file, the CApp and the parameter.
  - Returns per instance the changes, the real port map (what MI will listen on after a restart) and whether a
    restart is needed, which is only when what MI listens on changes, not when a file changed without moving
    a listener. RV(listeners) is the flat list that M(wso2ops.micro_integrator.firewall) takes.
  - With O(firewall), reconciles the host firewall in the same execution, as M(wso2ops.micro_integrator.firewall)
    does (the same code), after the files; it makes the objects it owns match the listeners of the plan, and
    changes nothing when they already do. While an instance still listens on ports its plan moves (it runs and needs
    a restart), the firewall keeps the rules of those ports (make before break); a later run, or the firewall module
    with O(wso2ops.micro_integrator.firewall#module:remove_stale=true), closes them once MI listens on its new ports.
    The firewall is read and planned before the first file is written, so a firewall problem writes nothing.
  - Returns per instance the MI version (from C(<home>/updates/product.txt)), whether it serves C(/liveness) and
    how long its graceful shutdown may hold the ports, for the restart and health checks of the role.
author:
  - wso2ops contributors (@wso2ops)
requirements:
  - Python 3.11 or later (C(tomllib)) or C(tomli) on the managed host
  - tomlkit >= 0.11 on the managed host when a key must be written into an existing table (not imported otherwise;
    check mode plans without it)
  - systemd (C(systemctl)) for instances with a O(instances[].service)
options:
  instances:
    description: The MI instances of the host.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Instance name (unique on the host; letters, digits, C(_), C(-)); names firewall objects.
        type: str
        required: true
      home:
        description: MI_HOME of the instance (unique on the host); its configuration is C(conf/deployment.toml).
        type: path
        required: true
      service:
        description:
          - The systemd unit that runs the instance. Its C(ExecStart), environment and environment files decide
            C(-DportOffset) and placeholders, as they will at the next start.
        type: str
      offset:
        description: The C([server] offset) to set; it replaces MI's built-in 10. Omitted or null keeps the file's.
        type: int
      ports:
        description:
          - Ports to set, by alias (C(http), C(https), C(management_http), C(management_https)) or dotted key, as
            M(wso2ops.micro_integrator.deployment_toml) takes them. Null removes the key. Ports not listed are kept.
        type: dict
        default: {}
      inbound_endpoints:
        description:
          - Inbound endpoints the instance opens besides those its files show, as
            M(wso2ops.micro_integrator.deployment_toml_info) takes them. One named like a deployed endpoint replaces
            it (an override).
        type: list
        elements: dict
        default: []
      jvm_args:
        description:
          - JVM arguments MI starts with besides those of its unit (a string or a list); they win.
          - C(no_log), since they may carry secrets; they are
            never logged or returned, except values that are only a port, offset or flag, or a path that exists.
        type: raw
      environment:
        description:
          - Environment variables MI starts with besides those of its unit; they win.
          - C(no_log), since they may carry secrets; they are
            never logged or returned, except values that are only a port, offset or flag, or a path that exists.
        type: dict
        default: {}
  reserved_ports:
    description: Ports no instance may use, mapped to what holds them; the firewall part never writes a rule for them.
    type: dict
    default: {"22": ssh}
  check_listeners:
    description:
      - Refuse ports that processes other than the instances' own JVMs already listen on (from C(/proc/net/tcp)
        and C(/proc/net/tcp6); run as root so that the owner of every socket can be seen).
    type: bool
    default: true
  firewall:
    description:
      - The firewall to reconcile with the listeners of the plan, in the same execution, as
        M(wso2ops.micro_integrator.firewall) takes it in O(wso2ops.micro_integrator.firewall#module:backend); V(auto)
        is the firewall that is active, none when none is.
      - V(none) reads and changes no firewall, and warns that the run guards nothing (the MI ports, the Management
        API included, are open to every address unless a firewall the module does not manage guards the host).
      - Omitted (null), the module does not deal with the firewall at all and returns no RV(firewall).
    type: str
    choices: [auto, nftables, firewalld, ufw, none]
  allow_control_plane:
    description:
      - Add the address of each instance's control plane (the host of C([icp_config] icp_url) for MI 4.6's ICP, else
        of C([dashboard_config] dashboard_url)) to O(management_sources), so that it can call the Management API back.
        A control plane given by name is resolved with the host's resolver (only with this option).
      - V(false) (the default) only warns when O(management_sources) leave a control plane out.
      - Only with O(firewall); a control plane on loopback needs no rule.
    type: bool
    default: false
  write_files:
    description:
      - V(false) plans the files as check mode does and writes none, while the firewall part is applied (the role's
        C(--tags mi_ports_firewall)). RV(instances[].changed) then says what a write would change.
    type: bool
    default: true
  backup:
    description:
      - Keep a timestamped copy of each deployment.toml that changes, with its mode and owner. Every backup is
        written completely before any file is replaced (a full disk leaves no partial backup).
    type: bool
    default: false
extends_documentation_fragment:
  - wso2ops.micro_integrator.file_safety
  - wso2ops.micro_integrator.sources
  - wso2ops.micro_integrator.sources.firewall
attributes:
  check_mode:
    support: full
    description:
      - Reads and plans; reports the changes and the resulting port maps, writes nothing, changes no firewall (RV(firewall)
        says what a real run would change).
      - Needs no tomlkit. When the host lacks it and a real run would need it, the result says so (RV(missing_library),
        RV(python)) and the diff shows the planned keys one per line instead of the exact lines.
  diff_mode:
    support: full
    description:
      - A unified diff of the changed lines of each file, with line numbers and without context lines.
      - With O(firewall), a second diff, the objects the firewall part owns before and after, in the backend's syntax.
  platform:
    support: full
    platforms: posix
    description: Linux hosts (C(/proc), systemd).
notes:
  - Environment values can hold secrets; the module returns none of them, only the ports they resolve to.
  - MI's own C(restart) can race into "Address already in use"; the P(wso2ops.micro_integrator.mi_ports#role) role
    restarts an instance that needs it by stopping it, waiting until its old ports are free, then starting it.
seealso:
  - module: wso2ops.micro_integrator.deployment_toml
  - module: wso2ops.micro_integrator.deployment_toml_info
"""

EXAMPLES = r"""
- name: Offset 11 for the second instance; every other setting stays as the files have it
  wso2ops.micro_integrator.instances:
    instances:
      - {name: orders, home: /opt/mi/orders, service: mi-orders}
      - {name: billing, home: /opt/mi/billing, service: mi-billing, offset: 11}
  register: mi

- name: The same, and the firewall that is active opened for every listener, in the same execution
  wso2ops.micro_integrator.instances:
    instances:
      - {name: orders, home: /opt/mi/orders, service: mi-orders}
    firewall: auto
    management_sources: [192.0.2.0/24]
  register: mi

- name: Instances whose listeners moved
  ansible.builtin.debug:
    msg: "{{ mi.instances | selectattr('restart_needed') | map(attribute='name') | list }}"
"""

RETURN = r"""
instances:
  description: One entry per instance, in the order given.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The instance name.
      type: str
    home:
      description: The MI home as given.
      type: str
    path:
      description: The deployment.toml (its real path).
      type: str
    service:
      description: The systemd unit, or null.
      type: str
    changed:
      description: Whether the file changed (or would, in check mode).
      type: bool
    changes:
      description: The keys that changed with their stored values before and after.
      type: list
      elements: dict
    offset:
      description: The offset MI will use after a restart; null when unresolved.
      type: int
    offset_source:
      description: C(jvm), C(file), C(env), C(sys) or C(default).
      type: str
    ports:
      description:
        - Every listener of the instance, as M(wso2ops.micro_integrator.deployment_toml_info) returns
          RV(wso2ops.micro_integrator.deployment_toml_info#module:ports).
      type: dict
    listeners:
      description: The listeners MI will open after a restart (enabled, with a known port).
      type: list
      elements: dict
    notes:
      description: Keys of the file that name a port but are not MI listeners.
      type: list
      elements: dict
    restart_needed:
      description:
        - Whether what MI listens on changes (ports or bind addresses); a file change alone needs none.
        - Also true while the running JVM has not applied the file yet, so that a later run restarts what an earlier
          one left pending, when the file changed after the JVM started and the JVM does not hold every port of the
          file (read from C(/proc); needs O(check_listeners) and root to see the sockets' owners).
      type: bool
    moved:
      description: The listeners whose port this run changes, each as C([port before, port after]) (null, closed).
      type: dict
    running:
      description: Whether the instance runs, a JVM of it found in C(/proc) by C(-Dcarbon.home), or its unit active.
      type: bool
    plan:
      description: One line for humans, the port map MI will listen on (what moves), the file changes, the restart.
      type: str
    listening_before:
      description:
        - The ports the instance listens on with the file as it was, each with C(port) and C(address) (its bind
          address, null for all interfaces), what a restart must see freed before MI starts again.
      type: list
      elements: dict
    active:
      description: Whether the unit is active (null without a service).
      type: bool
    unresolved:
      description: Listeners whose port cannot be known (a placeholder without a source); they get no firewall rule.
      type: list
      elements: str
    backup_file:
      description: The backup copy, when O(backup) made one.
      type: str
    mi_version:
      description: The MI version of the home (from C(updates/product.txt) or C(bin/version.txt)), null when unknown.
      type: str
    liveness:
      description: Whether MI serves C(/liveness) (4.2 and later; false when the version is unknown).
      type: bool
    graceful_shutdown_timeout:
      description:
        - Seconds a stopping MI may keep its ports (C([server] graceful_shutdown_timeout), 180 by default from 4.5;
          0 before 4.5 or with C(graceful_shutdown_enabled = false)).
      type: int
    stop_timeout:
      description:
        - Seconds systemd gives the unit to stop before it kills MI (C(TimeoutStopSec)); null without a service or
          when unlimited. The module warns when it is shorter than RV(instances[].graceful_shutdown_timeout).
      type: float
    control_plane:
      description:
        - The control plane the instance registers with after the run, null for none, as
          M(wso2ops.micro_integrator.audit_info) returns RV(wso2ops.micro_integrator.audit_info#module:instances[].control_plane)
          (C(kind), C(url) without credentials, C(host), C(port), C(heartbeat_interval), C(settings), C(secret_set),
          C(advertised) host and port, C(management) port, C(address), C(problems)); no secret is ever read.
        - The module warns when the control plane will be told a management port MI does not listen on (MI 4.6's ICP
          agent advertises 9164 - 10 + C([server] offset)), when a port move leaves the dashboard's
          C(management_port) on the old port (with the exact key and value to set), and when O(management_sources)
          leave the control plane out (see O(allow_control_plane)).
      type: dict
  sample:
    - name: orders
      home: /opt/mi/orders
      path: /opt/mi/orders/conf/deployment.toml
      service: mi-orders
      changed: true
      changes: [{key: server.offset, before: null, after: 11}]
      offset: 11
      offset_source: file
      restart_needed: true
      listening_before: [{port: 8290, address: null}, {port: 8253, address: null}]
      active: true
      unresolved: []
      mi_version: 4.4.0
      liveness: true
      graceful_shutdown_timeout: 0
listeners:
  description:
    - The listeners of all instances, flat, for M(wso2ops.micro_integrator.firewall).
    - A deployed inbound endpoint is named C(inbound.<endpoint name>) and also has C(endpoint) (its name),
      C(artifact) (the XML file, or C(<capp file>!<member>)) and C(offset_applied).
  returned: success
  type: list
  elements: dict
  sample:
    - {instance: orders, name: http, key: transport.http.listener.port, port: 8291, exposure: public, protocol: http,
       bind_address: null, apis: []}
    - {instance: orders, name: inbound.HL7Orders, key: inbound.HL7Orders, port: 20001, exposure: public,
       protocol: hl7, bind_address: null, apis: [], endpoint: HL7Orders, offset_applied: false,
       artifact: /opt/mi/orders/repository/deployment/server/synapse-configs/default/inbound-endpoints/HL7Orders.xml}
plan:
  description: The RV(instances[].plan) lines of all instances.
  returned: success
  type: list
  elements: str
  sample: ['orders: http 8293 (was 8290), https 8256 (was 8253); offset 13 (file); file: server.offset unset -> 13; restart needed']
firewall:
  description:
    - The firewall part of the run, as M(wso2ops.micro_integrator.firewall) returns it (C(backend), C(detected),
      C(guarded), C(plan), C(rules), C(rules_added), C(rules_removed), C(rules_kept), C(restricted_ports),
      C(skipped_listeners), C(actions), C(msg)), with C(changed) and the C(warnings) of the firewall alone.
  returned: when O(firewall) is given
  type: dict
  sample: {backend: nftables, detected: "nftables.service is active and its ruleset hooks input (table inet filter)",
           guarded: true, changed: false, plan: "nftables: add nothing; remove nothing", rules_kept: [], warnings: []}
missing_library:
  description:
    - The Python library a write needs and the interpreter cannot import (C(tomlkit)). On failure (nothing was
      written), or in check mode for what the real run will need.
  returned: when tomlkit is needed and missing
  type: str
  sample: tomlkit
missing_package:
  description: The OS package that provides RV(missing_library) for the system Python.
  returned: when tomlkit is needed and missing
  type: str
  sample: python3-tomlkit
python:
  description: The interpreter the module ran with (C(ansible_python_interpreter)), into which RV(missing_library) goes.
  returned: when tomlkit is needed and missing
  type: str
  sample: /usr/bin/python3
python_venv:
  description: The virtualenv of RV(python) (install with pip into it), or null for the system Python (the OS package).
  returned: when tomlkit is needed and missing
  type: str
  sample: null
problems:
  description: Every problem found; the module fails and writes nothing when there is one.
  returned: failure
  type: list
  elements: str
files:
  description:
    - When writing failed, the state of every file that was to change, by real path, C(unchanged), C(replaced),
      C(restored (replaced, then put back)) or C(replaced, could not be restored) with the reason. The task result's C(changed) is
      true when a file stayed replaced.
  returned: failure while writing
  type: dict
  sample: {/opt/mi/a/conf/deployment.toml: "restored (replaced, then put back)",
           /opt/mi/b/conf/deployment.toml: "unchanged (cannot replace ...: No space left on device ...)"}
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.instances import read as host_read
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import reconcile
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.host import Host
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common import proc as proc_scan
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.interpreter import missing_library
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.instances.plan import plan_host, stop_warning
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.instances.control_plane import plan_control_planes
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.probe import resolve
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.errors import CollectionError
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.commit import CommitFailed, replace_all
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.fileio import FileProblem, locate
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.lock import DEFAULT_TIMEOUT, FolderLocks
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.masking import keep_ports_visible

_PUBLIC = ('name', 'home', 'path', 'service', 'changed', 'changes', 'offset', 'offset_source', 'ports', 'listeners',
           'notes', 'restart_needed', 'moved', 'listening_before', 'active', 'running', 'unresolved', 'plan',
           'backup_file', 'mi_version', 'liveness', 'graceful_shutdown_timeout', 'stop_timeout', 'control_plane')
_PURPOSE = 'writing the port keys into the existing tables of deployment.toml'


def read_host(module, instances, check_listeners):
    """Everything the plan needs, read once for the whole host (host_read, shared with the audit)."""
    current = host_read.read_instances(module, instances, proc_scan.carbon_processes())
    sockets = (lambda ports, pids: proc_scan.listening_sockets(ports=ports, likely_owners=pids)) \
        if check_listeners else None
    return current, sockets


def lock_folders(instances):
    """The folders to lock: that of every deployment.toml whose folder exists (the read reports the others)."""
    folders = []
    for instance in instances:
        try:
            folders.append(locate(os.path.join(instance['home'], host_read.CONFIG), create=True)[0])
        except FileProblem:
            continue  # the read names the problem
    return folders


def apply(module, plan, current, locked):
    """Replace every changed file, all or nothing (commit.replace_all); the caller checked the plan and holds the
    locks of the folders whose identities are in locked."""
    changed = [result for result in plan['instances'] if result['changed']]
    if not changed or module.check_mode:
        return
    edits = [(current[result['name']]['snapshot'], result['text'].encode('utf-8')) for result in changed]
    for snapshot, _data in edits:
        if snapshot.folder.identity not in locked:  # a link on the way changed between locking and reading
            raise FileProblem('%s was reached through a link that changed while this run took its locks; nothing '
                              'was written, run again' % snapshot.path)
    backups = replace_all(module, edits, module.params['backup'])
    for (snapshot, _data), result in zip(edits, changed):
        if result['path'] in backups:
            result['backup_file'] = backups[result['path']]
        if snapshot.hard_links:
            module.warn(snapshot.hard_links)


def live_moves(plan):
    """Whether an instance still listens on ports that its plan moves: the firewall keeps the ports of before."""
    return any(result['restart_needed'] and result['running'] for result in plan['instances'])


class Firewall:
    """The firewall part of the run: the backend chosen before any lock, then read, planned and applied
    (reconcile, as the firewall module does) for the listeners of the plan."""

    def __init__(self, module, host):
        self.module, self.host, self.params = module, host, module.params
        self.sources = reconcile.sources(self.params)  # refuses what is not a network before anything is read
        self.chosen = reconcile.choose(host, self.params['firewall'])
        self.plan = None

    def lock_paths(self):
        return [] if self.module.check_mode or self.chosen.backend == 'none' else [reconcile.LOCKED_FILE]

    def planned_sources(self):
        """The management sources the plan checks control planes against: None when no rule is planned."""
        return None if self.params['firewall'] == 'none' else self.sources[0]['management']

    def allow(self, networks):
        """Let these networks (control planes) reach the management listeners too."""
        self.sources[0]['management'] = self.sources[0]['management'] + [n for n in networks
                                                                         if n not in self.sources[0]['management']]

    def read_and_plan(self, plan):
        reserved = [int(port) for port in self.params['reserved_ports']]
        # none: no rule is ever written, so none is planned (an MI listener on 22 with mi_ports_reserve_ssh false).
        listeners = plan['listeners'] if self.params['firewall'] != 'none' else []
        self.wanted = reconcile.desired(listeners, self.sources, reserved)
        self.plan, kept = reconcile.read_and_plan(self.host, self.chosen, self.wanted, self.params['firewalld_zone'],
                                                  remove_stale=not live_moves(plan))
        self.result = reconcile.result(self.chosen, self.wanted, self.plan, kept, self.params['firewall'],
                                       self.module.check_mode)
        self.result['warnings'] = reconcile.warnings(self.chosen, self.plan, self.params['firewall']) + (
            [reconcile.UNMANAGED] if self.params['firewall'] == 'none' else [])
        return self.plan.problems if self.plan is not None else []

    def apply(self, written):
        try:
            reconcile.apply(self.host, self.chosen, self.plan, self.module.check_mode)
        except CollectionError as exc:
            done = exc.result.get('applied', [])
            self.module.fail_json(**dict(exc.result, msg='%s; the firewall was not completed: %s' % (
                'the files that change were written (%s)' % ', '.join(written) if written else 'no file was changed',
                to_native(exc)), firewall=dict(self.result, changed=bool(done), actions=done),
                changed=bool(written or done)))


def control_plane(module, plan, current, firewall):
    """The control planes of the plan: warnings, and with allow_control_plane their addresses added to the management
    sources of the firewall part (plan['control_plane_sources'])."""
    allow = module.params['allow_control_plane'] and firewall is not None
    sources = firewall.planned_sources() if firewall else None
    warnings, left_out = plan_control_planes(plan, current, sources, resolve if allow else None)
    plan['warnings'] = warnings + ([] if allow else list(left_out.values()))
    plan['control_plane_sources'] = sorted(left_out) if allow else []
    if allow and left_out:
        firewall.allow(sorted(left_out))


def plan_and_apply(module):
    """(plan, instances whose write needs tomlkit, firewall or None), read and applied under the locks of every file
    (and of the firewall): a run that overlaps waits, then sees this one's files, so two runs can never both give one
    port to two instances. Everything is read and checked before the first change."""
    instances = module.params['instances']
    writing = module.params['write_files'] and not module.check_mode
    firewall = Firewall(module, Host(module)) if module.params['firewall'] else None
    paths = (lock_folders(instances) if writing else []) + (firewall.lock_paths() if firewall else [])
    with FolderLocks(paths, module.params['lock_timeout']) as locks:
        current, sockets = read_host(module, instances, module.params['check_listeners'])
        plan = plan_host(instances, current, sockets, module.params['reserved_ports'])
        if plan['problems']:
            module.fail_json(msg='nothing was changed on this host: %s' % '; '.join(plan['problems']),
                             problems=plan['problems'], changed=False)
        control_plane(module, plan, current, firewall)
        problems = firewall.read_and_plan(plan) if firewall else []
        if problems:
            module.fail_json(msg='nothing was changed on this host: firewall: %s' % '; '.join(problems),
                             problems=problems, firewall=firewall.result, changed=False)
        # The plan needs no tomlkit (check mode reports it on a stock host); a write into existing tables does.
        needs_tomlkit = [result['name'] for result in plan['instances'] if result['changed'] and result['text'] is None]
        if needs_tomlkit and writing:
            module.fail_json(**missing_library('tomlkit', 'python3-tomlkit', '%s (%s)' % (_PURPOSE, ', '.join(needs_tomlkit))))
        if writing:
            try:
                apply(module, plan, current, locks.identities)
            except CommitFailed as exc:
                module.fail_json(msg=to_native(exc), files=exc.states, changed=exc.changed)
        if firewall:
            firewall.apply([result['path'] for result in plan['instances'] if result['changed'] and writing])
    return plan, needs_tomlkit, firewall


def main():
    module = AnsibleModule(
        argument_spec=dict(
            instances=dict(type='list', elements='dict', required=True, options=dict(
                name=dict(type='str', required=True),
                home=dict(type='path', required=True),
                service=dict(type='str'),
                offset=dict(type='int'),
                ports=dict(type='dict', default={}),
                inbound_endpoints=dict(type='list', elements='dict', default=[]),
                jvm_args=dict(type='raw', no_log=True),
                environment=dict(type='dict', default={}, no_log=True),
            )),
            reserved_ports=dict(type='dict', default={'22': 'ssh'}),
            check_listeners=dict(type='bool', default=True),
            backup=dict(type='bool', default=False),
            lock_timeout=dict(type='int', default=DEFAULT_TIMEOUT),
            write_files=dict(type='bool', default=True),
            allow_control_plane=dict(type='bool', default=False),
            firewall=dict(type='str', choices=reconcile.BACKENDS),
            **reconcile.OPTIONS
        ),
        supports_check_mode=True,
    )
    keep_ports_visible(module)
    try:
        plan, needs_tomlkit, firewall = plan_and_apply(module)
    except CollectionError as exc:
        module.fail_json(msg='nothing was changed: %s' % to_native(exc), changed=False)
    for result in plan['instances']:
        if stop_warning(result):
            module.warn(stop_warning(result))
        for name in result['unresolved']:
            reason = result['ports'][name].get('unresolved_reason') or 'a placeholder whose source is unknown'
            module.warn('%s: the port of %s depends on %s: no firewall rule and no health check can follow it'
                        % (result['name'], name, reason))
    for warning in plan['warnings']:
        module.warn(warning)
    files_planned = module.check_mode or module.params['write_files']
    results = [dict((key, result[key]) for key in _PUBLIC if key in result) for result in plan['instances']]
    output = dict(changed=files_planned and any(result['changed'] for result in results), instances=results,
                  listeners=plan['listeners'], plan=[result['plan'] for result in results])
    diffs = [{'prepared': ''.join(result['diff'] for result in plan['instances'])}]
    if firewall:
        for warning in firewall.result['warnings']:
            module.warn(warning)
        output.update(changed=output['changed'] or firewall.result['changed'], firewall=firewall.result)
        output['plan'].append('firewall ' + firewall.result['plan'])
        if plan['control_plane_sources']:
            output['plan'].append('firewall: the control planes at %s may reach the management listeners '
                                  '(allow_control_plane)' % ', '.join(plan['control_plane_sources']))
        if firewall.plan is not None:
            diffs.append(reconcile.diff(firewall.chosen.backend, firewall.plan))
    if needs_tomlkit and files_planned:  # check mode: what the real run will need, and for which interpreter
        missing = missing_library('tomlkit', 'python3-tomlkit', 'the real run (%s)' % ', '.join(needs_tomlkit))
        output['plan'].append(missing.pop('msg').replace('. Nothing was changed', ''))
        output.update((key, value) for key, value in missing.items() if key != 'changed')
    if module._diff:
        output['diff'] = diffs if firewall else diffs[0]
    module.exit_json(**output)


if __name__ == '__main__':
    main()
