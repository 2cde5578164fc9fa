"""`make lint`: every requirements file pins every package (name==version), a package pinned in
requirements-runtime.txt has the version requirements.txt (the development venv) pins, and meta/runtime.yml's
requires_ansible claims the ansible-core versions the tests run on: its lower bound is the one of
requirements-compat.txt (make compat), it holds the pinned one and the newest (requirements-newest.txt, make
compat-newest), and no later minor release than that newest."""

import glob
import re
import sys

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

PIN = re.compile(r'^([A-Za-z0-9_.\-]+)==([^\s;#]+)$')


def pins(path):
    found, errors = {}, []
    for number, line in enumerate(open(path), 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        match = PIN.match(line)
        if match:
            found[match.group(1).lower().replace('_', '-')] = match.group(2)
        else:
            errors.append('%s:%d: %r is not pinned as name==version' % (path, number, line))
    return found, errors


def claim_problems(files):
    """What meta/runtime.yml's requires_ansible claims that the pins of the test venvs do not test, or the reverse."""
    claim = yaml.safe_load(open('meta/runtime.yml'))['requires_ansible']
    tested = {path: Version(pinned['ansible-core']) for path, pinned in files.items() if 'ansible-core' in pinned}
    lowest, newest = tested.get('requirements-compat.txt'), tested.get('requirements-newest.txt')
    if lowest is None or newest is None:
        return ['requirements-compat.txt and requirements-newest.txt must pin ansible-core (the lowest and newest tested)']
    specifiers = SpecifierSet(claim)
    errors = ['meta/runtime.yml: requires_ansible %r does not hold ansible-core %s of %s' % (claim, version, path)
              for path, version in sorted(tested.items()) if version not in specifiers]
    if '>=%s' % lowest not in {str(spec) for spec in specifiers}:
        errors.append('meta/runtime.yml: requires_ansible %r: its lower bound is not >=%s, the lowest tested '
                      '(requirements-compat.txt)' % (claim, lowest))
    untested = Version('%d.%d.0' % (newest.major, newest.minor + 1))
    if untested in specifiers:
        errors.append('meta/runtime.yml: requires_ansible %r claims ansible-core %s, newer than the newest tested '
                      '(%s, requirements-newest.txt): add the upper bound <%s' % (claim, untested, newest, untested))
    return errors


def main():
    errors, files = [], {}
    for path in sorted(glob.glob('requirements*.txt')):
        files[path], file_errors = pins(path)
        errors += file_errors
    dev = files.get('requirements.txt', {})
    for name, version in sorted(files.get('requirements-runtime.txt', {}).items()):
        if dev.get(name) != version:
            errors.append('requirements-runtime.txt pins %s==%s, requirements.txt %s' % (name, version, dev.get(name)))
    errors += claim_problems(files)
    for error in errors:
        print('ERROR: ' + error)
    print('requirements: %d files, %d pins, %d problem(s)' % (len(files), sum(map(len, files.values())), len(errors)))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
