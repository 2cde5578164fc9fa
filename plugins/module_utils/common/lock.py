# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lock every run of the collection takes from reading a file to replacing it.

An exclusive flock(2) on the folder that holds the file (its real path). The folder, not the file: a
replace renames a new inode over the file, so a lock on the file would be lost with the old inode, and
a separate lock file would be one more path to protect from the links a service account can plant.
The folder is opened read-only (O_DIRECTORY | O_NOFOLLOW), nothing is created, nothing is left behind.
The kernel drops the lock when its holder exits, also on SIGKILL, so a dead run never blocks the next.
Two runs that lock several folders take them in one order (sorted real paths), so they never deadlock.
On timeout the message names the holder, read from /proc/locks.
"""

import errno
import fcntl
import os
import random
import time

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
    """Exclusive locks on the folders of paths, taken in sorted order; a context manager."""

    def __init__(self, paths, timeout=DEFAULT_TIMEOUT):
        self.folders = sorted(set(os.path.dirname(path) for path in paths))
        self.timeout = timeout
        self.fds = []

    def __enter__(self):
        deadline = time.monotonic() + max(self.timeout, 0)
        try:
            for folder in self.folders:
                self.fds.append(self._take(folder, deadline))
        except BaseException:
            self.release()
            raise
        return self

    def __exit__(self, *_exc):
        self.release()

    def release(self):
        while self.fds:
            os.close(self.fds.pop())  # closing the last descriptor drops the flock

    def _take(self, folder, deadline):
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_CLOEXEC', 0))
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                raise LockError('the folder %s does not exist; check the MI home' % folder)
            raise LockError('cannot open %s to lock it: %s' % (folder, exc.strerror))
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except (IOError, OSError) as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    os.close(fd)
                    raise LockError('cannot lock %s: %s' % (folder, exc.strerror))
            if time.monotonic() >= deadline:
                who = ', '.join(holders(fd)) or 'a process this user cannot see'
                os.close(fd)
                raise LockError('another run holds the lock on %s (%s) and did not release it within lock_timeout '
                                '%s seconds; wait for it to finish, or raise lock_timeout' % (folder, who, self.timeout))
            time.sleep(random.uniform(0.02, 0.08))  # spread the waiters, so one does not starve
