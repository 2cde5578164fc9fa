# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way the collection reads, lists and replaces files: through open folders, with errors an operator can act on.

Every path is walked by common.links (folder by folder through descriptors, links only where its rule allows
them); what it ends at is a Folder, an open descriptor, and a name in it. Everything after that goes through the
descriptor: reading, listing, the temporary file, the backup, the rename, the lock (common.lock). A folder that
another account swaps for a link in the middle of a run can make the run fail, never read or write elsewhere.

Reading: only a regular file, opened non-blocking (a FIFO never hangs), no bigger than a limit checked
before reading (a device or a huge file never fills the memory). The snapshot remembers what was read, so a
replace can first check that nobody changed the file since (an editor that does not take the lock).
Listing: at most MAX_ENTRIES names a folder.

Replacing: the one atomic write path of the collection (the modules and the firewall backends): a
temporary file in the target's folder, fsynced, given the mode and owner it must have, then renamed
over the target. Readers see the complete old or the complete new file, also if the process dies.
"""

import errno
import os
import secrets
import stat
import time

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.links import (
    LinkRefused,
    Moving,
    check_links,
    refuse_dangling,
    walk,
)

MAX_BYTES = 4 * 1024 * 1024  # 4 MiB: a shipped deployment.toml is 4 kB, MI's full reference listing 60 kB
MAX_ENTRIES = 10000  # names read from one folder: MI's deployment folders hold tens
_PERM_BITS = 0o7777
_READ = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW | os.O_CLOEXEC
_OPEN_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
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
    """What was read: the folder it was read in and its name there, the real path (for messages), the bytes
    (None when the file is missing) and the file's stat."""

    def __init__(self, folder, name, data, info):
        self.folder, self.name = folder, name
        self.path = os.path.join(folder.path, name)
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
            now = self.folder.read_entry(self.name, create=True, limit=max(MAX_BYTES, len(self.data or b'')))
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


_MISSING = 'the file does not exist; check the MI home, or set create=true to start a new file'


def _problem(exc, path, missing=_MISSING):
    """The FileProblem of an OSError met while walking to or reading path."""
    if isinstance(exc, (LinkRefused, Moving)):
        return FileProblem('%s. Nothing was changed' % exc)
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return FileProblem(missing)
    if exc.errno == errno.ELOOP:
        return FileProblem('%s: too many levels of symbolic links' % path)
    return FileProblem('cannot read the file: %s; check its permissions' % exc.strerror)


class Folder:
    """An open folder reached by a checked walk. Files in it are read, listed, locked and replaced through its
    descriptor only. Closed with close() or when garbage-collected."""

    def __init__(self, fd, path):
        self.fd, self.path = fd, path
        self.info = os.fstat(fd)

    @property
    def identity(self):
        return (self.info.st_dev, self.info.st_ino)

    def proc_path(self, name):
        """A path that names name in this very folder, whatever was renamed or swapped since it was opened (the
        kernel's /proc/self/fd link to the descriptor): for Ansible's helpers, which take paths."""
        magic = '/proc/self/fd/%d' % self.fd
        return os.path.join(magic if os.path.isdir(magic) else self.path, name)

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()

    def locate(self, relative, create=False, missing=_MISSING):
        """(Folder, name, lstat or None) of the file at relative (under this folder; links under the rule)."""
        return locate(relative, create, missing, start=self)

    def read(self, relative, create=False, limit=MAX_BYTES, missing=_MISSING):
        """A Snapshot of the file at relative, under this folder (see read())."""
        return read(relative, create, limit, missing, start=self)

    def folder(self, relative):
        """The Folder at relative under this folder, or None when it does not exist."""
        return open_folder(relative, start=self, missing_ok=True)

    def names(self, suffix=''):
        """Sorted names in this folder that end in suffix and are no folder (a link is checked, a FIFO or a device
        refused, when the file is read); refused past MAX_ENTRIES entries."""
        found = []
        try:
            with os.scandir(self.fd) as entries:
                for count, entry in enumerate(entries):
                    if count >= MAX_ENTRIES:
                        raise FileProblem('%s holds more than %d entries; refused (MI deploys a few dozen artifacts)'
                                          % (self.path, MAX_ENTRIES))
                    if entry.name.endswith(suffix) and not entry.is_dir(follow_symlinks=False):
                        found.append(entry.name)
        except OSError as exc:
            raise _problem(exc, self.path)
        return sorted(found)

    def remove(self, name):
        """Remove the entry name of this folder (OSError when it cannot be)."""
        os.unlink(name, dir_fd=self.fd)

    def read_entry(self, name, create=False, limit=MAX_BYTES, missing=_MISSING):
        """A Snapshot of the entry name of this folder, never following a link (the walk did that)."""
        path = os.path.join(self.path, name)
        try:
            info = os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except OSError as exc:
            if exc.errno == errno.ENOENT and create:
                return Snapshot(self, name, None, None)
            raise _problem(exc, path, missing)
        handle = self._open(name, path, info, limit)
        with handle:
            data = handle.read(limit + 1)
            info = os.fstat(handle.fileno())
        if len(data) > limit:
            raise _size_refusal(path, len(data), limit)
        return Snapshot(self, name, data, info)

    def open_entry(self, name, limit):
        """The entry name opened for reading as a binary stream (a zip archive), under read_entry's rules."""
        path = os.path.join(self.path, name)
        try:
            info = os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except OSError as exc:
            raise _problem(exc, path)
        return self._open(name, path, info, limit)

    def _open(self, name, path, info, limit):
        if stat.S_ISLNK(info.st_mode):
            raise FileProblem('%s became a symbolic link while this run read it: someone is changing it; nothing '
                              'was changed, run again' % path)
        if not stat.S_ISREG(info.st_mode):  # refused before opening: opening a device can have effects of its own
            _refuse_kind(info.st_mode, path)
        if info.st_size > limit:
            raise _size_refusal(path, info.st_size, limit)
        try:
            fd = os.open(name, _READ, dir_fd=self.fd)
        except OSError as exc:
            raise _problem(exc, path)
        handle = os.fdopen(fd, 'rb')
        opened = os.fstat(fd)  # what was opened, not what the name was a moment before
        if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
            handle.close()
            raise FileProblem('%s was replaced while this run opened it: someone is changing it; nothing was '
                              'changed, run again' % path)
        if opened.st_size > limit:
            handle.close()
            raise _size_refusal(path, opened.st_size, limit)
        return handle


