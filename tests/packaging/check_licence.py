"""`make lint`: one licence everywhere, the one galaxy.yml declares (GPL-3.0-or-later).

- galaxy.yml declares exactly one licence, and COPYING is its text;
- every role's meta/main.yml declares the same licence (Galaxy shows it on the role's page);
- every plugin file that holds code starts with the GPLv3+ header (ansible-test sanity wants it too);
- no tracked file's header names another licence (a header is the comment lines above the code).
Usage: check_licence.py (run from the checkout: the files checked are the tracked ones).
"""

import glob
import subprocess
import sys

import yaml

SPDX = 'GPL-3.0-or-later'
HEADER = '# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)'
COPYING_TITLE = ('GNU GENERAL PUBLIC LICENSE', 'Version 3, 29 June 2007')
# Words that name a licence in a header comment; the test data under tests/fixtures is MI's, not ours.
LICENCE_WORDS = ('licen', 'gpl', 'apache', 'mit ', 'bsd')
NOT_OURS = ('tests/fixtures/',)


def header(path):
    """The leading comment lines of a file (shebang and coding line included)."""
    lines = []
    with open(path, errors='replace') as handle:
        for line in handle:
            if not line.startswith('#'):
                break
            lines.append(line.rstrip('\n'))
    return lines


def problems():
    errors = []
    declared = yaml.safe_load(open('galaxy.yml')).get('license')
    if declared != [SPDX]:
        errors.append('galaxy.yml: license is %r, not [%s]' % (declared, SPDX))
    copying = open('COPYING').read()
    if not all(title in copying[:200] for title in COPYING_TITLE):
        errors.append('COPYING is not the text of the GNU GPL version 3')
    for path in sorted(glob.glob('roles/*/meta/main.yml')):
        role = yaml.safe_load(open(path))['galaxy_info'].get('license')
        if role != SPDX:
            errors.append('%s: galaxy_info.license is %r, not %s (galaxy.yml)' % (path, role, SPDX))
    tracked = subprocess.run(['git', 'ls-files', '--cached', '--others', '--exclude-standard'],
                             capture_output=True, text=True, check=True).stdout.split('\n')
    for path in sorted(p for p in tracked if p.endswith(('.py', '.sh')) and not p.startswith(NOT_OURS)):
        lines = header(path)
        if path.startswith('plugins/') and open(path).read().strip() and HEADER not in lines:
            errors.append('%s: no GPLv3+ header line %r' % (path, HEADER))
        for line in lines:
            if any(word in line.lower() for word in LICENCE_WORDS) and line != HEADER:
                errors.append('%s: header names another licence: %r' % (path, line))
    return errors


def main():
    errors = problems()
    for error in errors:
        print('ERROR: ' + error)
    print('licence: %s in galaxy.yml, role metadata and file headers, %d problem(s)' % (SPDX, len(errors)))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
