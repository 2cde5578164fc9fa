"""`make ee`: the execution environment definition and the collection's EE metadata agree with the collection.

After `ansible-builder create -f ee/execution-environment.yml -c CONTEXT` and the install of the tarball into
COLLECTIONS, checks that:
- the build context holds every collection tarball the definition installs, and it is this collection at
  galaxy.yml's version;
- the definition installs the ansible-core range meta/runtime.yml claims (requires_ansible);
- what ansible-builder's introspection installs for the installed collection (meta/execution-environment.yml) is
  meta/ee-requirements.txt, lower bounds only, and names every third-party package the plugins import but the
  host-side ones.
Usage: check_ee.py DEFINITION CONTEXT COLLECTIONS (run from the checkout, ansible-builder on PATH).
"""

import ast
import glob
import json
import os
import subprocess
import sys
import tarfile
import tempfile

import yaml
from packaging.requirements import Requirement

# Imported by a plugin only where it runs on a managed host, never in the execution environment.
HOST_SIDE = {'firewall': "python3-firewall, firewalld's D-Bus client: the firewalld backend on the host"}
PROVIDED = {'ansible', 'ansible_collections', 'jinja2', 'yaml'}  # ansible-core and its own requirements


def imported_packages():
    """Top-level names of the third-party packages the plugins import."""
    found = set()
    for path in glob.glob('plugins/**/*.py', recursive=True):
        for node in ast.walk(ast.parse(open(path).read())):
            if isinstance(node, ast.Import):
                found.update(alias.name.split('.')[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split('.')[0])
    return found - set(sys.stdlib_module_names) - PROVIDED - {'__future__'}


def context_problems(definition, context):
    errors = []
    version = str(yaml.safe_load(open('galaxy.yml'))['version'])
    requirements = yaml.safe_load(open(os.path.join(context, '_build', 'requirements.yml')))
    files = [c['name'] for c in requirements.get('collections', []) if c.get('type') == 'file']
    if not files:
        errors.append('%s installs no collection tarball' % definition)
    for name in files:
        path = os.path.join(context, '_build', name)
        if not os.path.exists(path):
            errors.append('%s: the build context has no %s (run make dist; is additional_build_files right?)'
                          % (definition, name))
            continue
        with tarfile.open(path) as tar:
            info = json.load(tar.extractfile('MANIFEST.json'))['collection_info']
        built = '%s.%s %s' % (info['namespace'], info['name'], info['version'])
        if built != 'wso2ops.micro_integrator %s' % version:
            errors.append('%s: %s is %s, not wso2ops.micro_integrator %s (galaxy.yml)' % (definition, name, built, version))
    claim = yaml.safe_load(open('meta/runtime.yml'))['requires_ansible']
    core = yaml.safe_load(open(definition))['dependencies']['ansible_core']['package_pip']
    if Requirement(core).specifier != Requirement('ansible-core' + claim).specifier:
        errors.append('%s installs %s, meta/runtime.yml claims ansible-core%s' % (definition, core, claim))
    return errors


def dependency_problems(collections):
    errors = []
    with tempfile.TemporaryDirectory() as tmp:
        pip, bindep = os.path.join(tmp, 'requirements.txt'), os.path.join(tmp, 'bindep.txt')
        subprocess.run(['ansible-builder', 'introspect', collections, '--write-pip', pip, '--write-bindep', bindep],
                       check=True, stdout=subprocess.DEVNULL)
        introspected = [line.split('  #')[0] for line in open(pip).read().splitlines()] if os.path.exists(pip) else []
        system = open(bindep).read().split() if os.path.exists(bindep) else []
    declared = [line for line in open('meta/ee-requirements.txt').read().splitlines()
                if line.strip() and not line.startswith('#')]
    if introspected != declared:
        errors.append('ansible-builder introspect installs %s, meta/ee-requirements.txt lists %s: is '
                      'meta/execution-environment.yml shipped and pointing at it?' % (introspected, declared))
    if system:
        errors.append('ansible-builder introspect installs system packages %s: document them in ee/' % system)
    for line in declared:
        for spec in Requirement(line).specifier:
            if spec.operator not in ('>=', '!='):
                errors.append('meta/ee-requirements.txt: %r caps or pins a version (%s): lower bounds only' % (line, spec))
    names = {Requirement(line).name.lower() for line in declared}
    for package in sorted(imported_packages() - set(HOST_SIDE)):
        if package.lower() not in names:
            errors.append('the plugins import %s, meta/ee-requirements.txt does not list it' % package)
    for package in sorted(names - imported_packages()):
        errors.append('meta/ee-requirements.txt lists %s, which no plugin imports' % package)
    return introspected, errors


def main(definition, context, collections):
    errors = context_problems(definition, context)
    introspected, more = dependency_problems(collections)
    errors += more
    for error in errors:
        print('ERROR: ' + error)
    print('execution environment: %s, Python packages from the collection: %s; host side only: %s; %d problem(s)'
          % (definition, ', '.join(introspected) or 'none', ', '.join('%s (%s)' % i for i in HOST_SIDE.items()),
             len(errors)))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:4]))
