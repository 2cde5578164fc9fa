"""`make lint`: every requirements file pins every package (name==version), and a package pinned in
requirements-runtime.txt has the version requirements.txt (the development venv) pins."""

import glob
import re
import sys

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


def main():
    errors, files = [], {}
    for path in sorted(glob.glob('requirements*.txt')):
        files[path], file_errors = pins(path)
        errors += file_errors
    dev = files.get('requirements.txt', {})
    for name, version in sorted(files.get('requirements-runtime.txt', {}).items()):
        if dev.get(name) != version:
            errors.append('requirements-runtime.txt pins %s==%s, requirements.txt %s' % (name, version, dev.get(name)))
    for error in errors:
        print('ERROR: ' + error)
    print('requirements: %d files, %d pins, %d problem(s)' % (len(files), sum(map(len, files.values())), len(errors)))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
