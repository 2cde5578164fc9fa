# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""firewalld backend: service definitions ``wso2ops-mi-<instance>-<exposure>`` and the zone entries naming them.

A service open to any address is added to the zone; a restricted one gets one rich rule per source
(``rule family=... source address=... service name=... accept``). Everything goes through firewalld's
own Python client (D-Bus), permanent and runtime. firewalld has no runtime call that creates or changes
a service definition, so the module reloads firewalld only when a definition it needs at runtime is
missing or different; before such a reload it refuses to go on when a zone or policy holds runtime-only
changes of the operator (a reload would drop them). Other services, rules and zones are never touched.
"""

import glob
import re
import traceback

from ansible.module_utils.common.respawn import has_respawned, probe_interpreters_for_module, respawn_module
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.util import unique
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall.rules import OWNER, Action, Plan, family

PREFIX = OWNER + '-'
ZONE_FILES = '/etc/firewalld/zones/*.xml'
_OUR_RICH_RULE = re.compile(r'service name="%s' % re.escape(PREFIX))
# Zone settings that a reload keeps or that others manage at runtime (interface bindings).
_RELOAD_KEEPS = ('interfaces',)
# Where the OS package python3-firewall installs for (Debian/Ubuntu, RHEL 8 platform Python, RHEL 9).
SYSTEM_PYTHONS = ('/usr/bin/python3', '/usr/libexec/platform-python', '/usr/bin/python')


def service_name(instance, exposure):
    return '%s%s-%s' % (PREFIX, instance, exposure)


def rich_rule(source, service):
    """A rich rule in the form firewalld returns it (getRichRules), so that strings compare."""
    return 'rule family="%s" source address="%s" service name="%s" accept' % (family(source), source, service)


def is_ours_rule(rule):
    return bool(_OUR_RICH_RULE.search(rule))


# -- the desired objects (pure) -------------------------------------------------------------------
def desired_objects(desired):
    """{'services': {name: {'ports', 'short', 'description'}}, 'zone_services': [...], 'rich_rules': [...]}."""
    services, listeners, zone_services, rich_rules = {}, {}, [], []
    for rule in desired.rules:
        name = service_name(rule.instance, rule.exposure)
        if name not in services:
            services[name] = {'instance': rule.instance, 'exposure': rule.exposure, 'ports': []}
            listeners[name] = []
        if rule.port not in services[name]['ports']:
            services[name]['ports'].append(rule.port)
            listeners[name].append('%s %d' % (rule.name, rule.port))
        if rule.source is None:
            zone_services.append(name)
        else:
            rich_rules.append(rich_rule(rule.source, name))
    definitions = dict((name, {
        'short': name,
        'description': 'WSO2 Micro Integrator instance %s, %s ports: %s (wso2ops.micro_integrator.firewall)'
                       % (item['instance'], item['exposure'], ', '.join(listeners[name])),
        'ports': sorted((str(port), 'tcp') for port in item['ports'])}) for name, item in services.items())
    return {'services': definitions, 'zone_services': unique(zone_services), 'rich_rules': unique(rich_rules)}


def needs_reload(wanted, current):
    """A service the zone will name is missing at runtime or has other ports there."""
    named = [re.search(r'service name="([^"]+)"', rule).group(1) for rule in wanted['rich_rules']]
    used = set(wanted['zone_services']) | set(named)
    return any(current['runtime_services'].get(name) != wanted['services'][name]['ports'] for name in used)


# -- plan (pure) ----------------------------------------------------------------------------------
_REMOVALS = ('remove_service', 'remove_rich_rule', 'service_remove')


def _with_current(wanted, current):
    """wanted plus our objects as they are (remove_stale false): a service keeps its ports of before besides the
    new ones, and the zone keeps our services and rich rules."""
    services = dict(current['services'])
    for name, definition in wanted['services'].items():
        ports = set(definition['ports']) | set((services.get(name) or {}).get('ports', []))
        services[name] = dict(definition, ports=sorted(ports))
    zone = current['zones'].get(current['zone'], _empty_zone())['permanent']
    return {'services': services, 'zone_services': unique(wanted['zone_services'] + zone['services']),
            'rich_rules': unique(wanted['rich_rules'] + zone['rich_rules'])}


def plan(desired, current, keep=False):
    if current.get('problem'):
        return Plan([], [], [], [current['problem']], guarded=False)
    wanted = desired_objects(desired)
    if keep:
        wanted = _with_current(wanted, current)
    reload_needed = needs_reload(wanted, current)
    problems = []
    if reload_needed and current.get('runtime_only'):
        problems.append(
            'firewalld must be reloaded to learn the changed service definitions, and a reload drops the runtime-only '
            'changes it holds (%s); make them permanent (firewall-cmd --runtime-to-permanent) or drop them '
            '(firewall-cmd --reload), then run again. Nothing was changed' % '; '.join(current['runtime_only']))
    actions = _definition_actions(wanted, current) + _zone_actions(wanted, current, reload_needed)
    if keep:  # nothing of ours goes, in any zone
        actions = [action for action in actions if action.verb not in _REMOVALS]
    if reload_needed:
        actions.append(Action('reload', (), 'firewall-cmd --reload (firewalld learns the service definitions)'))
    return Plan(actions, _lines(current_state(current)), _lines(wanted_state(wanted, current['zone'])), problems,
                _guard_warnings(current), current['target'] != 'ACCEPT')


def _definition_actions(wanted, current):
    actions = []
    for name, definition in sorted(wanted['services'].items()):
        have = current['services'].get(name)
        if have != definition:
            verb = 'service_update' if have else 'service_add'
            actions.append(Action(verb, (name, definition), '%s %s: %s' % (
                'update service' if have else 'new service', name, _ports_text(definition['ports']))))
    return actions


def _zone_actions(wanted, current, reload_needed):
    """Removals in every zone that holds our objects, then additions in the module's zone; the runtime side is
    left to the reload when there is one. Definitions of services nothing names any more go last."""
    removals, additions = [], []
    layers = ('permanent',) if reload_needed else ('permanent', 'runtime')
    for zone, state in sorted(current['zones'].items()):
        keep_services = wanted['zone_services'] if zone == current['zone'] else []
        keep_rules = wanted['rich_rules'] if zone == current['zone'] else []
        for layer in layers:
            removals += [Action('remove_service', (zone, layer, name), '%s zone %s: remove service %s' % (layer, zone, name))
                         for name in state[layer]['services'] if name not in keep_services]
            removals += [Action('remove_rich_rule', (zone, layer, rule), '%s zone %s: remove %s' % (layer, zone, rule))
                         for rule in state[layer]['rich_rules'] if rule not in keep_rules]
    state = current['zones'].get(current['zone'], _empty_zone())
    for layer in layers:
        additions += [Action('add_service', (current['zone'], layer, name), '%s zone %s: add service %s'
                             % (layer, current['zone'], name))
                      for name in wanted['zone_services'] if name not in state[layer]['services']]
        additions += [Action('add_rich_rule', (current['zone'], layer, rule), '%s zone %s: add %s'
                             % (layer, current['zone'], rule))
                      for rule in wanted['rich_rules'] if rule not in state[layer]['rich_rules']]
    gone = [Action('service_remove', (name,), 'delete service %s' % name)
            for name in sorted(current['services']) if name not in wanted['services']]
    return removals + additions + gone


def _empty_zone():
    return {'permanent': {'services': [], 'rich_rules': []}, 'runtime': {'services': [], 'rich_rules': []}}


def _ports_text(ports):
    return ' '.join('%s/%s' % port for port in ports)


def wanted_state(wanted, zone):
    """Lines of the wanted objects, each present permanently and at runtime."""
    lines = [('service %s: %s' % (name, _ports_text(d['ports'])), 'both') for name, d in sorted(wanted['services'].items())]
    lines += [('zone %s: service %s' % (zone, name), 'both') for name in wanted['zone_services']]
    lines += [('zone %s: %s' % (zone, rule), 'both') for rule in wanted['rich_rules']]
    return lines


def current_state(current):
    """Lines of our objects as they are, marked when only the permanent or the runtime layer has them."""
    lines = []
    for name, definition in sorted(current['services'].items()):
        lines.append(('service %s: %s' % (name, _ports_text(definition['ports'])),
                      'both' if current['runtime_services'].get(name) == definition['ports'] else 'permanent'))
    for zone, state in sorted(current['zones'].items()):
        for kind, template in (('services', 'zone %s: service %s'), ('rich_rules', 'zone %s: %s')):
            permanent, runtime = state['permanent'][kind], state['runtime'][kind]
            for item in unique(permanent + runtime):
                where = 'both' if item in permanent and item in runtime else (
                    'permanent' if item in permanent else 'runtime')
                lines.append((template % (zone, item), where))
    return lines


def _lines(state):
    return [line if where == 'both' else '%s (%s only)' % (line, where) for line, where in state]


def _guard_warnings(current):
    warnings = []
    if current['target'] == 'ACCEPT':
        warnings.append('firewalld zone %s has target ACCEPT: every port, the Management API included, is open to '
                        'every address there; the module never changes a zone target' % current['zone'])
    if not current['zone_active']:
        warnings.append('firewalld zone %s is bound to no interface or source and is not the default zone: its '
                        'rules apply to no traffic' % current['zone'])
    return warnings


# -- read / apply (firewalld's Python client, over D-Bus) ----------------------------------------
def connect():
    """firewalld's client, or (None, reason).

    python3-firewall is a system package: when the module runs under another Python (a venv, another
    version), the module is run again under the first system Python that can import it. Only reads
    happen before this point, so the new run starts from the same host state."""
    try:
        from firewall.client import FirewallClient  # pylint: disable=import-error
    except ImportError:
        interpreter = None if has_respawned() else probe_interpreters_for_module(SYSTEM_PYTHONS, 'firewall.client')
        if interpreter:
            respawn_module(interpreter)
        return None, ('the Python module firewall.client is missing on the host (package python3-firewall) and no '
                      'system Python (%s) can import it; install python3-firewall' % ', '.join(SYSTEM_PYTHONS))
    try:
        client = FirewallClient()
    except Exception as exc:  # firewall.errors.FirewallError: no system D-Bus, so no firewalld either
        return None, 'firewalld is not running (%s); the module never starts a firewall: start it or choose another backend' % exc
    if not client.connected:
        return None, 'firewalld is not running; the module never starts a firewall: start it or choose another backend'
    return client, None


def _ours(items):
    return sorted(item for item in items if item.startswith(PREFIX))


def _zone_state(client, config, zone):
    permanent = config.getZoneByName(zone).getSettings()
    runtime = client.getZoneSettings(zone)
    return {
        'permanent': {'services': _ours(permanent.getServices()),
                      'rich_rules': [r for r in permanent.getRichRules() if is_ours_rule(r)]},
        'runtime': {'services': _ours(runtime.getServices()),
                    'rich_rules': [r for r in runtime.getRichRules() if is_ours_rule(r)]},
        'target': permanent.getTarget(),
    }


def _zones_naming_ours(host):
    """Zones whose permanent file names one of our services: only a customised zone has a file in /etc."""
    found = []
    for path in sorted(glob.glob(ZONE_FILES)):
        if PREFIX in (host.read(path) or ''):
            found.append(path.rsplit('/', 1)[1][:-len('.xml')])
    return found


def read(host, zone, desired, connection=None):
    """What firewalld holds of ours; connection: connect()'s answer when the caller already has it."""
    client, problem = connection or connect()
    if problem:
        return {'problem': problem}
    try:
        return _read(host, client, zone, desired)
    except Exception as exc:  # D-Bus errors carry firewalld's own message
        host.fail('reading firewalld failed: %s' % exc, exception=traceback.format_exc())


