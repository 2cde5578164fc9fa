"""Every file of the collection's module_utils is opened, listed and replaced one way: common.fileio (through the
descriptors common.links walks). A call that opens, lists, renames or removes a file any other way fails here,
unless it is listed below with the reason it is not a file under an MI home or an operator's folder."""

import ast
from pathlib import Path

MODULE_UTILS = Path(__file__).resolve().parents[4] / 'plugins' / 'module_utils'
THE_WAY = {'common/fileio.py', 'common/links.py'}
FORBIDDEN = {
    ('', 'open'), ('os', 'open'), ('io', 'open'), ('os', 'listdir'), ('os', 'scandir'), ('os', 'walk'),
    ('os', 'rename'), ('os', 'replace'), ('os', 'unlink'), ('os', 'remove'), ('os', 'readlink'), ('os', 'mkfifo'),
    ('glob', 'glob'), ('glob', 'iglob'), ('shutil', '*'), ('tempfile', '*'), ('zipfile', 'ZipFile'),
    ('os', 'chmod'), ('os', 'chown'), ('os', 'symlink'), ('os', 'link'),
}
# (file, call): why it is not a file under an MI home read or written another way.
ALLOWED = {
    ('common/proc.py', 'open'): 'the kernel\'s /proc files (cmdline, environ, status, net/tcp)',
    ('common/proc.py', 'os.listdir'): 'the pids of /proc and a process\'s fd folder',
    ('common/proc.py', 'os.readlink'): 'a process\'s /proc links (cwd, fd, ns/mnt)',
    ('common/lock.py', 'open'): '/proc/locks and /proc/PID/cmdline, to name a lock\'s holder',
    ('common/systemd.py', 'glob.glob'): 'EnvironmentFile= globs of root\'s units; each file is then read by fileio',
    ('firewall/firewalld.py', 'glob.glob'): 'firewalld\'s zone files in /etc; each is then read by fileio',
    ('mi/capps.py', 'tempfile.TemporaryFile'): 'the capped copy of a nested CApp, in the run\'s own TMPDIR',
    ('mi/capps.py', 'zipfile.ZipFile'): 'a zip over a stream fileio opened (or over that capped copy)',
}


def calls(tree):
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if isinstance(function, ast.Name):
            yield '', function.id, node.lineno
        elif isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name):
            yield function.value.id, function.attr, node.lineno


def test_no_module_util_opens_a_file_another_way():
    found = []
    for path in sorted(MODULE_UTILS.rglob('*.py')):
        name = str(path.relative_to(MODULE_UTILS))
        if name in THE_WAY:
            continue
        for owner, attribute, line in calls(ast.parse(path.read_text())):
            if (owner, attribute) not in FORBIDDEN and (owner, '*') not in FORBIDDEN:
                continue
            call = '%s.%s' % (owner, attribute) if owner else attribute
            if (name, call) not in ALLOWED:
                found.append('%s:%d calls %s' % (name, line, call))
    assert found == [], 'open, list and replace files through common.fileio: %s' % found


def test_the_allowed_exceptions_are_still_there():
    """An exception that no code needs any more is removed from the list (it would let a new call in)."""
    used = set()
    for path in sorted(MODULE_UTILS.rglob('*.py')):
        name = str(path.relative_to(MODULE_UTILS))
        for owner, attribute, _line in calls(ast.parse(path.read_text())):
            used.add((name, '%s.%s' % (owner, attribute) if owner else attribute))
    assert set(ALLOWED) - used == set()
