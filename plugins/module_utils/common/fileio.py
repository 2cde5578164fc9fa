# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read and replace a config file as exact bytes, safely, with errors an operator can act on.

Reading: only a regular file, opened non-blocking (a FIFO never hangs), no bigger than a limit checked
before reading (a device or a huge file never fills the memory), reached only through links that
common.links trusts. The snapshot remembers what was read, so a replace can first check that nobody
changed the file since (an editor that does not take the lock).

Replacing: the one atomic write path of the collection (the modules and the firewall backends): a
temporary file in the target's folder, fsynced, given the mode and owner it must have, then renamed
over the target. Readers see the complete old or the complete new file, also if the process dies.
"""

import errno
import os
import stat
import tempfile
import time

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.links import LinkRefused, trusted_path

MAX_BYTES = 4 * 1024 * 1024  # 4 MiB: a shipped deployment.toml is 4 kB, MI's full reference listing 60 kB
_PERM_BITS = 0o7777
_KINDS = ((stat.S_ISDIR, 'a directory'), (stat.S_ISCHR, 'a character device'), (stat.S_ISBLK, 'a block device'),
          (stat.S_ISFIFO, 'a FIFO (named pipe)'), (stat.S_ISSOCK, 'a socket'))

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.errors import CollectionError


class FileProblem(CollectionError, ValueError):
    """The file cannot be read or replaced; the message says why and what to do."""


def _kind(mode):
    for test, name in _KINDS:
        if test(mode):
            return name
    return 'not a regular file'


def _refuse_kind(mode, path):
    if stat.S_ISDIR(mode):
        raise FileProblem('the path is a directory; give the path of the file itself')
    raise FileProblem('%s is %s, not a regular file; the module reads and replaces only regular files. Nothing was '
                      'changed' % (path, _kind(mode)))


def _identity(info):
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


class Snapshot:
    """What was read: the real path, the bytes (None when the file is missing) and the file's stat."""

    def __init__(self, path, data, info):
        self.path = path
        self.data = data
        self.info = info

    @property
    def text(self):
        return None if self.data is None else _decode(self.data)

    @property
    def hard_links(self):
        """A warning when the file has other names (hard links): a replace gives the path a new file, the other
        names keep the old content. None otherwise."""
        if self.info is None or self.info.st_nlink < 2:
            return None
        return ('%s had %d hard links: it was replaced by a new file, the %d other names keep the old content; '
                'use a symbolic link to share one file' % (self.path, self.info.st_nlink, self.info.st_nlink - 1))

    def check_unchanged(self):
        """Raise FileProblem when the file is no longer what was read (another program wrote it meanwhile)."""
        try:
            now = read(self.path, create=True, limit=max(MAX_BYTES, len(self.data or b'')))
        except FileProblem:
            now = None
        same = now is not None and now.data == self.data and (
            self.info is None or _identity(now.info) == _identity(self.info))
        if not same:
            raise FileProblem('%s was changed by another program while this run planned its edit (a program that '
                              'does not take the lock, such as an editor); nothing was written, run again' % self.path)


def _decode(data):
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b'\n') + 1
        raise FileProblem('the file is not UTF-8 text (invalid byte at line %d, byte offset %d); TOML files must be '
                          'UTF-8, convert it first. The file was not changed' % (line, exc.start))