def _read(host, client, zone, desired):
    config = client.config()
    zone = zone or client.getDefaultZone()
    if zone not in config.getZoneNames():
        return {'problem': 'firewalld has no zone %r; give an existing zone (firewall-cmd --get-zones)' % zone}
    zones = dict((name, _zone_state(client, config, name)) for name in set([zone] + _zones_naming_ours(host)))
    runtime_names = set(client.listServices())
    current = {
        'zone': zone,
        'target': zones[zone]['target'],
        'zone_active': zone == client.getDefaultZone() or zone in client.getActiveZones(),
        'zones': zones,
        'services': dict((name, _definition(config.getServiceByName(name).getSettings()))
                         for name in _ours(config.getServiceNames())),
        'runtime_services': dict((name, _definition(client.getServiceSettings(name))['ports'])
                                 for name in _ours(runtime_names)),
    }
    if needs_reload(desired_objects(desired), current):
        current['runtime_only'] = runtime_only_changes(client, config)
    return current


def _definition(settings):
    return {'short': settings.getShort(), 'description': settings.getDescription(),
            'ports': sorted((str(port), proto) for port, proto in settings.getPorts())}


def _without_ours(settings):
    settings = dict(settings)
    for key in _RELOAD_KEEPS:
        settings.pop(key, None)
    for key in ('services', 'rules_str', 'rich_rules'):
        if key in settings:
            settings[key] = sorted(item for item in settings[key] if not item.startswith(PREFIX)
                                   and not is_ours_rule(item))
    return settings


