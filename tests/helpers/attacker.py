"""MI's service account attacking a run as root, played by nobody (uid 65534) in real processes.

The test (root) prepares the scene; what the account would do runs as nobody under setpriv (no capability
left), reaching the MI home only through a folder descriptor it inherits: it needs no path to it, as the real
account needs none to its own home.
"""

import os
import struct
import subprocess
import sys
import zipfile
import zlib

NOBODY = 65534
# The account's processes run the system Python (stdlib only, given code with -c, started in /): the test's own
# interpreter may live where nobody cannot run it (a pyenv build under /root, a checkout in a private folder).
PYTHON = '/usr/bin/python3' if os.access('/usr/bin/python3', os.X_OK) else sys.executable
AS_NOBODY = ['setpriv', '--reuid=%d' % NOBODY, '--regid=%d' % NOBODY, '--clear-groups', '--bounding-set=-all',
             '--inh-caps=-all', '--']

# Exchanges <home>/conf and <home>/conf.swap (a link it plants to the root-only folder) with renameat2's
# RENAME_EXCHANGE in a loop, as fast as it can, for argv[2] seconds; prints how many swaps it made.
SWAPPER = r'''
import ctypes, os, sys, time
home, seconds, target = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
libc = ctypes.CDLL(None, use_errno=True)
os.symlink(target, 'conf.swap', dir_fd=home)
swaps, end = 0, time.monotonic() + seconds
while time.monotonic() < end:
    if libc.renameat2(home, b'conf', home, b'conf.swap', 2) == 0:  # RENAME_EXCHANGE
        swaps += 1
if swaps % 2:
    libc.renameat2(home, b'conf', home, b'conf.swap', 2)  # leave the real conf in place
print(swaps, flush=True)
'''


def chown_tree(path, uid=NOBODY):
    for folder, folders, files in os.walk(path):
        os.lchown(folder, uid, uid)
        for name in folders + files:
            os.lchown(os.path.join(folder, name), uid, uid)


def plant(link, target):
    """A symbolic link the account made (owned by it)."""
    os.symlink(target, link)
    os.lchown(link, NOBODY, NOBODY)
    return link


def claiming_process(home, arguments=(), environment=None):
    """A process of the account whose command line claims home as its MI home (-Dcarbon.home) with arguments
    (more -D options); it sleeps until killed. Any local account can start such a process."""
    argv = AS_NOBODY + [PYTHON, '-c', 'import time; time.sleep(600)', '-Dcarbon.home=%s' % home] + list(arguments)
    return subprocess.Popen(argv, env=dict(environment or {}, PATH='/usr/bin:/bin'), stdout=subprocess.DEVNULL, cwd='/')


def swapper(home, seconds, target):
    """The swap loop, started now, as the account, on the folder home (a path opened here, passed as a fd)."""
    fd = os.open(str(home), os.O_RDONLY | os.O_DIRECTORY)
    try:
        return subprocess.Popen(AS_NOBODY + [PYTHON, '-c', SWAPPER, str(fd), str(seconds), str(target)],
                                pass_fds=(fd,), stdout=subprocess.PIPE, text=True, cwd='/')
    finally:
        os.close(fd)


def raw_zip(path, members):
    """A zip written byte by byte (as a crafting attacker would, and in a second where zipfile takes minutes):
    members [(name, stored bytes, method 0 stored or 8 deflated, crc32, uncompressed size)], with a zip64 end
    record so that any number of members fits."""
    local, central, offset = [], [], 0
    for name, data, method, crc, size in members:
        name = name.encode()
        header = struct.pack('<4s5H3L2H', b'PK\x03\x04', 20, 0, method, 0, 0, crc, len(data), size, len(name), 0)
        central.append(struct.pack('<4s6H3L5H2L', b'PK\x01\x02', 20, 20, 0, method, 0, 0, crc, len(data), size,
                                   len(name), 0, 0, 0, 0, 0, offset) + name)
        local.append(header + name + data)
        offset += len(local[-1])
    directory, count = b''.join(central), len(members)
    end64 = struct.pack('<4sQ2H2L4Q', b'PK\x06\x06', 44, 45, 45, 0, 0, count, count, len(directory), offset)
    locator = struct.pack('<4sLQL', b'PK\x06\x07', 0, offset + len(directory), 1)
    end = struct.pack('<4s4H2LH', b'PK\x05\x06', 0, 0, 0xFFFF, 0xFFFF, len(directory), offset, 0)
    with open(path, 'wb') as stream:
        stream.write(b''.join(local) + directory + end64 + locator + end)
    return path


def stored(name, data):
    return name, data, 0, zlib.crc32(data), len(data)


def zeros(name, size):
    """A deflated member of size zero bytes (a multiple of 16 MiB), about size / 1000 in the zip: one 16 MiB block
    compressed once with a full flush (which resets the compressor, so the same bytes repeat), then the end."""
    chunk = 16 << 20
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(chunk)) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _block in range(size // chunk):
        crc = zlib.crc32(bytes(chunk), crc)
    return name, block * (size // chunk) + zlib.compressobj(9, zlib.DEFLATED, -15).flush(), 8, crc, size


def capp_members(path):
    """The members of a CApp made by helpers.artifacts.make_capp, as raw_zip members."""
    with zipfile.ZipFile(path) as archive:
        return [stored(name, archive.read(name)) for name in archive.namelist()]


def crowded_zip(path, count):
    """A zip of count empty stored members."""
    return raw_zip(path, [('f%d' % index, b'', 0, 0, 0) for index in range(count)])
