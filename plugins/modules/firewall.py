#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: firewall
short_description: Open the ports of WSO2 Micro Integrator in the host firewall, and only those
version_added: 0.2.0
description:
  - In one run, reads the firewall the host uses (nftables, firewalld or ufw), plans, and makes exactly the
    objects it owns match the listeners given. Every rule carries the owner tag C(wso2ops-mi <instance> <name>).
  - Each listener has an exposure class. C(public) (pass-through ports and other traffic listeners) is open to
    O(public_sources), any address by default. C(management) (Management API over HTTPS, debugger ports) is open
    only to O(management_sources), nobody by default. C(monitoring) (the internal HTTP port, which serves
    C(/healthz), C(/liveness), Prometheus and, with MI's default C([management_api] protocols), the Management
    API over HTTP) is open to O(monitoring_sources), the private address ranges by default. Loopback is always
    accepted.
  - It never changes default policies, never enables, disables, resets or reloads a whole firewall on its own
    (firewalld excepted, see O(backend)), never touches objects it does not own, and refuses a listener on a
    port of O(reserved_ports) (SSH, port 22, always), so no rule it writes can close SSH.
  - When no firewall guards the host, the result says so, with RV(guarded) false and a warning, since the MI
    ports, the Management API included, are then open to every address.
author:
  - wso2ops contributors (@wso2ops)
requirements:
  - nftables backend, C(nft) and systemd (the unit that loads the table at boot)
  - firewalld backend, firewalld running and its Python client C(firewall.client) (package python3-firewall)
    importable by the Python that runs the module
  - ufw backend, C(ufw)
options:
  backend:
    description:
      - V(auto) uses the firewall that is active, in this order, firewalld when C(firewalld.service) is active,
        ufw when it is enabled, nftables when C(nftables.service) is active with a ruleset that hooks input, or
        when table C(inet wso2ops_mi) of an earlier run with V(nftables) is in place. With no active firewall,
        V(auto) changes nothing and warns.
      - V(nftables) keeps its own C(table inet wso2ops_mi) in C(/etc/wso2ops-mi-ports.nft), loaded at boot by
        its own unit C(wso2ops-mi-ports.service) (ordered after C(nftables.service), so a C(flush ruleset) there
        does not lose it). Both files are written atomically; when the module creates them they get mode 0644
        whatever the umask, an existing file keeps its mode and owner. It installs the table even when no other firewall is active. Its chain accepts
        loopback and the allowed sources and drops every other source on the restricted ports; an accept in
        this table does not override a drop in another table.
      - V(firewalld) keeps service definitions C(wso2ops-mi-<instance>-<exposure>), enabled in O(firewalld_zone)
        when open to any address, else named by one rich rule per source; permanent and at runtime.
        firewalld learns a new or changed service definition only on a reload, so the module reloads it then,
        and refuses (changing nothing) when a zone or policy holds runtime-only changes that a reload would drop.
      - V(ufw) keeps allow rules with the comment C(wso2ops-mi <instance> <name>). It never enables ufw.
      - V(none) changes no firewall.
    type: str
    choices: [auto, nftables, firewalld, ufw, none]
    default: auto
  listeners:
    description:
      - Every listener MI opens, as the port model gives them. A disabled listener or one without a port
        (unresolved) gets no rule and is reported in RV(skipped_listeners).
    type: list
    elements: dict
    required: true
    suboptions:
      instance:
        description: Instance name (letters, digits, C(_), C(-)); it names the firewall objects.
        type: str
        required: true
      name:
        description: Listener alias (C(http), C(https), C(management_http), C(management_https)) or dotted key.
        type: str
        required: true
      port:
        description: Effective port; null when unresolved.
        type: int
      exposure:
        description: Exposure class.
        type: str
        required: true
        choices: [public, management, monitoring]
      enabled:
        description: Whether MI opens the listener.
        type: bool
        default: true
      apis:
        description:
          - The internal APIs the port serves (as M(wso2ops.micro_integrator.instances) returns them). A port that
            serves C(management_api) is never opened to every address.
        type: list
        elements: str
        default: []
      key:
        description: The listener's deployment.toml key (informative).
        type: str
      protocol:
        description: The listener's protocol (informative).
        type: str
      bind_address:
        description: The listener's bind address (informative; rules apply to every address of the host).
        type: str
      endpoint:
        description:
          - The inbound endpoint's name, for a deployed or declared inbound endpoint (listener C(inbound.<name>));
            O(inbound_sources) is looked up by it.
        type: str
      artifact:
        description: Where the inbound endpoint is deployed (its XML file, or C(<capp>!<member>)); informative.
        type: str
      offset_applied:
        description: Whether the port offset was added to the port (informative).
        type: bool
  reserved_ports:
    description: Ports no listener may have (a rule there could lock an operator out). Port 22 is always refused.
    type: list
    elements: int
    default: [22]
  remove_stale:
    description:
      - Remove the objects the module owns that the listeners no longer need (the ports of before).
      - V(false) adds and updates what the listeners need and removes nothing the module owns, so the ports of
        before stay open to their sources, and closed to the others, while MI still listens on them. This is the
        first step of a port move without a gap (make before break). A later run with V(true), after MI restarted
        on its new ports, closes them (RV(rules_kept) lists what it will remove).
    type: bool
    default: true
  lock_timeout:
    description:
      - Seconds to wait for another run of the module on this host (runs hold an exclusive C(flock) on C(/etc), the
        folder of C(/etc/wso2ops-mi-ports.nft), from reading the firewall to the last change, for every backend)
        before failing with a message that names the holder (pid and command). V(0) tries once.
    type: int
    default: 30
