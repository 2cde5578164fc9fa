"""`make tarball`: the collection tarball holds what a user needs and nothing of the development setup.

Usage: check_tarball.py TARBALL (run from the checkout: the expected files are the tracked ones).
Prints a summary of the tarball's files per top-level folder.
"""

import collections
import subprocess
import sys
import tarfile

# Every tracked file under these folders is shipped, plus these top-level files.
SHIPPED_FOLDERS = ('plugins/', 'roles/', 'playbooks/', 'docs/docsite/', 'meta/')
SHIPPED_FILES = ('README.md', 'COPYING', 'CHANGELOG.rst', 'changelogs/changelog.yaml')
# Development and test files: none of them may be shipped.
NOT_SHIPPED = ('Makefile', 'ansible.cfg', 'requirements.txt', 'requirements-', 'tests/', 'molecule/', '.ci/',
               '.gitignore', 'docs/sphinx/', 'changelogs/fragments/', 'playbooks/inventory/localhost.yml', '.build/',
               '.venv')


def main(tarball):
    with tarfile.open(tarball) as tar:
        shipped = {m.name for m in tar.getmembers() if m.isfile()}
    tracked = subprocess.run(['git', 'ls-files'], capture_output=True, text=True, check=True).stdout.split()
    wanted = {path for path in tracked if path.startswith(SHIPPED_FOLDERS) or path in SHIPPED_FILES}
    missing = sorted(path for path in wanted if path not in shipped and not path.startswith(NOT_SHIPPED))
    unwanted = sorted(path for path in shipped if path.startswith(NOT_SHIPPED))
    per_folder = collections.Counter(path.split('/')[0] + ('/' if '/' in path else '') for path in shipped)
    print('%s: %d files: %s' % (tarball, len(shipped), ', '.join('%s %d' % item for item in sorted(per_folder.items()))))
    for path in missing:
        print('ERROR: missing from the tarball: ' + path)
    for path in unwanted:
        print('ERROR: a development file is in the tarball: ' + path)
    return 1 if missing or unwanted else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
