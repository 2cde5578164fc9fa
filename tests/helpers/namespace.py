"""A network, mount and PID namespace of a test's own, for the firewall backends against real kernel rulesets.

The namespace has its own ruleset (nftables, and iptables which ufw drives), an /etc of its own (an overlay on the
machine's: what nft, ufw and the modules write there stays in the namespace) and an empty /run (no systemd, no
D-Bus, no lock of the machine's). Nothing run in it changes the machine's firewall or files; closing it, or the
end of the test run, kills every process in it. Needs root, unshare(1) and nsenter(1).
"""

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import sysconfig

import pytest

from helpers.runner import COLLECTIONS, run_module

# Runs as PID 1 of the namespace: the overlay's upper and work folders live on the namespace's tmpfs /run.
SET_UP = '''set -e
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir /run/etc-upper /run/etc-work
mount -t overlay overlay -o lowerdir=/etc,upperdir=/run/etc-upper,workdir=/run/etc-work /etc
ip link set lo up
echo ready
exec sleep infinity
'''


def needs(*tools):
    """The reason a namespace with these tools cannot be had here, or None."""
    if os.geteuid() != 0:
        return 'needs root: namespaces, nft and iptables need CAP_SYS_ADMIN and CAP_NET_ADMIN'
    missing = [tool for tool in ('unshare', 'nsenter', 'ip') + tools if not shutil.which(tool)]
    if missing:
        return '%s not installed (tests/install-packages.sh installs them)' % ', '.join(missing)
    return None


def _end_with_parent():
    """prctl(PR_SET_PDEATHSIG, SIGKILL): a test run that is killed takes its namespaces with it."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


class Namespace:
    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.holder = subprocess.Popen(
            ['unshare', '--net', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private',
             'sh', '-c', SET_UP], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_end_with_parent)
        line = self.holder.stdout.readline()
        if line.strip() != 'ready':
            self.close()
            pytest.fail('the test namespace did not start: %s' % self.holder.stderr.read().strip())
        with open('/proc/%d/task/%d/children' % (self.holder.pid, self.holder.pid)) as children:
            self.pid = int(children.read().split()[0])
        self.prefix = ['nsenter', '--target', str(self.pid), '--net', '--mount', '--pid', '--']

    def run(self, argv, check=True, stdin=None):
        """The CompletedProcess of argv run in the namespace (stdin: its input); a failure fails the test."""
        proc = subprocess.run(self.prefix + list(argv), input=stdin, capture_output=True, text=True, timeout=120,
                              check=False)
        if check and proc.returncode != 0:
            pytest.fail('%s failed in the namespace (rc %d): %s' % (' '.join(argv), proc.returncode,
                                                                    (proc.stderr or proc.stdout).strip()))
        return proc

    def module(self, name, args, check=False, diff=False, python=sys.executable):
        """The JSON of plugins/modules/<name>.py run in the namespace, as Ansible runs it. python: another
        interpreter, which imports ansible-core from this one's site-packages."""
        # PYTHONSAFEPATH: the module's folder is not on sys.path, as under AnsiballZ (there plugins/modules/firewall.py
        # would hide firewalld's package `firewall`).
        env = {'PYTHONSAFEPATH': '1'}
        if python != sys.executable:
            env['PYTHONPATH'] = os.pathsep.join([str(COLLECTIONS), sysconfig.get_paths()['purelib']])
        return run_module(name, args, check=check, diff=diff, tmp_path=self.tmp_path, prefix=self.prefix,
                          python=python, env=env)

    def close(self):
        # unshare --kill-child: unshare's end kills its child, PID 1 of the namespace, whose end kills the rest.
        if self.holder.poll() is None:
            os.kill(self.holder.pid, signal.SIGKILL)
        self.holder.wait(timeout=30)
        self.holder.stdout.close()
        self.holder.stderr.close()


@contextlib.contextmanager
def namespace(tmp_path, *tools):
    """A Namespace for the block, closed after it; the test skips (CI=true: fails) when it cannot have one here or a
    tool is missing."""
    reason = needs(*tools)
    if reason:
        pytest.skip(reason)
    space = Namespace(tmp_path)
    try:
        yield space
    finally:
        space.close()