extends_documentation_fragment:
  - wso2ops.micro_integrator.sources
  - wso2ops.micro_integrator.sources.firewall
attributes:
  check_mode:
    support: full
    description: Reads the firewall and reports the plan (RV(actions), RV(rules_added), RV(rules_removed)); changes nothing.
  diff_mode:
    support: full
    description: Shows the objects it owns before and after, in the backend's own syntax.
  platform:
    support: full
    platforms: posix
    description: Runs on Linux hosts with one of the firewalls above (and systemd for nftables).
seealso:
  - module: wso2ops.micro_integrator.deployment_toml
  - module: wso2ops.micro_integrator.instances
    description: Reads every MI instance of the host and returns the listeners this module takes.
"""

EXAMPLES = r"""
- name: Open the MI ports of two instances in whatever firewall the host runs
  wso2ops.micro_integrator.firewall:
    listeners:
      - {instance: orders, name: http, port: 8290, exposure: public}
      - {instance: orders, name: https, port: 8253, exposure: public}
      - {instance: orders, name: management_http, port: 9201, exposure: monitoring}
      - {instance: orders, name: management_https, port: 9164, exposure: management}
      - {instance: billing, name: transport.tcp.listener.port, port: 8301, exposure: public}
    management_sources: [192.0.2.0/24, "2001:db8:1::/64"]
  register: mi_firewall

- name: The same with nftables on a host that runs no firewall yet, monitoring from the LB only
  wso2ops.micro_integrator.firewall:
    backend: nftables
    listeners: "{{ mi_listeners }}"
    monitoring_sources: [10.20.0.0/24]
"""

RETURN = r"""
backend:
  description: The backend used, C(nftables), C(firewalld), C(ufw) or C(none).
  returned: always
  type: str
  sample: nftables
detected:
  description: Why O(backend=auto) chose RV(backend).
  returned: when O(backend=auto)
  type: str
  sample: nftables.service is active and its ruleset hooks input (table inet filter)
guarded:
  description:
    - Whether a firewall keeps the sources that are not allowed out of the MI ports. False means that the MI ports,
      the Management API included, are open to every address (a warning says why). Null when O(backend=none) was
      given (nothing was read).
  returned: always
  type: bool
  sample: true
rules:
  description: The allow rules the listeners need, one per listener and source.
  returned: always
  type: list
  elements: dict
  sample:
    - {instance: mi, name: http, port: 8290, exposure: public, source: null, family: any}
    - {instance: mi, name: management_https, port: 9164, exposure: management, source: 192.0.2.0/24, family: ipv4}
