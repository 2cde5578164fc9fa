"""`make changelog`: the release notes antsibull-changelog writes are correct.

Runs `antsibull-changelog release` for galaxy.yml's version in a copy of the tree (release.py, as `make dist` does; COPY, an
ansible_collections/<namespace>/<name> folder), so pending fragments and new plugins are folded in as
the maintainer's release will fold them, then checks the result against the tree:
- every module, plugin and role has version_added, and is listed once, as new in the release named
  by its version_added (antsibull-changelog finds them from version_added: no fragment lists them);
- every playbook is listed once as a new playbook (an `add object.playbook` fragment);
- the first release has no Bugfixes, Deprecated, Removed or Breaking sections (nothing was released
  before it to fix, deprecate, remove or break);
- the committed CHANGELOG.rst is what `antsibull-changelog generate` makes of the committed changelog.yaml.
Prints the release notes the pending fragments and plugins will add. Usage: check_changelog.py COPY
"""

import ast
import difflib
import glob
import os
import subprocess
import sys

import yaml

RELEASE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'release.py')

NOT_IN_FIRST_RELEASE = ('bugfixes', 'deprecated_features', 'removed_features', 'breaking_changes')
PLUGIN_DIRS_WITHOUT_DOCS = ('module_utils', 'doc_fragments', 'plugin_utils')


def documentation(path):
    """The DOCUMENTATION of a plugin file (Python assignment or YAML sidecar), as data."""
    if path.endswith('.py'):
        for node in ast.parse(open(path).read()).body:
            if isinstance(node, ast.Assign) and any(getattr(t, 'id', '') == 'DOCUMENTATION' for t in node.targets):
                return yaml.safe_load(node.value.value)
        return None
    return (yaml.safe_load(open(path)) or {}).get('DOCUMENTATION')


def tree_objects(root):
    """{(kind, name): version_added or None} for the plugins, roles and playbooks of the tree."""
    found = {}
    for path in sorted(glob.glob(os.path.join(root, 'plugins', '*', '*'))):
        kind = os.path.basename(os.path.dirname(path))
        name, ext = os.path.splitext(os.path.basename(path))
        if kind in PLUGIN_DIRS_WITHOUT_DOCS or ext not in ('.py', '.yml', '.yaml') or name == '__init__':
            continue
        kind = 'module' if kind == 'modules' else kind
        docs = documentation(path)
        if docs is not None or (kind, name) not in found:
            found[(kind, name)] = (docs or {}).get('version_added')
    for path in sorted(glob.glob(os.path.join(root, 'roles', '*', 'meta', 'argument_specs.yml'))):
        main = yaml.safe_load(open(path))['argument_specs']['main']
        found[('role', path.split(os.sep)[-3])] = main.get('version_added')
    for path in sorted(glob.glob(os.path.join(root, 'playbooks', '*.yml'))):
        found[('playbook', os.path.splitext(os.path.basename(path))[0])] = 'any'
    return found


def released_objects(releases):
    """{(kind, name): [versions]} of everything the releases list as new."""
    listed = {}
    for version, release in releases.items():
        entries = [('module', m['name']) for m in release.get('modules', [])]
        for section in ('plugins', 'objects'):
            for kind, items in release.get(section, {}).items():
                entries += [(kind, item['name']) for item in items]
        for entry in entries:
            listed.setdefault(entry, []).append(str(version))
    return listed


def problems(root, releases, version):
    found, listed = tree_objects(root), released_objects(releases)
    errors = []
    for (kind, name), added in sorted(found.items()):
        versions = listed.get((kind, name), [])
        if added is None:
            errors.append('%s %s has no version_added: antsibull-changelog cannot list it as new' % (kind, name))
        elif len(versions) != 1:
            errors.append('%s %s is listed as new in %d releases (%s), not once'
                          % (kind, name, len(versions), ', '.join(versions) or 'none'))
        elif added != 'any' and versions != [str(added)]:
            errors.append('%s %s has version_added %s but is listed as new in %s' % (kind, name, added, versions[0]))
    first = min(releases, key=lambda v: tuple(int(p) for p in str(v).split('.')[:3]))
    for section in NOT_IN_FIRST_RELEASE:
        if releases[first].get('changes', {}).get(section):
            errors.append('the first release %s has a %s section: nothing was released before it' % (first, section))
    if version not in releases:
        errors.append('no release %s (galaxy.yml version) after antsibull-changelog release' % version)
    return errors


def run(copy, *args):
    subprocess.run(['antsibull-changelog'] + list(args), cwd=copy, check=True)


def main(copy):
    version = str(yaml.safe_load(open(os.path.join(copy, 'galaxy.yml')))['version'])
    committed_rst = open(os.path.join(copy, 'CHANGELOG.rst')).read()
    run(copy, 'generate')
    errors = []
    if open(os.path.join(copy, 'CHANGELOG.rst')).read() != committed_rst:
        errors.append('CHANGELOG.rst is not what `antsibull-changelog generate` makes of changelogs/changelog.yaml: '
                      'run `make changelog-release` and commit both')
    subprocess.run([sys.executable, RELEASE, copy], check=True)  # as make dist does
    releases = yaml.safe_load(open(os.path.join(copy, 'changelogs', 'changelog.yaml')))['releases']
    errors += problems(copy, {str(k): v for k, v in releases.items()}, version)
    pending = list(difflib.unified_diff(committed_rst.splitlines(), open(os.path.join(copy, 'CHANGELOG.rst')).read()
                                        .splitlines(), 'CHANGELOG.rst (committed)', 'CHANGELOG.rst (after release)',
                                        lineterm='', n=1))
    print('\n'.join(pending) if pending else 'No pending fragments or plugins: CHANGELOG.rst is complete.')
    for error in errors:
        print('ERROR: ' + error)
    print('changelog check: %d problem(s)' % len(errors))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