def _walk(path, start, missing_ok=False, missing=_MISSING):
    """links.walk's Walked; None when a folder on the way is missing and missing_ok, else missing says so."""
    if not path:  # Ansible turns `path: null` into ''
        raise FileProblem('no path given (it is empty or null); give the path of deployment.toml')
    try:
        return walk(path) if start is None else walk(path, start.fd, start.path)
    except (OSError, Moving) as exc:
        if missing_ok and getattr(exc, 'errno', None) == errno.ENOENT:
            return None
        raise _problem(exc, path if start is None else os.path.join(start.path, path), missing)


def _as_folder(walked):
    """A Folder of the descriptor walked ended in (reopened for reading: listing and locking need it)."""
    try:
        fd = os.open('.', _OPEN_FOLDER, dir_fd=walked.folder_fd)
    except OSError:
        fd = os.dup(walked.folder_fd)  # a folder this account may only search: reading and renaming still work
    finally:
        os.close(walked.folder_fd)
    return Folder(fd, walked.folder)


def locate(path, create=False, missing=_MISSING, start=None):
    """(Folder, name, lstat or None) of the file at path (absolute, or relative to the Folder start), after checking
    every link on the way (common.links). A missing file is a FileProblem unless create; a missing folder always."""
    where = path if start is None else os.path.join(start.path, path)
    walked = _walk(path, start, missing='the folder %s does not exist; check the MI home' % os.path.dirname(where)
                   if create else missing)
    folder = _as_folder(walked)
    try:
        refuse_dangling(path, walked)
        if walked.info is None and not create:
            raise FileProblem(missing)
        check_links(walked, walked.info.st_uid if walked.info is not None else folder.info.st_uid)
    except LinkRefused as exc:
        raise FileProblem('%s. Nothing was changed' % exc)
    return folder, walked.name, walked.info


def open_folder(path, start=None, missing_ok=False):
    """The Folder at path (an MI home, a deployment folder), links checked; None when missing and missing_ok."""
    walked = _walk(path, start, missing_ok)
    if walked is None:
        return None
    parent = _as_folder(walked)
    if not walked.name:
        return parent
    if walked.info is None or not stat.S_ISDIR(walked.info.st_mode):
        if missing_ok and walked.info is None:
            return None
        raise FileProblem('%s is %s; give the path of a folder' % (
            walked.path, 'missing' if walked.info is None else _kind(walked.info.st_mode)))
    try:
        check_links(walked, walked.info.st_uid)
        fd = os.open(walked.name, _OPEN_FOLDER, dir_fd=parent.fd)
    except LinkRefused as exc:
        raise FileProblem('%s. Nothing was changed' % exc)
    except OSError as exc:
        raise _problem(exc, walked.path)
    return Folder(fd, walked.path)


def home_folder(home):
    """home as a Folder: an open one as it is, a path opened (None when the folder does not exist or is refused:
    the reader of deployment.toml names that problem)."""
    if isinstance(home, Folder) or home is None:
        return home
    try:
        return open_folder(home, missing_ok=True)
    except FileProblem:
        return None


def read(path, create=False, limit=MAX_BYTES, missing=_MISSING, start=None):
    """A Snapshot of the regular file at path (data None when it is missing and create is true)."""
    folder, name, _info = locate(path, create, missing, start)
    return folder.read_entry(name, create, limit, missing)


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


