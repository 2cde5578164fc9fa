# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which firewall guards the host: backend ``auto`` uses the one that is active, and none when none is.

Active means: firewalld.service running; ufw enabled (``ENABLED=yes`` in ufw.conf, what ``ufw status``
reports); nftables.service active with a ruleset that hooks input; or our own nftables table, which an
earlier run with backend nftables installed. Finding nothing, auto changes no firewall.
"""

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common import systemd
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import nftables as fw_nftables
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import ufw as fw_ufw

UNITS = ('firewalld.service', 'nftables.service', fw_nftables.UNIT)
PROPERTIES = ('Id', 'LoadState', 'UnitFileState', 'ActiveState')
NO_FIREWALL = ('no active firewall: MI ports are open to every address, including the Management API; '
               'set backend nftables to restrict them')


def parse_units(text):
    """`systemctl show -p Id,...` of several units: {unit: {property: value}}."""
    return dict((props['Id'], props) for props in map(dict, systemd.show_blocks(text)) if props.get('Id'))


def read_units(host, units=UNITS):
    if not host.systemd():
        return {}
    return parse_units(host.run(['systemctl', 'show', '--property=' + ','.join(PROPERTIES)] + list(units))[1])


def read(host, units):
    """Plain data for choose(): unit states, ufw's switch, and (only when neither firewalld nor ufw is
    active) the nftables base chains on the input hook. A host where nft cannot list (no nf_tables, no
    privilege) counts as having no ruleset."""
    state = {'units': units, 'ufw_enabled': False, 'input_chains': []}
    if _active(state, 'firewalld.service'):
        return state
    if host.which('ufw'):
        state['ufw_enabled'] = fw_ufw.parse_settings(host.read(fw_ufw.CONF)).get('ENABLED', '').lower() == 'yes'
    if not state['ufw_enabled'] and host.which('nft'):
        rc, out, dummy = host.run(['nft', '-j', 'list', 'chains'], check=False)
        if rc == 0:
            state['input_chains'] = [c for c in fw_nftables.parse_chains(out) if c['hook'] == 'input']
    return state


def _active(state, unit):
    return state['units'].get(unit, {}).get('ActiveState') == 'active'


def choose(state):
    """(backend, reason) from what read() found."""
    if _active(state, 'firewalld.service'):
        return 'firewalld', 'firewalld.service is active'
    if state['ufw_enabled']:
        return 'ufw', 'ufw is enabled (ENABLED=yes in %s)' % fw_ufw.CONF
    foreign = fw_nftables.foreign_input_chains(state['input_chains'])
    if _active(state, 'nftables.service') and foreign:
        return 'nftables', 'nftables.service is active and its ruleset hooks input (%s)' % ', '.join(
            'table %s %s' % (c['family'], c['table']) for c in foreign)
    ours = len(foreign) < len(state['input_chains'])
    if ours or state['units'].get(fw_nftables.UNIT, {}).get('UnitFileState') == 'enabled':
        return 'nftables', 'table inet %s of an earlier run with backend nftables is in place' % fw_nftables.TABLE
    return 'none', 'no firewall is active (firewalld.service and nftables.service inactive, ufw not enabled)'