restricted_ports:
  description: Ports that only the allowed sources (and loopback) may reach.
  returned: always
  type: list
  elements: int
  sample: [9164, 9201]
skipped_listeners:
  description: Listeners that get no rule, with the reason (C(disabled), C(no port (unresolved))).
  returned: always
  type: list
  elements: dict
  sample: [{instance: mi, name: https, port: 8253, exposure: public, reason: disabled}]
rules_added:
  description: Objects the run added (in check mode, would add), in the backend's own syntax.
  returned: always
  type: list
  elements: str
  sample: ['tcp dport 8290 accept comment "wso2ops-mi mi http"']
rules_removed:
  description: Objects the run removed (in check mode, would remove), in the backend's own syntax.
  returned: always
  type: list
  elements: str
  sample: ['tcp dport 8283 accept comment "wso2ops-mi mi http"']
rules_kept:
  description: Objects of the module that the listeners no longer need, kept because O(remove_stale=false).
  returned: always
  type: list
  elements: str
  sample: ['tcp dport 8283 accept comment "wso2ops-mi mi http"']
plan:
  description:
    - One line for humans, the rules the run adds, removes and keeps (O(remove_stale=false)), in the backend's syntax,
      or that nothing guards the MI ports (no active firewall, or O(backend=none)).
  returned: always
  type: str
  sample: 'nftables: add tcp dport 8290 accept comment "wso2ops-mi mi http"; remove nothing'
actions:
  description: The steps of the plan, in order (in check mode, the steps a real run would take).
  returned: always
  type: list
  elements: str
  sample: [write /etc/wso2ops-mi-ports.nft, load /etc/wso2ops-mi-ports.nft (replaces table inet wso2ops_mi only)]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import reconcile
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.errors import CollectionError, fail
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.host import Host
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.lock import DEFAULT_TIMEOUT, FolderLocks, LockError
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall.rules import FirewallInputError

ARGUMENT_SPEC = dict(
    reconcile.OPTIONS,
    backend=dict(type='str', default='auto', choices=reconcile.BACKENDS),
    listeners=dict(type='list', elements='dict', required=True, options=dict(
        instance=dict(type='str', required=True),
        name=dict(type='str', required=True),
        port=dict(type='int'),
        exposure=dict(type='str', required=True, choices=['public', 'management', 'monitoring']),
        enabled=dict(type='bool', default=True),
        apis=dict(type='list', elements='str', default=[]),
        key=dict(type='str', no_log=False),
        protocol=dict(type='str'),
        bind_address=dict(type='str'),
        endpoint=dict(type='str'),
        artifact=dict(type='str'),
        offset_applied=dict(type='bool'),
    )),
    reserved_ports=dict(type='list', elements='int', default=[22]),
    remove_stale=dict(type='bool', default=True),
    lock_timeout=dict(type='int', default=DEFAULT_TIMEOUT),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    try:
        wanted = reconcile.desired(params['listeners'], reconcile.sources(params), params['reserved_ports'])
    except FirewallInputError as exc:
        module.fail_json(msg='%s. No firewall was changed' % exc)
    host = Host(module)
    try:
        chosen = reconcile.choose(host, params['backend'])
        # One run at a time from the read to the last change: two plans made from one state would undo each other.
        with FolderLocks([] if module.check_mode or chosen.backend == 'none' else [reconcile.LOCKED_FILE],
                         params['lock_timeout']):
            plan, kept = reconcile.read_and_plan(host, chosen, wanted, params['firewalld_zone'], params['remove_stale'])
            result = reconcile.result(chosen, wanted, plan, kept, params['backend'], module.check_mode)
            if plan is not None and plan.problems:
                result.update(msg='; '.join(plan.problems), changed=False)
                module.fail_json(**result)
            reconcile.apply(host, chosen, plan, module.check_mode)
    except LockError as exc:
        module.fail_json(msg='%s. No firewall was changed' % exc)
    except CollectionError as exc:
        fail(module, exc)
    for warning in reconcile.warnings(chosen, plan, params['backend']):
        module.warn(warning)
    if module._diff and plan is not None:
        result['diff'] = reconcile.diff(chosen.backend, plan)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
