# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host as the firewall backends see it: run a command, read a file, write one atomically.

A thin layer over AnsibleModule, so that the backends' read and apply steps stay short and their
plan steps stay pure. `done` lists the actions applied so far: a failure in the middle reports them.
"""

import os

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.errors import CommandFailed
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.fileio import FileProblem, read, write_atomic


class Host:
    def __init__(self, module):
        self.module = module
        self.done = []

    def fail(self, msg, **kwargs):
        """Raise CommandFailed with what was applied so far (the module reports it)."""
        raise CommandFailed(msg, changed=bool(self.done), applied=list(self.done), **kwargs)

    def which(self, name):
        return self.module.get_bin_path(name)

    def systemd(self):
        """Whether systemd runs the host: sd_booted's test, with systemctl present (ansible-core's
        is_systemd_managed does the same from 2.17 on; the collection supports 2.16)."""
        return os.path.isdir('/run/systemd/system') and bool(self.which('systemctl'))

    def run(self, argv, check=True):
        rc, out, err = self.module.run_command(argv, environ_update={'LC_ALL': 'C'})
        if check and rc != 0:
            self.fail('%s failed (rc %d): %s' % (' '.join(argv), rc, (err or out).strip()))
        return rc, out, err

    def read(self, path):
        """The file's text, or None when it does not exist (fileio.read: regular files only, bounded size)."""
        try:
            return read(path, create=True).text
        except FileProblem as exc:
            self.fail('cannot read %s: %s' % (path, exc))

    def write(self, path, text, mode=0o644, validate=None):
        """Replace path atomically (fileio.write_atomic): a new file gets mode, an existing one keeps its mode and
        owner. validate + [temporary file] must succeed before the rename."""
        def check(temp):
            rc, out, err = self.run(validate + [temp], check=False)
            if rc != 0:
                raise FileProblem('%s would not be accepted by %s: %s; it was not written'
                                  % (path, validate[0], (err or out).strip()))
        try:
            write_atomic(self.module, path, text, mode=mode, validate=check if validate else None)
        except FileProblem as exc:
            self.fail(str(exc))
