# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replace several files all or nothing, as far as a file system allows.

Everything that can fail for lack of space or permission happens before the first file is replaced:
the backups (complete, or none), every new file as a temporary file, and a temporary copy of every old
file (the way back). Only renames remain; if one fails, the files already replaced are renamed back to
their old content, and the result names the state of every file. Used under the lock (common.lock),
after checking that no file changed since it was read.
"""

import os

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.fileio import (
    FileProblem,
    backup,
    discard,
    prepare,
    rename,
)


class CommitFailed(FileProblem):
    """Some file could not be replaced; states says where every file stands, changed whether any did change."""

    def __init__(self, message, states, changed):
        FileProblem.__init__(self, message, files=states, changed=changed)
        self.states = states
        self.changed = changed


def _describe(states):
    return '; '.join('%s: %s' % (path, state) for path, state in states.items())


def replace_all(module, edits, make_backups=False):
    """edits: [(Snapshot read under the lock, new bytes)]. Returns {path: backup path} of the backups made.

    Raises CommitFailed, whose states are 'unchanged', 'replaced', 'restored' (replaced, then put back) or
    'replaced, could not be restored: ...'."""
    states = dict((snapshot.path, 'unchanged') for snapshot, _data in edits)
    backups, temps, undo = {}, [], []
    try:
        if make_backups:
            for snapshot, _data in edits:
                if snapshot.data is not None:
                    backups[snapshot.path] = backup(module, snapshot)
        for snapshot, data in edits:
            temps.append((snapshot.folder, prepare(module, snapshot.folder, snapshot.name, data)))
            old = snapshot.data
            undo.append(None if old is None else
                        (snapshot.folder, prepare(module, snapshot.folder, snapshot.name, old, like=snapshot.info)))
        for snapshot, _data in edits:
            snapshot.check_unchanged()
    except FileProblem as exc:
        for folder, name in temps + [item for item in undo if item]:
            discard(folder, name)
        for snapshot, _data in edits:
            if snapshot.path in backups:
                discard(snapshot.folder, os.path.basename(backups[snapshot.path]))
        raise CommitFailed('nothing was changed: %s' % exc, states, changed=False)
    for index, (snapshot, _data) in enumerate(edits):
        try:
            rename(module, snapshot.folder, temps[index][1], snapshot.name)
        except FileProblem as exc:
            for folder, name in temps[index + 1:] + [item for item in undo[index:] if item]:
                discard(folder, name)
            states[snapshot.path] = 'unchanged (%s)' % exc
            _roll_back(module, edits[:index], undo[:index], states)
            changed = any(state.startswith('replaced') for state in states.values())
            raise CommitFailed('%s: %s' % ('some files were changed' if changed else 'nothing was changed',
                                           _describe(states)), states, changed)
        states[snapshot.path] = 'replaced'
    for item in undo:
        if item:
            discard(*item)
    return backups


def _roll_back(module, done, undo, states):
    """Put the replaced files back, the last one first."""
    for (snapshot, _data), old in reversed(list(zip(done, undo))):
        try:
            if old is None:
                snapshot.folder.remove(snapshot.name)
            else:
                rename(module, old[0], old[1], snapshot.name)
            states[snapshot.path] = 'restored (replaced, then put back)'
        except (OSError, FileProblem) as exc:
            states[snapshot.path] = 'replaced, could not be restored: %s' % exc
