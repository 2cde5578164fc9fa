#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: audit_info
short_description: Audit the ports of every WSO2 Micro Integrator instance of a host, read-only
version_added: 0.2.0
description:
  - In one execution, for every MI instance of the host and every port, reports what is B(configured) (the port model
    of C(<home>/conf/deployment.toml) with what the instance's systemd unit starts MI with, as
    M(wso2ops.micro_integrator.instances) reads it), what the running JVM is really B(listening) on (its own sockets,
    from C(/proc/<pid>/net/tcp) and its file descriptors; the JVM is matched to the instance by its MI home), including
    ports the model does not know, and what the host firewall lets B(reach) it, from which sources.
  - Compares the three and returns the drift as findings, each with a severity and the fix in one sentence (see
    RV(findings)). Also reports MI JVMs that run from a home not in O(instances).
  - Changes nothing on the host, in check mode or not.
  - The P(wso2ops.micro_integrator.mi_audit#role) role runs it on every host and writes the fleet report (HTML, JSON,
    Markdown) on the controller.
author:
  - wso2ops contributors (@wso2ops)
requirements:
  - Linux (C(/proc)); run as root (C(become)) so that the sockets of every process and the firewall can be read
  - systemd (C(systemctl)) for instances with a O(instances[].service)
options:
  instances:
    description:
      - The MI instances of the host, as M(wso2ops.micro_integrator.instances) takes them. O(instances[].offset) and
        O(instances[].ports) are what the inventory asks for; the audit reports what is there and does not read them.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Instance name (unique on the host).
        type: str
        required: true
      home:
        description: MI_HOME of the instance; its configuration is C(conf/deployment.toml).
        type: path
        required: true
      service:
        description: The systemd unit that runs the instance; its C(ExecStart) and environment decide C(-DportOffset).
        type: str
      inbound_endpoints:
        description:
          - Inbound endpoints the instance opens besides those deployed on its home (endpoint files and CApps, read
            as M(wso2ops.micro_integrator.instances) reads them), as M(wso2ops.micro_integrator.deployment_toml_info)
            takes them; one named like a deployed endpoint replaces it.
        type: list
        elements: dict
        default: []
      jvm_args:
        description: JVM arguments MI starts with besides those of its unit (a string or a list).
        type: raw
      environment:
        description: Environment variables MI starts with besides those of its unit.
        type: dict
        default: {}
      offset:
        description: Not read (accepted so that the P(wso2ops.micro_integrator.mi_ports#role) role's list can be given as is).
        type: int
      ports:
        description: Not read (accepted so that the P(wso2ops.micro_integrator.mi_ports#role) role's list can be given as is).
        type: dict
  discover:
    description: Also audit MI JVMs (processes started with C(-Dcarbon.home)) whose home is not in O(instances).
    type: bool
    default: true
  probe_control_plane:
    description:
      - Also resolve the host name of each instance's control plane (its URL in C([icp_config] icp_url) or
        C([dashboard_config] dashboard_url)) with the host's resolver, and try one TCP connect from the host to its
        address and port (3 seconds at most, nothing sent); a failure is a C(control_plane_unreachable) finding.
      - Off by default, in check mode too. Without it the audit sends nothing anywhere, and a control plane given by
        name (not by address) is not checked against the firewall.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: The same read in check mode; the module never changes anything.
  diff_mode:
    support: none
    description: The module changes nothing, so it has no diff.
  platform:
    support: full
    platforms: posix
    description: Linux hosts (C(/proc), systemd).
notes:
  - The firewall is read only by its state (nftables rules, firewalld zones, ufw rules); rules of other tables or chains
    that the backend does not show are not evaluated.
  - Environment values and the file's secrets are never returned; only ports, offsets and where they come from.
    O(instances[].environment) and O(instances[].jvm_args) are C(no_log).
  - Files are read under the rules of M(wso2ops.micro_integrator.instances) (regular files up to 4 MiB, symbolic
    links owned by root or the file's owner).
seealso:
  - module: wso2ops.micro_integrator.instances
  - plugin: wso2ops.micro_integrator.audit_fleet
    plugin_type: filter
  - plugin: wso2ops.micro_integrator.audit_render
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Audit the ports of the MI instances of the host
  wso2ops.micro_integrator.audit_info:
    instances:
      - {name: orders, home: /opt/mi/orders, service: mi-orders}
      - {name: billing, home: /opt/mi/billing, service: mi-billing}
  become: true
  register: audit

- name: Fail on a Management API that any address can reach
  ansible.builtin.assert:
    that: audit.findings | selectattr('severity', 'eq', 'critical') | list | length == 0
"""

RETURN = r"""
instances:
  description: One entry per instance (those given, then the MI homes found running that are not in O(instances)).
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The instance name; for an instance not in the list, its home.
      type: str
    home:
      description: The MI home.
      type: str
    service:
      description: The systemd unit, or null.
      type: str
    listed:
      description: Whether the instance is in O(instances).
      type: bool
    running:
      description: Whether a JVM of the instance runs.
      type: bool
    pids:
      description: The pids of its JVMs.
      type: list
      elements: int
    started:
      description: When its oldest JVM started (seconds since the epoch), or null.
      type: float
    file_mtime:
      description: When deployment.toml was last modified (seconds since the epoch), or null.
      type: float
    offset:
      description:
        - C(configured) and C(configured_source) (the offset of the next start and where it comes from), C(running) and
          C(running_source) (the running JVM's, from its C(-DportOffset), the unchanged file, or inferred from its sockets).
      type: dict
    rows:
      description: One row per port that is configured, listened on, or opened by one of our firewall rules.
      type: list
      elements: dict
      contains:
        port:
          description: The TCP port.
          type: int
        name:
          description: The listener (alias or dotted key); for a port that is not configured, its label.
          type: str
        key:
          description: The deployment.toml key, or null.
          type: str
        exposure:
          description: C(public), C(monitoring) or C(management); null for an unknown port.
          type: str
        apis:
          description: The internal APIs served on the port (e.g. C(management_api), C(readiness_probe)).
          type: list
          elements: str
        configured:
          description: Whether the next start of MI opens the port.
          type: bool
        listening:
          description: Whether a JVM of the instance listens on it.
          type: bool
        addresses:
          description: The addresses it listens on (C(0.0.0.0) for all IPv4 addresses).
          type: list
          elements: str
        label:
          description: For a port that is not configured, C(jdwp), C(jmx), C(random) (kernel-chosen) or C(unknown).
          type: str
        rules:
          description: Our firewall rules on the port that no instance is configured for.
          type: list
          elements: str
        reachable:
          description:
            - C(state) (C(any), C(sources), C(closed), C(local) for loopback-only sockets, C(unknown)), C(sources) and
              C(by) (the rules that decide).
          type: dict
        findings:
          description: The kinds of the findings on this port.
          type: list
          elements: str
    findings:
      description: The instance's findings, as RV(findings).
      type: list
      elements: dict
    control_plane:
      description:
        - The control plane the instance registers with, null for none. C(kind) (C(icp) for the Integration Control
          Plane of MI 4.6, C(dashboard) for the MI dashboard), C(key) and C(url) (the URL's key and value, without
          credentials; a placeholder as written), C(host), C(port), C(heartbeat_interval) (s), C(settings) (the other
          non-secret keys of the table, placeholders as written), C(secret_set) (ICP; the secret is never read),
          C(advertised) (C(host), C(port) and where each comes from; what MI tells the control plane to call back),
          C(management) (C(port) MI really serves the Management API on over HTTPS, C(listening), C(how)),
          C(address) (the control plane's IP address when known), C(allowed) (whether the firewall lets it reach the
          management port; null when unknown), C(probe) (with O(probe_control_plane); null when the connect
          succeeded, else why not), C(problems).
        - Read as MI 4.0 to 4.6 do (C(HeartBeatComponent.java) and C(ICPHeartBeatComponent.java) of
          wso2/product-integrator-mi); see the C(control_plane_*) kinds of RV(findings).
      type: dict
      sample: {kind: icp, key: icp_config.icp_url, url: "https://10.0.0.20:9445", scheme: https, host: 10.0.0.20,
               port: 9445, heartbeat_interval: 10, secret_set: true, address: 10.0.0.20, allowed: false,
               advertised: {host: mi1.example, host_source: server.hostname, port: 9164,
                            port_source: "the agent's 9164, [server] offset unset"},
               management: {port: 9169, listening: true, how: "9154 + offset 15 (-DportOffset)"}, problems: []}
findings:
  description: Every finding of the host.
  returned: success
  type: list
  elements: dict
  contains:
    kind:
      description:
        - C(management_exposed) (critical); C(no_instance) (nothing listed, no MI JVM runs), C(unreadable),
          C(instance_down), C(listener_failed), C(inbound_failed), C(offset_drift), C(port_conflict) (high);
          C(restart_pending), C(unexpected_listener), C(firewall_closed), C(stale_rule) (medium);
          C(offset_overridden), C(no_firewall), C(unresolved_port), C(unlisted_instance) (low); C(inbound_activated),
          C(random_port) (info).
        - The control plane (RV(instances[].control_plane)) - C(control_plane_port) (high) it is told a management
          port MI does not listen on (MI 4.6's ICP agent advertises 9164 - 10 + C([server] offset), whatever
          C(-DportOffset) or C(internal_https_api_port) say; or the Management API is not served over HTTPS);
          C(control_plane_blocked) (high) the firewall keeps its address from the management port;
          C(control_plane_unreachable) (medium, only with O(probe_control_plane)); C(control_plane_host) (medium) it is
          told to call back a loopback host; C(control_plane_settings) (medium) a value MI cannot use (no ICP secret,
          a bad URL or interval); C(control_plane_override) (low) the dashboard's C(management_port) (a NAT override)
          differs from the real port.
        - C(inbound_failed) is a deployed inbound endpoint MI cannot deploy, or does not listen on while it runs,
          with the likely cause (a process or instance holding the port); C(inbound_activated) a suspended
          endpoint's port that listens (activated at run time), not an unexpected listener.
      type: str
    severity:
      description: C(critical), C(high), C(medium), C(low) or C(info).
      type: str
    title:
      description: What the kind means.
      type: str
    instance:
      description: The instance, or null for the host.
      type: str
    ports:
      description: The ports concerned.
      type: list
      elements: int
    message:
      description: What was found.
      type: str
    fix:
      description: The fix in one sentence.
      type: str
  sample:
    - kind: restart_pending
      severity: medium
      title: "Configured, not listening: changed after MI started"
      instance: orders
      ports: [8293]
      message: "port 8293 configured, not listening: /opt/mi/orders/conf/deployment.toml changed at ..."
      fix: Restart the instance (the mi_ports role restarts it safely) to apply the change.
firewall:
  description: C(backend) (C(nftables), C(firewalld), C(ufw), C(none) or C(unknown)), C(guarded) (whether a firewall
    filters the host's input), C(reason), C(notes).
  returned: success
  type: dict
summary:
  description: C(instances), C(ports) (rows), C(findings) (count per severity), C(worst) (highest severity or null).
  returned: success
  type: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import detect as fw_detect
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import firewalld as fw_firewalld
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common import host as fw_host
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import reach as fw_reach
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import ufw as fw_ufw
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.instances import read as host_read
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common import proc as proc_scan
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.audit.findings import count_by_severity, worst
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.audit.control_plane import add_control_plane
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common import probe as net_probe
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.audit.host import audit_host
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.errors import CollectionError, fail
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.deployed import inbound_endpoints
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.masking import keep_ports_visible


def _running(processes, booted):
    """The instance's JVMs with their start time and own listening sockets."""
    found = []
    for process in processes:
        sockets = proc_scan.listening_sockets(pid=process['pid'])
        found.append(dict(process, started=proc_scan.start_time(process['pid'], booted=booted), sockets=sockets))
    return found


def _listed_entries(module, instances, processes, booted):
    current = host_read.read_instances(module, instances, processes)
    entries = []
    for instance in instances:
        read = current[instance['name']]
        entries.append(dict(
            name=instance['name'], home=instance['home'], service=instance.get('service'), listed=True,
            path=read['path'], text=read['text'], problems=read['problems'], startup=read['startup'],
            inbound_endpoints=inbound_endpoints(instance, read), inbound_problems=read['deployed']['problems'],
            file_mtime=read['file_mtime'], processes=_running(read['processes'], booted), version=read['version']))
    return entries


def _unlisted_entries(module, instances, processes, booted):
    """MI homes that run but are not listed, read from their own JVMs (proc_scan.claimed_homes: only homes whose
    owner runs them count; the others are warned about and not read)."""
    known = set(proc_scan.home_key(instance['home']) for instance in instances)
    homes, refused = proc_scan.claimed_homes([p for p in processes if p['home'] not in known])
    for warning in refused:
        module.warn(warning)
    entries = []
    for home in homes:
        running = proc_scan.processes_of_home(processes, home)
        startup, found = host_read.startup_of(module, {'name': home, 'home': home}, running)
        snapshot, problems, _version, deployed = host_read.read_home(home, startup)
        entries.append(dict(name=home, home=home, service=None, listed=False,
                            path=snapshot.path if snapshot else os.path.join(home, host_read.CONFIG),
                            text=snapshot.text if snapshot else None, problems=problems + found, startup=startup,
                            inbound_endpoints=deployed['endpoints'], inbound_problems=deployed['problems'],
                            file_mtime=snapshot.info.st_mtime if snapshot else None,
                            processes=_running(running, booted)))
    return entries


def _firewalld_zones(host):
    """(zones, service ports) of the zones that take traffic (active ones and the default zone), at runtime."""
    client, problem = fw_firewalld.connect()
    if problem:
        host.fail(problem)
    active = client.getActiveZones()
    zones, services = [], {}
    for name in sorted(set(active) | set([client.getDefaultZone()])):
        settings = client.getZoneSettings(name)
        zones.append({'name': name, 'sources': list(settings.getSources()), 'target': settings.getTarget(),
                      'services': list(settings.getServices()), 'ports': [tuple(p) for p in settings.getPorts()],
                      'rich_rules': list(settings.getRichRules())})
        for service in settings.getServices():
            services[service] = [tuple(p) for p in client.getServiceSettings(service).getPorts()]
    return zones, services


def read_firewall(module):
    """What the active firewall lets through (fw_reach), detected as the firewall module detects it."""
    host = fw_host.Host(module)
    backend, reason = fw_detect.choose(fw_detect.read(host, fw_detect.read_units(host)))
    if backend == 'nftables':
        return fw_reach.from_nftables(host.run(['nft', '-j', 'list', 'ruleset'])[1], reason)
    if backend == 'ufw':
        return fw_reach.from_ufw(fw_ufw.read(host), reason)
    if backend == 'firewalld':
        zones, services = _firewalld_zones(host)
        return fw_reach.from_firewalld(zones, services, reason)
    return fw_reach.no_firewall(reason)


def read(module):
    """Everything the audit compares, read once for the host."""
    instances = module.params['instances']
    processes = proc_scan.carbon_processes()
    booted = proc_scan.boot_time()
    entries = _listed_entries(module, instances, processes, booted)
    if module.params['discover']:
        entries.extend(_unlisted_entries(module, instances, processes, booted))
    firewall = read_firewall(module)
    pids = [process['pid'] for entry in entries for process in entry['processes']]
    return entries, {'firewall': firewall, 'ephemeral': proc_scan.ephemeral_ports(),
                     'sockets': lambda ports: proc_scan.listening_sockets(ports=ports, likely_owners=pids)}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            instances=dict(type='list', elements='dict', default=[], options=dict(
                name=dict(type='str', required=True),
                home=dict(type='path', required=True),
                service=dict(type='str'),
                inbound_endpoints=dict(type='list', elements='dict', default=[]),
                jvm_args=dict(type='raw', no_log=True),
                environment=dict(type='dict', default={}, no_log=True),
                offset=dict(type='int'),
                ports=dict(type='dict'),
            )),
            discover=dict(type='bool', default=True),
            probe_control_plane=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    keep_ports_visible(module)
    try:
        entries, host = read(module)
    except proc_scan.ProcUnreadable as exc:
        module.fail_json(msg='%s; the audit needs root (become: true) to see every socket' % to_native(exc))
    except CollectionError as exc:
        fail(module, exc)
    report = audit_host(entries, host)
    asked = module.params['probe_control_plane']
    add_control_plane(report, entries, host['firewall'], net_probe.resolve if asked else None,
                      net_probe.tcp_probe if asked else None)
    summary = {'instances': len(report['instances']), 'ports': sum(len(i['rows']) for i in report['instances']),
               'findings': count_by_severity(report['findings']), 'worst': worst(report['findings'])}
    module.exit_json(changed=False, summary=summary, **report)


if __name__ == '__main__':
    main()
