# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a path is walked: folder by folder, through open descriptors, following only the links the rule allows.

The MI home usually belongs to MI's service account, and the modules run as root. If that account could
plant ``conf/deployment.toml -> /root/secret``, or swap ``conf`` for a link while a run is between its read and
its rename, root would read or replace a file the account cannot touch. So no path is ever handed to the
kernel whole: every folder is opened relative to the one before it (``openat`` with ``O_NOFOLLOW``), starting at
``/``, and a symbolic link is never followed by the kernel, only by this walk, which reads it through a
descriptor of the link itself. What the walk ends at is an open folder and a name in it: reading, writing and
locking then go through that descriptor, so swapping a folder later can make a run fail, never act elsewhere.

The rule for links (in the spirit of the kernel's protected_symlinks and of sudoedit):

* every symbolic link on the way must belong to root, to the account running the module, or to the
  owner of the file it finally leads to (for a file still to be created: the owner of its folder);
* the file itself never is a link to nothing: a dangling link is refused, also with ``create``, so a
  link cannot make root create a file somewhere else.

A link made by root (``/opt/mi -> /opt/wso2mi-4.3.0``) or by the file's owner (a deployment.toml linked
from a shared folder by the account that owns it) keeps working.
"""

import errno
import os
import stat

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.errors import CollectionError

try:
    import pwd
except ImportError:  # pragma: no cover - POSIX only
    pwd = None

MAX_LINKS = 40  # the kernel's limit (ELOOP)
_RETRIES = 8  # an entry that turns from folder to link (or back) while it is opened: look again, a few times
_PATH_ONLY = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
_FOLDER = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class LinkRefused(CollectionError, ValueError):
    """A path that goes through a link the module must not follow; the message says which and why."""


class Moving(CollectionError, OSError):
    """An entry kept changing between folder and link while it was walked (someone is swapping it)."""


def account(uid):
    """'name (uid N)' for messages."""
    try:
        return '%s (uid %d)' % (pwd.getpwuid(uid).pw_name, uid)
    except (KeyError, AttributeError):
        return 'uid %d' % uid


class Walked:
    """Where a walk ended: an open folder (a descriptor opened with O_PATH), its real path, the last name in it,
    that entry's lstat (None when it does not exist) and the links passed on the way [(path, owner uid)].
    The caller owns folder_fd and closes it."""

    def __init__(self, folder_fd, folder, name, info, links, tail_link=False):
        self.folder_fd, self.folder, self.name, self.info, self.links = folder_fd, folder, name, info, links
        self.tail_link = tail_link  # the last part of the path given was a link (followed)

    @property
    def path(self):
        return os.path.join(self.folder, self.name) if self.name else self.folder


def _parts(path):
    return [part for part in reversed(path.split('/')) if part and part != '.']


def _read_link(folder_fd, name):
    """(target, owner) of the link name, both read from one descriptor of the link itself (never an lstat
    followed by a readlink, which a swap in between could pair with another link); None when name is no link."""
    fd = os.open(name, _PATH_ONLY, dir_fd=folder_fd)
    try:
        info = os.fstat(fd)
        if not stat.S_ISLNK(info.st_mode):
            return None
        return os.readlink('', dir_fd=fd), info.st_uid
    finally:
        os.close(fd)


def walk(path, start_fd=None, start=None, follow_last=True):
    """Walk path (absolute, or relative to the open folder start_fd whose real path is start) as the kernel
    resolves it ('..' after a link climbs from where the link led), without letting the kernel follow any link.
    Returns a Walked whose name is the last part (followed too when it is a link and follow_last). Raises OSError
    (ENOENT, ENOTDIR, ELOOP...) for what is missing on the way, and Moving for an entry that keeps changing."""
    if start_fd is None or os.path.isabs(path):
        stack = [(os.open('/', _FOLDER), '/')]
    else:
        stack = [(os.open('.', _FOLDER, dir_fd=start_fd), start)]
    pending, links, retries, tail_link = _parts(path), [], 0, False
    try:
        while pending:
            part = pending.pop()
            if part == '..':
                _climb(stack)
                continue
            fd, here = stack[-1]
            try:
                info = os.stat(part, dir_fd=fd, follow_symlinks=False)
            except OSError as exc:
                if exc.errno == errno.ENOENT and not pending:
                    return _ended(stack, part, None, links, tail_link)
                raise
            if stat.S_ISLNK(info.st_mode) and (pending or follow_last):
                link = _read_link(fd, part)
                if link is None:  # no longer a link: look again
                    retries = _retry(retries, here, part, pending)
                    continue
                links.append((os.path.join(here, part), link[1]))
                tail_link = tail_link or not pending
                if len(links) > MAX_LINKS:
                    raise OSError(errno.ELOOP, 'too many levels of symbolic links', path)
                if link[0].startswith('/'):
                    _restart_at_root(stack)
                pending.extend(_parts(link[0]))
                if not pending:  # a link to '/'
                    pending.append('.')
                continue
            if not pending:
                return _ended(stack, part, info, links, tail_link)
            if not stat.S_ISDIR(info.st_mode):
                raise OSError(errno.ENOTDIR, 'not a directory', os.path.join(here, part))
            try:
                sub = os.open(part, _FOLDER, dir_fd=fd)
            except OSError as exc:
                if exc.errno not in (errno.ELOOP, errno.ENOTDIR, errno.ENOENT):
                    raise
                retries = _retry(retries, here, part, pending)  # it became a link (or vanished): look again
                continue
            stack.append((sub, os.path.join(here, part)))
        return _ended(stack, '', None, links, tail_link)
    except BaseException:
        for fd, _here in stack:
            os.close(fd)
        raise


def _climb(stack):
    """'..': back to the folder before, or (at the start of a relative walk) the real parent of the start."""
    if len(stack) > 1:
        os.close(stack.pop()[0])
        return
    fd, here = stack[0]
    if here != '/':
        stack[0] = (os.open('..', _FOLDER, dir_fd=fd), os.path.dirname(here))
        os.close(fd)


def _restart_at_root(stack):
    """An absolute link: the walk goes on from '/'."""
    while stack:
        os.close(stack.pop()[0])
    stack.append((os.open('/', _FOLDER), '/'))


def _retry(retries, here, part, pending):
    if retries >= _RETRIES:
        raise Moving('%s changed between a folder and a link %d times while it was read: something is swapping '
                     'it; nothing was changed' % (os.path.join(here, part), retries))
    pending.append(part)
    return retries + 1


def _ended(stack, name, info, links, tail_link):
    """The Walked of the last folder of stack (the others closed); name '' means the folder itself."""
    if name == '.':
        name = ''
    folder_fd, folder = stack.pop()
    for fd, _here in stack:
        os.close(fd)
    if not name:
        info = os.fstat(folder_fd)
    return Walked(folder_fd, folder, name, info, links, tail_link)


def check_links(walked, owner):
    """Raise LinkRefused when a link of walked is owned by neither root, the running account nor owner (the owner
    of what the walk led to; None when nothing is there)."""
    allowed = set([0, os.geteuid(), owner])
    for link, uid in walked.links:
        if uid not in allowed:
            raise LinkRefused('%s is a symbolic link owned by %s that leads to %s, owned by %s; the module follows '
                              'only links owned by root or by the owner of the file they lead to (another account '
                              'could otherwise point it at any file); replace the link by the file, or have root '
                              'create it' % (link, account(uid), walked.path,
                                             account(owner) if owner is not None else 'nobody'))


def refuse_dangling(given, walked):
    """A path whose last part is a link to nothing: never created through (it could lead anywhere)."""
    if walked.info is None and walked.tail_link:
        raise LinkRefused('%s is a symbolic link to %s, which does not exist; the module does not create a file '
                          'through a link (it could be made to write anywhere); create the file first or give its '
                          'real path' % (given, walked.path))