def _size_refusal(path, size, limit):
    return FileProblem('%s is %d bytes, more than the %d bytes (%d MiB) this module reads; a deployment.toml or '
                       'environment file is a few kB, check that this is the right file. Nothing was changed'
                       % (path, size, limit, limit // (1024 * 1024)))


def real_path(path):
    """The real path of path, refusing links another account controls (common.links)."""
    if not path:  # Ansible turns `path: null` into ''
        raise FileProblem('no path given (it is empty or null); give the path of deployment.toml')
    try:
        return trusted_path(path)
    except LinkRefused as exc:
        raise FileProblem('%s. Nothing was changed' % exc)
    except OSError as exc:
        raise FileProblem('cannot resolve %s: %s' % (path, exc.strerror))


_MISSING = 'the file does not exist; check the MI home, or set create=true to start a new file'


def read(path, create=False, limit=MAX_BYTES, missing=_MISSING):
    """A Snapshot of the regular file at path (data None when it is missing and create is true)."""
    real = real_path(path)
    try:
        info = os.lstat(real)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            if create:
                return Snapshot(real, None, None)
            raise FileProblem(missing)
        raise FileProblem('cannot read the file: %s; check its permissions' % exc.strerror)
    if not stat.S_ISREG(info.st_mode):  # refused before opening: opening a device can have effects of its own
        _refuse_kind(info.st_mode, real)
    if info.st_size > limit:
        raise _size_refusal(real, info.st_size, limit)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_CLOEXEC', 0)
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        raise FileProblem('cannot read the file: %s; check its permissions' % exc.strerror)
    with os.fdopen(fd, 'rb') as handle:
        info = os.fstat(fd)  # what was opened, not what the path named a moment before
        if not stat.S_ISREG(info.st_mode):
            _refuse_kind(info.st_mode, real)
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise _size_refusal(real, len(data), limit)
    return Snapshot(real, data, info)


def read_text(path, create=False, limit=MAX_BYTES, missing=_MISSING):
    """The file's text, or None when it is missing and create is true."""
    return read(path, create, limit, missing).text


def read_environment_file(path):
    """The text of an environment file (EnvironmentFile=, --env-file), under the same rules as deployment.toml."""
    return read_text(path, missing='No such file or directory')


def _hint(exc, path, can_write_unsafely):
    """What to do about a rename that failed."""
    if exc.errno == errno.EPERM:
        return ('the file or its folder is immutable or append-only (lsattr shows i or a: remove the flag with '
                'chattr -i), or the folder is sticky and %s belongs to another account' % path)
    if exc.errno in (errno.EBUSY, errno.EXDEV):
        fix = ('set unsafe_writes: true to write it in place (not atomic)' if can_write_unsafely else
               'mount its folder instead, or edit it with wso2ops.micro_integrator.deployment_toml and unsafe_writes: true')
        return '%s is a mount point (a single-file bind mount, as containers use) that a rename cannot replace; %s' \
            % (path, fix)
    if exc.errno == errno.ENOSPC:
        return 'the file system is full; free space and run again'
    if exc.errno in (errno.EROFS, errno.EACCES):
        return 'the folder must be writable'
    return 'check the folder'


def _attributes(module, fd, temp, path, mode, like):
    """Give the temporary file the mode, owner and SELinux context the file must have: those of the file it
    replaces (or like), else mode (default: what Ansible gives new files, 0666 minus the umask)."""
    try:
        current = like or os.stat(path)
    except OSError:
        current = None
    if current is not None:
        os.fchmod(fd, stat.S_IMODE(current.st_mode) & _PERM_BITS)
        try:
            os.fchown(fd, current.st_uid, current.st_gid)
        except OSError as exc:
            if exc.errno != errno.EPERM:  # only root may give a file away; Ansible's atomic_move does the same
                raise
    else:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, (0o666 & ~umask) if mode is None else mode)
    if module is not None and module.selinux_enabled():
        context = module.selinux_context(path) if current is not None and like is None else \
            module.selinux_default_context(path)
        module.set_context_if_different(temp, context, False)


def prepare(module, path, data, mode=None, like=None):
    """The temporary file that will replace path, written, fsynced and with its final attributes."""
    folder = os.path.dirname(path)
    try:
        fd, temp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=folder)
    except (IOError, OSError) as exc:
        raise FileProblem('cannot create a temporary file in %s: %s; %s. The file was not changed'
                          % (folder, exc.strerror, _hint(exc, path, False)))
    try:
        try:
            with os.fdopen(fd, 'wb') as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())  # the rename must never expose a file still in the page cache
                _attributes(module, stream.fileno(), temp, path, mode, like)
        except (IOError, OSError) as exc:
            raise FileProblem('cannot write a temporary file in %s: %s; %s. The file was not changed'
                              % (folder, exc.strerror, _hint(exc, path, False)))
    except BaseException:
        discard(temp)
        raise
    return temp


def discard(temp):
    try:
        os.unlink(temp)
    except OSError:
        pass


def rename(module, temp, path, unsafe_writes=False):
    """Rename the prepared temporary file over path; on failure the temporary file is removed."""
    try:
        os.rename(temp, path)
        _sync_folder(path)
        return
    except OSError as exc:
        error = exc
    if unsafe_writes and error.errno in (errno.EBUSY, errno.EXDEV) and module is not None:
        try:  # Ansible's own fallback: it writes the file in place when no rename can replace it
            module.atomic_move(temp, path, unsafe_writes=True)
            return
        except Exception as exc:  # atomic_move raises plain Exception on its last fallback
            error = exc
    discard(temp)
    hint = _hint(error, path, unsafe_writes is not None) if isinstance(error, OSError) else 'check the folder'
    raise FileProblem('cannot replace %s: %s; %s. The file was not changed'
                      % (path, getattr(error, 'strerror', None) or error, hint))


def _sync_folder(path):
    """fsync the folder, so the rename itself survives a power loss."""
    try:
        fd = os.open(os.path.dirname(path), os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(module, path, data, mode=None, unsafe_writes=None, expect=None, validate=None):
    """Replace path with data (bytes or text) atomically: an existing file keeps its mode, owner and SELinux
    context; a new file gets mode (default 0666 minus the umask, as Ansible's file modules).

    expect: the Snapshot the new content was planned from; the write is refused when the file changed since.
    validate: a function of the temporary file's path, called before the rename, raising FileProblem.
    unsafe_writes: the option of modules that have it (None: the module has no such option)."""
    if not isinstance(data, bytes):
        data = data.encode('utf-8')
    temp = prepare(module, path, data, mode)
    try:
        if validate:
            validate(temp)
        if expect is not None:
            expect.check_unchanged()
    except BaseException:
        discard(temp)
        raise
    rename(module, temp, path, unsafe_writes)


def backup(module, snapshot):
    """A dated copy of what was read, beside it, written completely (or not at all) with the original's mode and
    owner: a full disk leaves no truncated backup named like a good one. Returns its path."""
    name = '%s.%d.%s' % (snapshot.path, os.getpid(), time.strftime('%Y-%m-%d@%H:%M:%S~'))
    temp = prepare(module, name, snapshot.data, like=snapshot.info)
    try:
        os.utime(temp, ns=(snapshot.info.st_atime_ns, snapshot.info.st_mtime_ns))
    except OSError:
        pass
    rename(module, temp, name)
    return name
