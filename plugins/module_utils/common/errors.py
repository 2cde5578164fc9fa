# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one root of the errors the collection raises on purpose, and the one place they become a failed task.

Each concern has its own subclass (PortError, FileProblem, TomlEditError, ...), whose message says what is
wrong and how to fix it. Helpers raise; only modules call fail_json, through fail().
"""


class CollectionError(Exception):
    """A refusal with its message; result holds extra fields of the failed task (e.g. what was applied)."""

    def __init__(self, msg='', **result):
        super().__init__(msg)
        self.result = result


class CommandFailed(CollectionError):
    """A command or a system call on the host failed; result says what was already applied."""


def fail(module, exc, **result):
    """End the module run with exc as a failed task: its message, its result fields, then the caller's."""
    fields = dict(getattr(exc, 'result', {}), **result)
    module.fail_json(msg=str(exc), **fields)
