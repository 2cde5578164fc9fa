"""Fold the pending changelog fragments and new plugins into the release of galaxy.yml's version, in a copy.

`make dist` builds the tarball from such a copy, so that its CHANGELOG.rst always has a section for the version
it is built as; `make changelog` (check_changelog.py) checks the same release notes. A version that
changelogs/changelog.yaml already holds keeps its release date. Usage: release.py COPY (an
ansible_collections/<namespace>/<name> folder that ANSIBLE_COLLECTIONS_PATH finds, antsibull-changelog on PATH).
"""

import os
import subprocess
import sys

import yaml


def release(copy):
    """Run `antsibull-changelog release` in COPY for galaxy.yml's version; return the version."""
    version = str(yaml.safe_load(open(os.path.join(copy, 'galaxy.yml')))['version'])
    known = yaml.safe_load(open(os.path.join(copy, 'changelogs', 'changelog.yaml')))['releases'] or {}
    date = {str(k): v for k, v in known.items()}.get(version, {}).get('release_date')
    subprocess.run(['antsibull-changelog', 'release', '--version', version, '--update-existing',
                    '--refresh-plugins', 'prevent-removal'] + (['--date', str(date)] if date else []),
                   cwd=copy, check=True)
    return version


if __name__ == '__main__':
    print('release notes of %s folded into %s/CHANGELOG.rst' % (release(sys.argv[1]), sys.argv[1]))
