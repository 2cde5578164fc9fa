# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn the port model's PortError into the AnsibleFilterError that Jinja users see."""

import functools

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native


def filter_errors(name):
    """Decorate a filter function so that bad input raises AnsibleFilterError naming the filter."""
    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except (ValueError, TypeError, KeyError) as exc:  # PortError and FirewallInputError are ValueErrors
                raise AnsibleFilterError('%s: %s' % (name, to_native(exc)))
        return wrapper
    return decorate