def settings_differences(permanent, runtime):
    """Keys of a zone's or policy's settings that differ between the layers, ours left out."""
    permanent, runtime = _without_ours(permanent), _without_ours(runtime)
    return sorted(key for key in set(permanent) | set(runtime)
                  if _sorted(permanent.get(key)) != _sorted(runtime.get(key)))


def _sorted(value):
    return sorted(value, key=repr) if isinstance(value, list) else value


def runtime_only_changes(client, config):
    """'zone public: ports, services' for each zone or policy whose runtime differs from its permanent settings."""
    found = []
    for zone in sorted(client.getZones()):
        keys = settings_differences(config.getZoneByName(zone).getSettings().getSettingsDict(),
                                    client.getZoneSettings(zone).getSettingsDict())
        if keys:
            found.append('zone %s: %s' % (zone, ', '.join(keys)))
    for policy in sorted(getattr(client, 'getPolicies', lambda: [])()):
        keys = settings_differences(config.getPolicyByName(policy).getSettings().getSettingsDict(),
                                    client.getPolicySettings(policy).getSettingsDict())
        if keys:
            found.append('policy %s: %s' % (policy, ', '.join(keys)))
    return found


def apply(host, actions):
    client, problem = connect()
    if problem:
        host.fail(problem)
    try:
        for action in actions:
            _apply_one(client, action)
            host.done.append(action.text)
    except Exception as exc:
        host.fail('firewalld refused "%s": %s' % (action.text, exc), exception=traceback.format_exc())


def _apply_one(client, action):
    from firewall.client import FirewallClientServiceSettings  # pylint: disable=import-error
    config = client.config()
    if action.verb in ('service_add', 'service_update'):
        name, definition = action.args
        settings = FirewallClientServiceSettings()
        settings.setShort(definition['short'])
        settings.setDescription(definition['description'])
        settings.setPorts([list(port) for port in definition['ports']])
        if action.verb == 'service_add':
            config.addService(name, settings)
        else:
            config.getServiceByName(name).update(settings)
    elif action.verb == 'service_remove':
        config.getServiceByName(action.args[0]).remove()
    elif action.verb == 'reload':
        client.reload()
    else:
        zone, layer, item = action.args
        target = config.getZoneByName(zone) if layer == 'permanent' else client
        method = {'add_service': 'addService', 'remove_service': 'removeService',
                  'add_rich_rule': 'addRichRule', 'remove_rich_rule': 'removeRichRule'}[action.verb]
        if layer == 'permanent':
            getattr(target, method)(item)
        else:
            getattr(target, method)(zone, item)
