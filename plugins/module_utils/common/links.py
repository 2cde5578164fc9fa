# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which symbolic links a module that runs as root may follow to a file it reads or replaces.

The MI home usually belongs to MI's service account. If that account could plant
``conf/deployment.toml -> /root/secret``, root's next run would read and replace a file the account
cannot touch. The rule (in the spirit of the kernel's protected_symlinks and of sudoedit):

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

_MAX_LINKS = 40  # the kernel's limit (ELOOP)


class LinkRefused(CollectionError, ValueError):
    """A path that goes through a link the module must not follow; the message says which and why."""


def account(uid):
    """'name (uid N)' for messages."""
    try:
        return '%s (uid %d)' % (pwd.getpwuid(uid).pw_name, uid)
    except (KeyError, AttributeError):
        return 'uid %d' % uid


def walk(path):
    """(real path, [(link path, link owner uid)], whether the last part is a link to nothing).

    Resolves like the kernel (and os.path.realpath): '..' after a link climbs from where the link led."""
    pending = [part for part in reversed(path.split('/')) if part]
    resolved = '/' if path.startswith('/') else os.getcwd()
    links = []
    while pending:
        part = pending.pop()
        if part == '.':
            continue
        if part == '..':
            resolved = os.path.dirname(resolved)
            continue
        candidate = os.path.join(resolved, part)
        try:
            info = os.lstat(candidate)
        except OSError as exc:
            if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                raise
            missing = os.path.join(candidate, *reversed(pending)) if pending else candidate
            return missing, links, os.path.lexists(path)  # the path is there, what it leads to is not
        if not stat.S_ISLNK(info.st_mode):
            resolved = candidate
            continue
        links.append((candidate, info.st_uid))
        if len(links) > _MAX_LINKS:
            raise LinkRefused('%s: too many levels of symbolic links' % path)
        target = os.readlink(candidate)
        if target.startswith('/'):
            resolved = '/'
        parts = [item for item in reversed(target.split('/')) if item]
        pending.extend(parts)
    return resolved, links, False


def trusted_path(path):
    """The real path of path, after checking every link on the way (see the module docstring)."""
    real, links, dangling = walk(path)
    if dangling:
        raise LinkRefused('%s is a symbolic link to %s, which does not exist; the module does not create a file '
                          'through a link (it could be made to write anywhere); create the file first or give its '
                          'real path' % (path, real))
    if not links:
        return real
    try:
        owner = os.stat(real).st_uid
    except OSError:
        owner = os.stat(os.path.dirname(real)).st_uid if os.path.isdir(os.path.dirname(real)) else None
    allowed = set([0, os.geteuid(), owner])
    for link, uid in links:
        if uid not in allowed:
            raise LinkRefused('%s is a symbolic link owned by %s that leads to %s, owned by %s; the module follows '
                              'only links owned by root or by the owner of the file they lead to (another account '
                              'could otherwise point it at any file); replace the link by the file, or have root '
                              'create it' % (link, account(uid), real,
                                             account(owner) if owner is not None else 'nobody'))
    return real
