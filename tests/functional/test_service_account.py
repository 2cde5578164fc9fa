"""MI's service account attacking the modules that run as root (issue 29), each case for real: the account is
nobody (uid 65534) in processes of its own (tests/helpers/attacker.py), its MI home is a folder it owns, and root
keeps a 0700 folder beside it ("the vault") whose files must never be read, quoted or replaced.

Every run has a subprocess timeout (a hang fails the test) and every output is searched for the vault's secrets.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.artifacts import CAPPS_DIR, ENDPOINTS_DIR, endpoint_xml, make_capp
from helpers.attacker import (
    NOBODY,
    capp_members,
    chown_tree,
    claiming_process,
    crowded_zip,
    plant,
    raw_zip,
    swapper,
    zeros,
)
from helpers.runner import ansible, run_module

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which('setpriv') is None,
                                reason='needs root and setpriv: the attack is on a run as root, by another account')

SECRET = 'VAULT-31337-never-shown'
ROOT_TOML = '[server]\noffset = 3\n\n[keystore.primary]\npassword = "%s"\n' % SECRET
HOME_TOML = '[server]\nhostname = "localhost"\n\n[transport.http]\nlistener.port = 8280\n'
TESTS = Path(__file__).resolve().parents[1]
RACE_SECONDS = float(os.environ.get('RACE_SECONDS', '20'))


def state(folder):
    """Every entry of a folder: name, bytes, owner, mode (what must not change)."""
    found = {}
    for name in sorted(os.listdir(folder)):
        info = os.lstat(os.path.join(folder, name))
        data = open(os.path.join(folder, name), 'rb').read() if stat.S_ISREG(info.st_mode) else None
        found[name] = (data, info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode), info.st_ino)
    return found


@pytest.fixture
def scene(tmp_path):
    """(home owned by the account, vault: root 0700 with a 0600 secret, a deployment.toml and a CApp)."""
    vault = tmp_path / 'vault'
    vault.mkdir(mode=0o700)
    (vault / 'secret').write_text('port=%s\n%s\n' % (SECRET, SECRET))
    (vault / 'deployment.toml').write_text(ROOT_TOML)
    (vault / 'stolen.xml').write_text(endpoint_xml('stolen-%s' % SECRET, parameters={'inbound.http.port': '7777'}))
    make_capp(vault / 'stolen.car', 'stolen', endpoints=[('stolen', endpoint_xml(
        'stolen-car-%s' % SECRET, parameters={'inbound.http.port': '7778'}))])
    for name in os.listdir(vault):
        os.chmod(vault / name, 0o600)
    home = tmp_path / 'mi'
    (home / 'conf').mkdir(parents=True)
    (home / 'conf' / 'deployment.toml').write_text(HOME_TOML)
    (home / ENDPOINTS_DIR).mkdir(parents=True)
    (home / CAPPS_DIR).mkdir(parents=True)
    chown_tree(home)
    return home, vault


def shows_no_secret(result):
    text = json.dumps(result)
    assert SECRET not in text and 'hunter2' not in text, text


def endpoint(home, name, port, protocol='http'):
    path = home / ENDPOINTS_DIR / ('%s.xml' % name)
    path.write_text(endpoint_xml(name, protocol, parameters={'inbound.http.port' if protocol == 'http' else
                                                             'inbound.ws.port': port}))
    os.lchown(path, NOBODY, NOBODY)


def audit(home=None, **args):
    instances = [{'name': 'mi', 'home': str(home)}] if home else []
    return run_module('audit_info', dict({'instances': instances}, **args))


def plan(home, **instance):
    return run_module('instances', {'instances': [dict({'name': 'mi', 'home': str(home)}, **instance)],
                                    'check_listeners': False}, check=True)


@pytest.fixture
def process():
    started = []

    def start(*args, **kwargs):
        started.append(claiming_process(*args, **kwargs))
        time.sleep(0.3)  # its command line is in /proc
        assert started[-1].poll() is None, 'the account\'s process did not start (exit %s)' % started[-1].poll()
        return started[-1]
    yield start
    for proc in started:
        proc.kill()
        proc.wait(timeout=30)


def test_a_process_of_the_account_cannot_make_root_read_a_file_outside_the_home(scene, process, tmp_path):
    home, vault = scene
    endpoint(home, 'byfile', '$FILE:port')
    before = state(vault)
    process(home, ['-Dproperties.file.path=%s' % (vault / 'secret')])
    discovered = audit()  # instances: [] — discovery of what runs
    listed = plan(home)
    for result in (discovered, listed):
        shows_no_secret(result)
        assert 'is outside the MI home and named by what MI starts with, not by the task: not read' in \
            json.dumps(result), result
    # The same at -vvv through ansible-playbook, as an operator would see it.
    playbook = tmp_path / 'audit.yml'
    playbook.write_text('- hosts: localhost\n  gather_facts: false\n  tasks:\n'
                        '    - wso2ops.micro_integrator.audit_info:\n        instances: []\n'
                        '    - wso2ops.micro_integrator.instances:\n        instances: [{name: mi, home: "%s"}]\n'
                        '        check_listeners: false\n      check_mode: true\n      ignore_errors: true\n' % home)
    _rc, output = ansible(tmp_path, 'ansible-playbook', '-vvv', '-i', 'localhost,', '-c', 'local', str(playbook))
    assert SECRET not in output and 'audit_info' in output
    assert state(vault) == before


def test_a_file_the_task_names_is_read_and_its_value_still_not_quoted(scene, tmp_path):
    home, vault = scene
    endpoint(home, 'byfile', '$FILE:port')
    properties = tmp_path / 'operator.properties'  # outside the home, named by the operator's own jvm_args
    properties.write_text('port=hunter2-not-a-port\n')
    result = plan(home, jvm_args='-Dproperties.file.path=%s' % properties)
    shows_no_secret(result)
    assert 'parameter inbound.http.port of endpoint byfile (the value of $FILE:port) is a text of 18 characters ' \
           '(not shown)' in result['msg'], result


def test_links_planted_as_endpoint_and_capp_files_are_not_followed(scene):
    home, vault = scene
    plant(home / ENDPOINTS_DIR / 'planted.xml', vault / 'stolen.xml')
    plant(home / CAPPS_DIR / 'planted.car', vault / 'stolen.car')
    result = audit(home, discover=False)
    shows_no_secret(result)
    text = json.dumps(result)
    for name in ('planted.xml', 'planted.car'):
        assert '%s is a symbolic link owned by nobody (uid 65534) that leads to' % name in text, text
    assert '7777' not in text and '7778' not in text


def test_placeholder_values_from_the_running_mi_are_never_quoted(scene, process):
    home, _vault = scene
    (home / 'conf' / 'file.properties').write_text('key=hunter2-from-file\n')
    os.lchown(home / 'conf' / 'file.properties', NOBODY, NOBODY)
    endpoint(home, 'bysystem', '$SYSTEM:SECRET')
    endpoint(home, 'byconfigs', '${configs.OTHER}', protocol='ws')
    endpoint(home, 'byhomefile', '$FILE:key')
    (home / 'conf' / 'deployment.toml').write_text(HOME_TOML.replace('8280', '"$env{SECRET}"'))
    process(home, ['-Dproperties.file.path=default'], {'SECRET': 'hunter2-from-env', 'OTHER': 'hunter2-other'})
    for result in (plan(home), audit()):
        shows_no_secret(result)
    text = json.dumps(plan(home))
    for origin in ('$SYSTEM:SECRET', '${configs.OTHER}', '$FILE:key'):
        assert '(the value of %s) is a text of' % origin in text, text


def test_a_home_the_claiming_account_does_not_own_is_not_read(tmp_path, process):
    home = tmp_path / 'rootmi'
    (home / 'conf').mkdir(parents=True)
    (home / 'conf' / 'deployment.toml').write_text(ROOT_TOML)
    os.chmod(home / 'conf' / 'deployment.toml', 0o600)
    proc = process(home)
    result = audit()
    shows_no_secret(result)
    assert str(home) not in [instance['home'] for instance in result['instances']]
    warnings = json.dumps(result.get('warnings', []))
    assert 'pid %d claims %s as its MI home (-Dcarbon.home) but runs as uid %d, and the folder belongs to uid 0: ' \
           'not read' % (proc.pid, home, NOBODY) in warnings, result


@pytest.mark.parametrize('module', ['deployment_toml', 'instances'])
def test_swapping_conf_for_a_link_never_reaches_the_root_folder(scene, module, capsys):
    """The account exchanges <home>/conf with a link to the vault (renameat2 RENAME_EXCHANGE, in a loop) while
    root edits deployment.toml again and again, with backups: the vault stays byte for byte, owner and mode."""
    home, vault = scene
    before = state(vault)
    attack = swapper(home, RACE_SECONDS, vault)
    runs = {'changed': 0, 'refused': 0, 'unchanged': 0}
    deadline = time.monotonic() + RACE_SECONDS
    port = 8281
    while time.monotonic() < deadline:
        port = 8282 if port == 8281 else 8281
        if module == 'deployment_toml':
            result = run_module(module, {'path': str(home / 'conf' / 'deployment.toml'), 'ports': {'http': port},
                                         'backup': True})
        else:
            result = run_module(module, {'instances': [{'name': 'mi', 'home': str(home), 'ports': {'http': port}}],
                                         'check_listeners': False, 'backup': True})
        runs['refused' if result.get('failed') else 'changed' if result['changed'] else 'unchanged'] += 1
        shows_no_secret(result)
    out = attack.communicate(timeout=RACE_SECONDS + 60)[0]
    assert out.strip().isdigit(), 'the swap loop did not run (exit %s): %r' % (attack.returncode, out)
    swaps = int(out)
    with capsys.disabled():
        print('\n%s under a %.0f s swap loop: %d swaps, runs %s' % (module, RACE_SECONDS, swaps, runs))
    assert state(vault) == before
    assert swaps > 1000 and runs['changed'] > 0, (swaps, runs)  # the race ran, and the real file was edited


@pytest.mark.parametrize('where', ['updates/product.txt', 'conf/file.properties', ENDPOINTS_DIR / 'fifo.xml'])
def test_a_fifo_under_the_home_is_a_problem_not_a_hang(scene, where):
    home, _vault = scene
    (home / where).parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(home / where)
    endpoint(home, 'byfile', '$FILE:port')  # so that file.properties is needed
    args = {'jvm_args': '-Dproperties.file.path=default'}
    for result in (plan(home, **args), run_module('audit_info', {'instances': [dict(name='mi', home=str(home), **args)],
                                                                 'discover': False})):
        assert 'traceback' not in json.dumps(result).lower()
    if where != 'updates/product.txt':  # a version file that is no regular file is passed over: version unknown
        assert 'is a FIFO (named pipe), not a regular file' in json.dumps(result), result


def test_file_properties_linked_to_an_endless_device_is_refused(scene):
    home, _vault = scene
    os.symlink('/dev/zero', home / 'conf' / 'file.properties')  # even a link root made leads to no device
    endpoint(home, 'byfile', '$FILE:port')
    result = plan(home, jvm_args='-Dproperties.file.path=default')
    assert 'is a character device, not a regular file' in json.dumps(result), result


def test_capp_bombs_are_bounded_in_bytes_and_entries(scene, tmp_path, capsys):
    """A nested CApp whose dependencies/ members unpack to 2 x 2 GiB, and a CApp of 600,000 entries: each a
    problem naming the file, with TMPDIR a 96 MiB tmpfs that must not fill and memory that stays small."""
    home, _vault = scene
    plain = make_capp(tmp_path / 'plain.car', 'bomb', endpoints=[
        ('ok', endpoint_xml('ok', parameters={'inbound.http.port': '8085'}))])
    bomb = raw_zip(home / CAPPS_DIR / 'bomb.car', capp_members(plain) + [
        zeros('dependencies/%s.car' % name, 2 << 30) for name in ('a', 'b')])
    crowded_zip(home / CAPPS_DIR / 'crowded.car', 600000)
    chown_tree(home)
    scratch = tmp_path / 'tmpfs'
    scratch.mkdir()
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=96m', 'tmpfs', str(scratch)], check=True)
    try:
        started = time.monotonic()
        result, peak = measured('audit_info', {'instances': [{'name': 'mi', 'home': str(home)}], 'discover': False},
                                {'TMPDIR': str(scratch)})
        seconds = time.monotonic() - started
        used = shutil.disk_usage(scratch).used
    finally:
        subprocess.run(['umount', str(scratch)], check=True)
    with capsys.disabled():
        print('\nCApp bombs: %.1f s, TMPDIR after %d bytes, peak child RSS %d MiB, bomb %d MB on disk'
              % (seconds, used, peak // 1024, os.path.getsize(bomb) // 1000000))
    text = json.dumps(result)
    assert 'bomb.car!dependencies/a.car unpacks to more than 64 MiB; refused' in text, text
    assert 'crowded.car holds 600000 entries, more than the 20000 read here; refused' in text, text
    assert 'inbound.ok' in text  # the bomb's own endpoint is still read
    assert used < 1 << 20 and peak < 200 * 1024


# Runs one module in a process of its own and prints its result and the peak RSS of that run alone (KiB).
MEASURE = '''
import json, resource, sys
sys.path.insert(0, sys.argv[1])
from helpers.runner import run_module
result = run_module(sys.argv[2], json.loads(sys.argv[3]))
print(json.dumps([result, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))
'''


def measured(module, args, env):
    proc = subprocess.run([sys.executable, '-c', MEASURE, str(TESTS), module, json.dumps(args)], capture_output=True,
                          text=True, env=dict(os.environ, **env), timeout=600, check=True)
    return json.loads(proc.stdout)


@pytest.mark.parametrize('where', ['toml string', 'toml integer', 'endpoint'])
def test_a_port_of_4301_digits_is_a_problem_not_a_traceback(scene, where):
    home, _vault = scene
    digits = '9' * 4301
    if where == 'endpoint':
        endpoint(home, 'long', digits)
    else:
        value = '"%s"' % digits if where == 'toml string' else digits
        (home / 'conf' / 'deployment.toml').write_text(HOME_TOML.replace('8280', value))
    path = str(home / 'conf' / 'deployment.toml')
    results = [plan(home), audit(home, discover=False), run_module('deployment_toml_info', {'path': path})]
    if where != 'endpoint':
        results.append(run_module('deployment_toml', {'path': path, 'offset': 3}, check=True))
    else:
        results.pop()  # deployment_toml_info reads deployment.toml only
    # A TOML integer beyond 64 bits is no valid TOML: the parser refuses the file; a string or an endpoint's text is
    # refused as a port without being converted.
    expected = 'Invalid number' if where == 'toml integer' else 'a text of 4301 characters'
    for result in results:
        text = json.dumps(result)
        assert 'Traceback' not in text and digits not in text, text[:2000]
        assert expected in text, text[:3000]


def test_names_with_control_characters_are_refused(scene):
    home, _vault = scene
    result = run_module('instances', {'instances': [{'name': 'a\n', 'home': str(home)}], 'check_listeners': False},
                        check=True)
    assert result['failed'] is True and "instance name 'a\\n' must be letters, digits, _ and -" in result['msg']
    path = home / ENDPOINTS_DIR / 'smuggled.xml'
    path.write_text(endpoint_xml('x&#10;y', parameters={'inbound.http.port': '8085'}))
    result = plan(home)
    assert "the inbound endpoint's name holds a control character" in json.dumps(result), result
    assert 'x\\ny' not in json.dumps(result)
