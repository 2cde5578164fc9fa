# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live host from /proc: running MI processes and the TCP sockets that listen.

Read-only and standard library only; the proc root is a parameter so that tests can name it.
* MI processes are those whose command line holds ``-Dcarbon.home=HOME`` (MI's script passes it
  to the JVM; other WSO2 Carbon products do too, hence matching by home).
* Listening sockets come from <proc>/net/tcp and tcp6 (state 0A). The kernel prints each 32-bit
  word of an address in the host's byte order, so the words are packed back natively.
  Owners are found by ONE pass over <proc>/*/fd (links ``socket:[inode]``); fds of other users'
  processes are readable only as root: such owners stay unknown (None), never guessed.
"""

import errno
import os
import socket
import struct
import time

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.errors import CollectionError

LISTEN = '0A'
# A file written this long after a JVM's start time counts as written after the start (start
# times are exact to a clock tick; the margin keeps a write-then-restart from looking like drift).
CHANGE_MARGIN = 0.5
CARBON_HOME_OPTION = '-Dcarbon.home='


class ProcUnreadable(CollectionError, OSError):
    """A /proc entry that the caller needs cannot be read; the message says what to do."""


def home_key(path):
    """The form two MI homes are compared in: absolute, symlinks resolved, no trailing slash."""
    return os.path.realpath(path)


def _read(path):
    """File bytes, or None when the entry is gone or not readable (processes come and go)."""
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def _text(data):
    return data.decode('utf-8', 'replace')


def _pids(proc):
    return sorted(int(name) for name in os.listdir(proc) if name.isdigit())


def _environ(data):
    if data is None:
        return None
    return dict(entry.partition('=')[::2] for entry in _text(data).split('\0') if '=' in entry)


def _carbon_home(argv):
    """The last -Dcarbon.home= value (for the JVM the last option of a name wins)."""
    homes = [word[len(CARBON_HOME_OPTION):] for word in argv if word.startswith(CARBON_HOME_OPTION)]
    return homes[-1] if homes else None


def _uid(proc, pid):
    """The effective uid of the process (the Uid: line of its status), or None when it cannot be read."""
    status = _read(os.path.join(proc, str(pid), 'status'))
    for line in _text(status or b'').splitlines():
        if line.startswith('Uid:') and len(line.split()) > 2:
            return int(line.split()[2])
    return None


def _mount_namespace(proc, pid):
    try:
        return os.readlink(os.path.join(proc, str(pid), 'ns', 'mnt'))
    except OSError:
        return None


def _process(proc, pid, own_mounts):
    cmdline = _read(os.path.join(proc, str(pid), 'cmdline'))
    if not cmdline:
        return None  # gone, or a kernel thread
    argv = _text(cmdline).split('\0')
    if argv and argv[-1] == '':
        argv.pop()
    given = carbon_home = _carbon_home(argv)
    if given is None:
        return None
    if not os.path.isabs(carbon_home):  # relative to the process's working directory
        try:
            carbon_home = os.path.join(os.readlink(os.path.join(proc, str(pid), 'cwd')), carbon_home)
        except OSError:
            pass
    mounts = _mount_namespace(proc, pid)
    return {'pid': pid, 'uid': _uid(proc, pid), 'argv': argv, 'carbon_home': given, 'home': home_key(carbon_home),
            'environ': _environ(_read(os.path.join(proc, str(pid), 'environ'))),
            'foreign_mounts': None if mounts is None or own_mounts is None else mounts != own_mounts}


def carbon_processes(proc='/proc'):
    """Running processes started with -Dcarbon.home, sorted by pid.

    Each is {'pid', 'uid' (effective, None when unknown), 'argv' (exact), 'carbon_home' (as given), 'home' (home_key of it, a relative
    one taken from the process's working directory), 'environ' ({name: value} as the process was
    started, or None when not readable), 'foreign_mounts' (True for a process in another mount
    namespace, e.g. in a container, whose paths are not the reader's; None when unknown)}.
    """
    found = []
    own_mounts = _mount_namespace(proc, 'self')
    for pid in _pids(proc):
        process = _process(proc, pid, own_mounts)
        if process:
            found.append(process)
    return found


def processes_of_home(processes, mi_home):
    """The processes of carbon_processes() that run the MI home (trailing slash, symlinks: same
    home); a process in a container is left out, its path names another file system."""
    key = home_key(mi_home)
    return [process for process in processes if process['home'] == key and not process['foreign_mounts']]


def claimed_homes(processes):
    """(homes, warnings): the homes that running processes claim with -Dcarbon.home and that count.

    Any local account can start a process that claims any folder as its home, so a claim counts only when the
    process runs as root or as the account that owns the home folder (MI's account runs the home it owns; a
    root-owned home run by another account must be listed in instances to be read). A process in another mount
    namespace names another file system and is left out."""
    homes, warnings = set(), []
    for process in processes:
        if process['foreign_mounts'] or process['home'] in homes:
            continue
        try:
            owner = os.stat(process['home']).st_uid  # only compared, never opened here
        except OSError:
            continue
        if process['uid'] in (0, owner):
            homes.add(process['home'])
        else:
            warnings.append('pid %d claims %s as its MI home (-Dcarbon.home) but runs as uid %s, and the folder '
                            'belongs to uid %d: not read. List the instance in instances to audit it'
                            % (process['pid'], process['home'], process['uid'], owner))
    return sorted(homes), warnings


def _address(hex_address):
    """A /proc/net/tcp{,6} address: 32-bit words in host byte order, packed back natively."""
    words = [int(hex_address[i:i + 8], 16) for i in range(0, len(hex_address), 8)]
    packed = b''.join(struct.pack('=I', word) for word in words)
    return socket.inet_ntop(socket.AF_INET if len(packed) == 4 else socket.AF_INET6, packed)


def parse_net_tcp(text, family):
    """Listening sockets of one <proc>/net/tcp (family 4) or tcp6 (family 6) table.

    Returns [{'family', 'address', 'port', 'inode', 'uid'}].
    """
    sockets = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or fields[3] != LISTEN:
            continue
        address, _sep, port = fields[1].partition(':')
        sockets.append({'family': family, 'address': _address(address), 'port': int(port, 16),
                        'inode': int(fields[9]), 'uid': int(fields[7])})
    return sockets


def _socket_owners(proc, inodes, pids):
    """({inode: [pid]}, complete): one pass over the fds of pids; complete is False when the fds
    of some process could not be read (its sockets' owners are then unknown)."""
    owners, complete = {}, True
    for pid in pids:
        fd_dir = os.path.join(proc, str(pid), 'fd')
        try:
            fds = os.listdir(fd_dir)
        except OSError as exc:
            complete = complete and exc.errno in (errno.ENOENT, errno.ESRCH)  # gone is fine
            continue
        for fd in fds:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target.startswith('socket:['):
                inode = int(target[8:-1])
                if inode in inodes:
                    owners.setdefault(inode, set()).add(pid)
    return dict((inode, sorted(found)) for inode, found in owners.items()), complete


def _program(proc, pid):
    name = _read(os.path.join(proc, str(pid), 'comm'))
    return _text(name).strip() if name is not None else None


def _tables(net_dir):
    sockets = []
    for name, family in (('tcp', 4), ('tcp6', 6)):
        data = _read(os.path.join(net_dir, name))
        if data is not None:  # no tcp6 table when IPv6 is off
            sockets.extend(parse_net_tcp(_text(data), family))
    return sockets


def listening_sockets(proc='/proc', pid=None, ports=None, likely_owners=()):
    """The TCP sockets that listen, sorted by port.

    Each is {'family' (4 or 6), 'address' (text; '::ffff:a.b.c.d' for IPv4-mapped), 'port',
    'inode', 'uid', 'pids' ([pid] or None when unknown), 'programs' (their comm names, or None)}.
    pid=None: the whole host (the network namespace of <proc>/net). pid=N: only the sockets that
    process N holds, from its own network namespace; raises ProcUnreadable when its fds cannot
    be read. ports: only sockets on these ports. likely_owners: pids whose fds are read first;
    the fds of every process are read only when they do not hold all the sockets found.
    """
    if pid is None:
        sockets = _tables(os.path.join(proc, 'net'))
        if ports is not None:
            sockets = [entry for entry in sockets if entry['port'] in ports]
        inodes = set(entry['inode'] for entry in sockets)
        first, _complete = _socket_owners(proc, inodes, likely_owners) if likely_owners else ({}, True)
        pids = [] if not inodes - set(first) else _pids(proc)
    else:
        sockets = _tables(os.path.join(proc, str(pid), 'net'))
        pids = [pid]
        if not os.path.isdir(os.path.join(proc, str(pid))):
            return []  # the process is gone
        if not os.access(os.path.join(proc, str(pid), 'fd'), os.R_OK | os.X_OK):
            raise ProcUnreadable('cannot read the open files of process %d (%s/%d/fd): run as root or as the '
                                 'user of that process' % (pid, proc, pid))
    owners, complete = _socket_owners(proc, set(entry['inode'] for entry in sockets), pids)
    if pid is None and not pids:  # the likely owners hold every socket: no need to read every process
        owners = first
    for entry in sockets:
        found = owners.get(entry['inode'])
        entry['pids'] = found or ([] if complete else None)
        entry['programs'] = [_program(proc, owner) for owner in found] if found else entry['pids']
    if pid is not None:
        sockets = [entry for entry in sockets if entry['pids']]
    return sorted(sockets, key=lambda entry: (entry['port'], entry['family'], entry['address']))


def boot_time(proc='/proc', now=None):
    """The wall-clock time the kernel booted, to 10 ms: now minus <proc>/uptime (btime of <proc>/stat is
    rounded to the second, too coarse to tell a file written just before a start from one written after)."""
    data = _read(os.path.join(proc, 'uptime'))
    if data is None:
        raise ProcUnreadable('cannot read %s/uptime' % proc)
    return (time.time() if now is None else now) - float(_text(data).split()[0])


def start_time(pid, proc='/proc', booted=None):
    """When process pid started (seconds since the epoch), or None when it is gone.

    Field 22 of <proc>/<pid>/stat counts clock ticks since boot; the command name before it is in
    parentheses and may hold spaces, so the fields are counted after the last ')'.
    """
    data = _read(os.path.join(proc, str(pid), 'stat'))
    if data is None:
        return None
    fields = _text(data).rpartition(')')[2].split()
    booted = boot_time(proc) if booted is None else booted
    return booted + int(fields[19]) / float(os.sysconf('SC_CLK_TCK'))


def changed_after_start(mtime, started):
    """Whether a file modified at mtime changed after a JVM started at started (None: unknown, False)."""
    return mtime is not None and started is not None and mtime > started + CHANGE_MARGIN


def ephemeral_ports(proc='/proc'):
    """(low, high) of the ports the kernel picks for a bind to port 0 (JMX/RMI and other random listeners)."""
    data = _read(os.path.join(proc, 'sys', 'net', 'ipv4', 'ip_local_port_range'))
    low, high = (_text(data).split() if data else ('32768', '60999'))
    return int(low), int(high)
