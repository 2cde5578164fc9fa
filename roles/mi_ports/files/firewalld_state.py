# -*- coding: utf-8 -*-
# Copyright: wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print, as JSON, the firewalld objects of one zone that the mi_ports role compares with its desired state.

Read-only. One D-Bus client instead of several firewall-cmd processes. Usage: firewalld_state.py [ZONE] PREFIX
(an empty ZONE means firewalld's default zone; PREFIX selects the service files the role owns).
"""

import glob
import json
import os
import sys

from firewall.client import FirewallClient


def main():
    zone, prefix = sys.argv[1], sys.argv[2]
    client = FirewallClient()
    zone = zone or client.getDefaultZone()
    permanent = client.config().getZoneByName(zone).getSettings()
    files = sorted(os.path.basename(path)[:-len('.xml')]
                   for path in glob.glob('/etc/firewalld/services/%s-*.xml' % prefix))
    print(json.dumps({
        'zone': zone,
        'permanent_services': sorted(permanent.getServices()),
        'runtime_services': sorted(client.getServices(zone)),
        'permanent_rich_rules': sorted(permanent.getRichRules()),
        'runtime_rich_rules': sorted(client.getRichRules(zone)),
        'service_files': files,
    }))


if __name__ == '__main__':
    main()
