# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small helpers with no MI knowledge."""


def unique(items):
    """items without repeats, first occurrence first; works for unhashable items (dicts, lists) too."""
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out
