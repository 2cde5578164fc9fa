# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one reader of nft's JSON (`nft -j list ...`), shared by the nftables backend and the audit's reach.

Values this reader does not understand raise ValueError; each caller decides what that means (an
unrecognised rule, a rule not evaluated).
"""

import ipaddress
import json


def load(text):
    """(chains, order): {(family, table, name): chain dict with 'rules' [raw rule dicts]}, keys in listing order.

    A rule whose chain was not listed gets a chain entry of its own (name only), so nothing is dropped."""
    chains, order = {}, []
    for entry in json.loads(text).get('nftables', []):
        if 'chain' in entry:
            key = (entry['chain']['family'], entry['chain']['table'], entry['chain']['name'])
            chains[key] = dict(entry['chain'], rules=[])
            order.append(key)
        elif 'rule' in entry:
            item = entry['rule']
            key = (item['family'], item['table'], item['chain'])
            if key not in chains:
                chains[key] = {'family': key[0], 'table': key[1], 'name': key[2], 'rules': []}
                order.append(key)
            chains[key]['rules'].append(item)
    return chains, order


def port_ranges(right):
    """A dport match's right side (a port, a range or an anonymous set) as [(low, high)]."""
    if isinstance(right, int):
        return [(right, right)]
    if isinstance(right, dict) and 'range' in right:
        return [tuple(right['range'])]
    if isinstance(right, dict) and 'set' in right:
        return [pair for item in right['set'] for pair in port_ranges(item)]
    raise ValueError(right)


def network(right):
    """A saddr match's right side (an address or a prefix) as a network string; named sets ('@x') are not read."""
    if isinstance(right, dict) and 'prefix' in right:
        return str(ipaddress.ip_network('%s/%s' % (right['prefix']['addr'], right['prefix']['len']), strict=False))
    if isinstance(right, str) and not right.startswith('@'):
        return str(ipaddress.ip_network(right, strict=False))
    raise ValueError(right)
