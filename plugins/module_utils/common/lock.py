# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lock every run of the collection takes from reading a file to replacing it.

An exclusive flock(2) on the folder that holds the file (its real path). The folder, not the file: a
replace renames a new inode over the file, so a lock on the file would be lost with the old inode, and
a separate lock file would be one more path to protect from the links a service account can plant.
The folder is the one common.fileio walked to (no link followed outside its rule) and then reads and replaces
the file through: nothing is created, nothing is left behind.
The kernel drops the lock when its holder exits, also on SIGKILL, so a dead run never blocks the next.
Two runs that lock several folders take them in one order (sorted real paths), so they never deadlock.
On timeout the message names the holder, read from /proc/locks.
"""

import errno
import fcntl
import os
import random
import time

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common import fileio
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.errors import CollectionError

DEFAULT_TIMEOUT = 30  # seconds; the lock_timeout option of the modules that change files


class LockError(CollectionError, RuntimeError):
    """The lock could not be taken (another run held it past the timeout: the message names it)."""


def holders(folder_fd):
    """'pid N (command)' of the processes /proc/locks shows holding a lock on the open folder."""
    info = os.fstat(folder_fd)
    device = '%02x:%02x:%d' % (os.major(info.st_dev), os.minor(info.st_dev), info.st_ino)
    found = []
    try:
        with open('/proc/locks') as table:
            for line in table:
                fields = line.split()
                if len(fields) > 5 and '->' not in fields and fields[-3] == device and fields[-4].isdigit():  # '->': a waiter
                    found.append(_process(int(fields[-4])))
    except (IOError, OSError):
        pass
    return found


def _process(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            words = handle.read().split(b'\0')
        command = ' '.join(os.path.basename(word.decode('utf-8', 'replace')) for word in words[:3] if word)
        return 'pid %d (%s)' % (pid, command)
    except (IOError, OSError):
        return 'pid %d' % pid


class FolderLocks:
    """Exclusive locks on the folders of the given files (paths, or fileio.Folder objects of the folders
    themselves), taken in sorted order; a context manager. The lock is taken on the very descriptor the files are
    then read and replaced through (fileio), never on a path opened again."""

    def __init__(self, targets, timeout=DEFAULT_TIMEOUT):
        folders = {}
        for target in targets:
            folder = target if isinstance(target, fileio.Folder) else self._folder_of(target)
            folders.setdefault(folder.identity, folder)
        self.held = sorted(folders.values(), key=lambda folder: folder.path)
        self.timeout = timeout
        self.taken = []

    @staticmethod
    def _folder_of(path):
        try:
            return fileio.locate(path, create=True)[0]
        except fileio.FileProblem as exc:
            if not os.path.isdir(os.path.dirname(path)):
                raise LockError('the folder %s does not exist; check the MI home' % os.path.dirname(path))
            raise LockError('cannot lock the folder of %s: %s' % (path, exc))

    @property
    def identities(self):
        """The (device, inode) of every locked folder: a file read in another folder is not under the lock."""
        return set(folder.identity for folder in self.held)

    def __enter__(self):
        deadline = time.monotonic() + max(self.timeout, 0)
        try:
            for folder in self.held:
                self._take(folder, deadline)
                self.taken.append(folder)
        except BaseException:
            self.release()
            raise
        return self

    def __exit__(self, *_exc):
        self.release()

    def release(self):
        while self.taken:
            folder = self.taken.pop()
            try:
                fcntl.flock(folder.fd, fcntl.LOCK_UN)
            except (OSError, TypeError):
                pass

    def _take(self, folder, deadline):
        while True:
            try:
                fcntl.flock(folder.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise LockError('cannot lock %s: %s' % (folder.path, exc.strerror))
            if time.monotonic() >= deadline:
                who = ', '.join(holders(folder.fd)) or 'a process this user cannot see'
                raise LockError('another run holds the lock on %s (%s) and did not release it within lock_timeout '
                                '%s seconds; wait for it to finish, or raise lock_timeout' % (folder.path, who,
                                                                                              self.timeout))
            time.sleep(random.uniform(0.02, 0.08))  # spread the waiters, so one does not starve
