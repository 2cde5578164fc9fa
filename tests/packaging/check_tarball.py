"""`make tarball`: the collection tarball holds what a user needs and nothing of the development setup, and
its release notes (CHANGELOG.rst, changelogs/changelog.yaml) have a section for the version it is built as.

Usage: check_tarball.py TARBALL (run from the checkout: the expected files are the tracked ones).
Prints a summary of the tarball's files per top-level folder.
"""

import collections
import json
import re
import subprocess
import sys
import tarfile

import yaml

# Every tracked file under these folders is shipped, plus these top-level files.
SHIPPED_FOLDERS = ('plugins/', 'roles/', 'playbooks/', 'docs/docsite/', 'meta/')
# meta/ holds execution-environment.yml and the ee-requirements.txt it names (ansible-builder reads both).
SHIPPED_FILES = ('README.md', 'COPYING', 'CHANGELOG.rst', 'changelogs/changelog.yaml', 'meta/execution-environment.yml',
                 'meta/ee-requirements.txt')
# Development and test files: none of them may be shipped.
NOT_SHIPPED = ('Makefile', 'ansible.cfg', 'requirements.txt', 'requirements-', 'tests/', 'molecule/', '.ci/',
               '.gitignore', 'docs/sphinx/', 'ee/', 'changelogs/fragments/', 'playbooks/inventory/localhost.yml', '.build/',
               '.venv')


def release_notes_problems(tar):
    """The tarball's version (MANIFEST.json) has its release in changelog.yaml and its section in CHANGELOG.rst."""
    version = json.load(tar.extractfile('MANIFEST.json'))['collection_info']['version']
    releases = yaml.safe_load(tar.extractfile('changelogs/changelog.yaml'))['releases'] or {}
    rst = tar.extractfile('CHANGELOG.rst').read().decode()
    errors = []
    if version not in {str(v) for v in releases}:
        errors.append('changelogs/changelog.yaml has no release %s, the version of the tarball' % version)
    if not re.search(r'^v%s\n=+$' % re.escape(version), rst, re.M):
        errors.append('CHANGELOG.rst has no section v%s, the version of the tarball: build it with make dist' % version)
    return version, errors


def main(tarball):
    with tarfile.open(tarball) as tar:
        shipped = {m.name for m in tar.getmembers() if m.isfile()}
        version, errors = release_notes_problems(tar)
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
    for error in errors:
        print('ERROR: ' + error)
    if not errors:
        print('release notes: CHANGELOG.rst and changelogs/changelog.yaml have the release %s' % version)
    return 1 if missing or unwanted or errors else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
