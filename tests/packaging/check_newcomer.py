"""`make newcomer`: the README's install instructions, as they are written, work for a newcomer.

Takes the first `sh` block of the README's "Install" section and runs it with bash (stopping at the first
failing command) in a new, empty HOME: the checkout is a fresh copy of the tree at ~/micro_integrator (the
tracked and new files in a new git repository, no .build: `make dist` there makes its own venvs), the project folder ~/my-project is
created by the block itself, and the only Ansible on PATH is the one of RUNTIME_VENV (ansible-core and tomlkit,
what the README's Requirements ask for). Nothing of the checkout's environment (ANSIBLE_*, PYTHONPATH, make's
variables) is passed on. Then checks that the collection landed in ~/.ansible/collections from the tarball,
that the demo ran to its end and that ansible-doc printed the module's page.
Usage: check_newcomer.py WORKDIR RUNTIME_VENV PIP_CACHE_DIR (run from the checkout).
"""

import json
import os
import re
import shutil
import subprocess
import sys

# What the block's commands must have printed: the demo's last task and the module's documentation.
EXPECTED = ('TASK [Remove the temporary MI homes]', 'wso2ops.micro_integrator.instances', 'failed=0')


def install_block(readme):
    """The first ```sh block under '## Install'."""
    section = readme.split('\n## Install\n', 1)[1].split('\n## ', 1)[0]
    match = re.search(r'^```sh\n(.*?)^```$', section, re.S | re.M)
    if not match:
        raise SystemExit('README.md: no ```sh block in the Install section')
    return match.group(1)


def fresh_checkout(target):
    files = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                           capture_output=True, text=True, check=True).stdout.split('\0')
    for path in filter(None, files):
        if os.path.lexists(path) and not os.path.isdir(path):
            os.makedirs(os.path.join(target, os.path.dirname(path)), exist_ok=True)
            shutil.copy2(path, os.path.join(target, path), follow_symlinks=False)
    # A checkout is a git repository: make dist lists the files to build from with git.
    subprocess.run('git init -q && git add -A', shell=True, cwd=target, check=True)


def main(workdir, runtime_venv, pip_cache):
    block = install_block(open('README.md').read())
    shutil.rmtree(workdir, ignore_errors=True)
    home = os.path.join(workdir, 'home')
    fresh_checkout(os.path.join(home, 'micro_integrator'))
    os.makedirs(os.path.join(workdir, 'tmp'))
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(('ANSIBLE_', 'MAKE', 'MFLAGS')) and key not in ('PYTHONPATH', 'RUSTUP_HOME', 'VENV')}
    env.update(HOME=home, TMPDIR=os.path.join(workdir, 'tmp'), PIP_CACHE_DIR=pip_cache,
               PATH=os.path.join(os.path.abspath(runtime_venv), 'bin') + os.pathsep + os.environ['PATH'])
    print('README.md, Install, run in HOME=%s:\n%s' % (home, block))
    proc = subprocess.run(['bash', '-e', '-c', block], cwd=home, env=env, stdout=subprocess.PIPE, check=False,
                          stderr=subprocess.STDOUT, text=True)
    log = os.path.join(workdir, 'newcomer.log')
    open(log, 'w').write(proc.stdout)
    errors = [] if proc.returncode == 0 else ['the block failed (exit %d): the end of %s:\n%s'
                                              % (proc.returncode, log, proc.stdout[-3000:])]
    manifest = os.path.join(home, '.ansible', 'collections', 'ansible_collections', 'wso2ops', 'micro_integrator',
                            'MANIFEST.json')
    if os.path.exists(manifest):
        print('installed: wso2ops.micro_integrator %s in ~/.ansible/collections'
              % json.load(open(manifest))['collection_info']['version'])
    else:
        errors.append('no collection installed from a tarball in ~/.ansible/collections (%s)' % manifest)
    errors += ['the output (%s) lacks %r' % (log, text) for text in EXPECTED if text not in proc.stdout]
    for error in errors:
        print('ERROR: ' + error)
    print('newcomer: the README install block, %d problem(s)' % len(errors))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:4]))