def _attributes(module, fd, folder, temp, name, mode, like):
    """Give the temporary file the mode, owner and SELinux context the file must have: those of the file it
    replaces (or like), else mode (default: what Ansible gives new files, 0666 minus the umask)."""
    try:
        current = like or os.stat(name, dir_fd=folder.fd, follow_symlinks=False)
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
        path, temp_path = folder.proc_path(name), folder.proc_path(temp)  # Ansible's SELinux helpers take paths
        context = module.selinux_context(path) if current is not None and like is None else \
            module.selinux_default_context(path)
        module.set_context_if_different(temp_path, context, False)


def prepare(module, folder, name, data, mode=None, like=None):
    """The name of the temporary file in folder that will replace name, written, fsynced and with its final
    attributes."""
    temp = '.%s.%s' % (name, secrets.token_hex(4))
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=folder.fd)
    except OSError as exc:
        raise FileProblem('cannot create a temporary file in %s: %s; %s. The file was not changed'
                          % (folder.path, exc.strerror, _hint(exc, os.path.join(folder.path, name), False)))
    try:
        try:
            with os.fdopen(fd, 'wb') as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())  # the rename must never expose a file still in the page cache
                _attributes(module, stream.fileno(), folder, temp, name, mode, like)
        except OSError as exc:
            raise FileProblem('cannot write a temporary file in %s: %s; %s. The file was not changed'
                              % (folder.path, exc.strerror, _hint(exc, os.path.join(folder.path, name), False)))
    except BaseException:
        discard(folder, temp)
        raise
    return temp


def discard(folder, temp):
    try:
        os.unlink(temp, dir_fd=folder.fd)
    except OSError:
        pass


def rename(module, folder, temp, name, unsafe_writes=False):
    """Rename the prepared temporary file over name (both in folder); on failure the temporary file is removed."""
    path = os.path.join(folder.path, name)
    try:
        os.rename(temp, name, src_dir_fd=folder.fd, dst_dir_fd=folder.fd)
        _sync_folder(folder)
        return
    except OSError as exc:
        error = exc
    if unsafe_writes and error.errno in (errno.EBUSY, errno.EXDEV):
        try:  # as Ansible's own fallback: write the file in place when no rename can replace it
            _write_in_place(folder, temp, name)
            discard(folder, temp)
            return
        except OSError as exc:
            error = exc
    discard(folder, temp)
    hint = _hint(error, path, unsafe_writes is not None)
    raise FileProblem('cannot replace %s: %s; %s. The file was not changed' % (path, error.strerror, hint))


def _write_in_place(folder, temp, name):
    with os.fdopen(os.open(temp, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder.fd), 'rb') as source:
        data = source.read()
    fd = os.open(name, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=folder.fd)
    with os.fdopen(fd, 'wb') as target:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, 'not a regular file')
        target.truncate(0)
        target.write(data)
        target.flush()
        os.fsync(fd)


def _sync_folder(folder):
    """fsync the folder, so the rename itself survives a power loss."""
    try:
        os.fsync(folder.fd)
    except OSError:
        pass


def _target(path_or_snapshot):
    """(Folder, name) of where a write goes: the folder a snapshot was read in, or where path leads."""
    if isinstance(path_or_snapshot, Snapshot):
        return path_or_snapshot.folder, path_or_snapshot.name
    folder, name, _info = locate(path_or_snapshot, create=True)
    return folder, name


def write_atomic(module, target, data, mode=None, unsafe_writes=None, expect=None, validate=None):
    """Replace target (a path, or the Snapshot it was read as) with data (bytes or text) atomically: an existing
    file keeps its mode, owner and SELinux context; a new file gets mode (default 0666 minus the umask, as
    Ansible's file modules).

    expect: the Snapshot the new content was planned from; the write is refused when the file changed since.
    validate: a function of the temporary file's path, called before the rename, raising FileProblem.
    unsafe_writes: the option of modules that have it (None: the module has no such option)."""
    if not isinstance(data, bytes):
        data = data.encode('utf-8')
    folder, name = _target(expect if expect is not None else target)
    temp = prepare(module, folder, name, data, mode)
    try:
        if validate:
            validate(os.path.join(folder.path, temp))
        if expect is not None:
            expect.check_unchanged()
    except BaseException:
        discard(folder, temp)
        raise
    rename(module, folder, temp, name, unsafe_writes)


def backup(module, snapshot):
    """A dated copy of what was read, beside it, written completely (or not at all) with the original's mode and
    owner: a full disk leaves no truncated backup named like a good one. Returns its path."""
    name = '%s.%d.%s' % (snapshot.name, os.getpid(), time.strftime('%Y-%m-%d@%H:%M:%S~'))
    temp = prepare(module, snapshot.folder, name, snapshot.data, like=snapshot.info)
    try:
        os.utime(temp, ns=(snapshot.info.st_atime_ns, snapshot.info.st_mtime_ns), dir_fd=snapshot.folder.fd,
                 follow_symlinks=False)
    except (OSError, NotImplementedError):
        pass
    rename(module, snapshot.folder, temp, name)
    return os.path.join(snapshot.folder.path, name)
