# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One firewall run, shared by the firewall module and the instances module (which reconciles the firewall in the
same execution as the files): choose the backend, read what it holds, plan against the listeners, apply, and the
result both modules return.

choose() runs before any lock is taken: firewalld's client may be importable only by the system Python, and the
module then runs again under that Python (respawn), which would wait forever for a lock its parent holds.
"""

from collections import namedtuple

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import detect as fw_detect
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import firewalld as fw_firewalld
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import nftables as fw_nftables
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import ufw as fw_ufw
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall.rules import (
    PRIVATE_SOURCES,
    desired_rules,
    endpoint_sources,
    exposure_sources,
    family,
)

BACKENDS = ['auto', 'nftables', 'firewalld', 'ufw', 'none']
# Who may reach what, and firewalld's zone: both modules take these options (doc fragment sources and
# sources.firewall); each has its own option for the backend.
OPTIONS = dict(
    inbound_sources=dict(type='dict', default={}),
    public_sources=dict(type='list', elements='str'),
    management_sources=dict(type='list', elements='str', default=[]),
    monitoring_sources=dict(type='list', elements='str', default=list(PRIVATE_SOURCES)),
    firewalld_zone=dict(type='str'),
)
# The file whose folder every run that may change the firewall locks (see the lock_timeout option).
LOCKED_FILE = fw_nftables.FILE
# What a run that manages no firewall says (backend none asked for), since nothing it does keeps anyone out.
UNMANAGED = ('firewall none: this run manages no firewall; unless another one guards the host, the MI ports, the '
             'Management API included, are open to every address')
APPLY = {'nftables': fw_nftables.apply, 'firewalld': fw_firewalld.apply, 'ufw': fw_ufw.apply}


class Chosen(namedtuple('Chosen', 'backend reason units input_chains connection')):
    """The backend to use and what choosing it read; connection: firewalld's (client, problem)."""


def sources(params):
    """(sources by exposure, sources by inbound endpoint) of the options, checked (FirewallInputError)."""
    return (exposure_sources(params['public_sources'], params['management_sources'], params['monitoring_sources']),
            endpoint_sources(params['inbound_sources']))


def desired(listeners, checked_sources, reserved_ports):
    """The rules the listeners need; checked_sources: what sources() returned."""
    by_exposure, by_endpoint = checked_sources
    return desired_rules(listeners, by_exposure, reserved_ports, by_endpoint)


def choose(host, backend):
    """Chosen for the backend asked (auto: detected from what is active). Reads only, and takes no lock."""
    units = fw_detect.read_units(host) if backend in ('auto', 'nftables') else {}
    reason = input_chains = connection = None
    if backend == 'auto':
        state = fw_detect.read(host, units)
        backend, reason = fw_detect.choose(state)
        input_chains = state['input_chains'] if backend == 'nftables' else None
    if backend == 'firewalld':
        connection = fw_firewalld.connect()  # may run the module again under the system Python
    return Chosen(backend, reason, units, input_chains, connection)


def read_and_plan(host, chosen, wanted, zone, remove_stale=True):
    """(plan, kept) after reading the firewall chosen; plan None for backend none. kept: the objects a run with
    remove_stale would remove, kept by this one."""
    if chosen.backend == 'nftables':
        current, planner = fw_nftables.read(host, chosen.units, chosen.input_chains), fw_nftables.plan
    elif chosen.backend == 'firewalld':
        current, planner = fw_firewalld.read(host, zone, wanted, chosen.connection), fw_firewalld.plan
    elif chosen.backend == 'ufw':
        current, planner = fw_ufw.read(host), fw_ufw.plan
    else:
        return None, []
    complete = planner(wanted, current)
    if remove_stale:
        return complete, []
    return planner(wanted, current, keep=True), complete.removed


def apply(host, chosen, plan, check_mode):
    if plan is not None and plan.actions and not check_mode:
        APPLY[chosen.backend](host, plan.actions)


def summary(backend, plan, check_mode, kept=()):
    if plan is None:
        return 'no firewall changed (backend none)'
    stale = '; %d rules of before kept (remove_stale false)' % len(kept) if kept else ''
    if not plan.actions:
        return '%s: no change%s' % (backend, stale)
    return '%s: %s%d rules added, %d removed (%d steps)%s' % (
        backend, 'check mode, would have ' if check_mode else '', len(plan.added), len(plan.removed), len(plan.actions),
        stale)


def plan_line(backend, plan, kept):
    """The firewall part of a plan, for humans: what it adds, removes and keeps, or that nothing guards MI."""
    if plan is None or not plan.guarded:
        return '%s: nothing guards the MI ports, the Management API included' % backend
    line = '%s: add %s; remove %s' % (backend, '; '.join(plan.added) or 'nothing', '; '.join(plan.removed) or 'nothing')
    return line + ('; kept until MI listens on its new ports: %s' % '; '.join(kept) if kept else '')


def result(chosen, wanted, plan, kept, asked, check_mode):
    """The fields both modules return (the firewall module's RETURN); asked: the backend option as given."""
    found = dict(
        changed=bool(plan and plan.actions), backend=chosen.backend, guarded=plan.guarded if plan else None,
        actions=[a.text for a in plan.actions] if plan else [], rules_added=plan.added if plan else [],
        rules_removed=plan.removed if plan else [], rules_kept=kept,
        rules=[dict(rule._asdict(), family=family(rule.source)) for rule in wanted.rules],
        restricted_ports=wanted.restricted, skipped_listeners=wanted.skipped,
        msg=summary(chosen.backend, plan, check_mode, kept), plan=plan_line(chosen.backend, plan, kept))
    if chosen.reason:
        found['detected'] = chosen.reason
    if plan is None and asked == 'auto':
        found['guarded'] = False
    return found


def diff(backend, plan):
    """The diff of the objects the run owns, in the backend's own syntax."""
    header = '%s (owned objects)' % backend
    return {'before': plan.diff[0], 'after': plan.diff[1], 'before_header': header, 'after_header': header}


def warnings(chosen, plan, asked):
    if plan is None:
        return [fw_detect.NO_FIREWALL] if asked == 'auto' else []
    return list(plan.warnings)
