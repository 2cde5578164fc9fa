# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Ansible masks in a module's result when environment and JVM arguments are no_log.

Ansible replaces every value of a no_log option wherever it appears in the result, by '********'. The
environment and JVM arguments MI starts with are no_log (they can carry passwords), but a value that is
only a port, an offset or a flag (MI_HTTP_PORT=8380, -DportOffset=3) decides exactly what the modules
must return: masking it would hide the port (and every 8380 in every message). The same for the path
of a file or folder that exists (CARBON_HOME=/opt/mi would mask every MI home and path returned).
Those values stay visible; every other one stays masked, and the modules never print one anyway.
"""

import os
import re

_PLAIN = re.compile(r'\A(?:-D[\w.-]+=)?(?:[0-9]{1,5}|true|false)\Z', re.IGNORECASE)  # also -DportOffset=5


def keep_ports_visible(module):
    """Drop the port, offset, flag and existing path values from module.no_log_values (see the module docstring)."""
    module.no_log_values.difference_update([value for value in module.no_log_values if _PLAIN.match(value) or (
        value.startswith('/') and os.path.exists(value))])
