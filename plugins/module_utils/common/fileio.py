# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read and write a config file as exact text (no newline translation), with errors an operator can act on."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import tempfile

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.errors import CollectionError


class FileProblem(CollectionError, ValueError):
    """The file cannot be read as UTF-8 text; the message says why and what to do."""


def read_text(path, create=False):
    """The file's text, or None when it is missing and create is true."""
    if not path:  # Ansible turns `path: null` into ''
        raise FileProblem('no path given (it is empty or null); give the path of deployment.toml')
    if os.path.isdir(path):
        raise FileProblem('the path is a directory; give the path of deployment.toml itself')
    try:
        with open(path, 'rb') as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            if create:
                return None
            raise FileProblem('the file does not exist; check the MI home, or set create=true to start a new file')
        raise FileProblem('cannot read the file: %s; check its permissions' % exc.strerror)
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b'\n') + 1
        raise FileProblem('the file is not UTF-8 text (invalid byte at line %d, byte offset %d); TOML files must be '
                          'UTF-8, convert it first. The file was not changed' % (line, exc.start))


def write_text(path, text, atomic_move):
    """Temp file in the target folder, fsynced, then atomic_move (AnsibleModule.atomic_move keeps mode, owner
    and SELinux context): readers see the complete old or the complete new file, also if this process dies."""
    folder = os.path.dirname(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix='.deployment.toml.', dir=folder)
    except (IOError, OSError) as exc:
        raise FileProblem('cannot create a temporary file in %s: %s; the folder must be writable. '
                          'The file was not changed' % (folder, exc.strerror))
    try:
        try:
            with os.fdopen(handle, 'wb') as stream:
                stream.write(text.encode('utf-8'))
                stream.flush()
                os.fsync(stream.fileno())  # the rename must never expose a file still in the page cache
        except (IOError, OSError) as exc:
            raise FileProblem('cannot write the temporary file: %s. The file was not changed' % exc.strerror)
        atomic_move(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
