# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host as the firewall backends see it: run a command, read a file, write one atomically.

A thin layer over AnsibleModule, so that the backends' read and apply steps stay short and their
plan steps stay pure. `done` lists the actions applied so far: a failure in the middle reports them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import tempfile

from ansible.module_utils.service import is_systemd_managed
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.errors import CommandFailed


class Host(object):
    def __init__(self, module):
        self.module = module
        self.done = []

    def fail(self, msg, **kwargs):
        """Raise CommandFailed with what was applied so far (the module reports it)."""
        raise CommandFailed(msg, changed=bool(self.done), applied=list(self.done), **kwargs)

    def which(self, name):
        return self.module.get_bin_path(name)

    def systemd(self):
        """Whether systemd runs the host (sd_booted's test, with systemctl present)."""
        return is_systemd_managed(self.module)

    def run(self, argv, check=True):
        rc, out, err = self.module.run_command(argv, environ_update={'LC_ALL': 'C'})
        if check and rc != 0:
            self.fail('%s failed (rc %d): %s' % (' '.join(argv), rc, (err or out).strip()))
        return rc, out, err

    def read(self, path):
        """The file's text, or None when it does not exist."""
        try:
            with open(path, 'rb') as handle:
                return handle.read().decode('utf-8')
        except (IOError, OSError) as exc:
            if exc.errno == errno.ENOENT:
                return None
            self.fail('cannot read %s: %s' % (path, exc.strerror))

    def write(self, path, text, mode=0o644, validate=None):
        """Write through a temporary file in the same folder, checked with validate + [temp file] first."""
        folder = os.path.dirname(path)
        handle, temp = tempfile.mkstemp(dir=folder, prefix='.%s.' % os.path.basename(path))
        try:
            with os.fdopen(handle, 'wb') as out:
                out.write(text.encode('utf-8'))
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temp, mode)
            if validate:
                rc, out, err = self.run(validate + [temp], check=False)
                if rc != 0:
                    self.fail('%s would not be accepted by %s: %s; it was not written'
                              % (path, validate[0], (err or out).strip()))
            self.module.atomic_move(temp, path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
