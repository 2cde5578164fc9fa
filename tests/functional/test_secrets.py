"""Secrets: no password, secret or token of deployment.toml ever appears in what the collection
prints: module results, diffs, error messages, or `ansible-playbook -vvv` logs. Proved over the
corpus of real MI files (the tests skip when the corpus folder is absent; under CI=true they fail).

The modules only ever return the values of the port keys and the offset, and refuse any key that names a
secret. The options that can carry secrets (environment, jvm_args) are no_log: test_secret_options.py.
"""

import contextlib
import io
import re
import shutil
import tomllib

import pytest

from helpers.runner import INVALID_CORPUS_FILE, ansible, corpus_files
from helpers.core_versions import patch_module_args

from ansible_collections.wso2ops.micro_integrator.plugins.modules import deployment_toml, deployment_toml_info

FILES = corpus_files()
pytestmark = pytest.mark.skipif(not FILES, reason='corpus folder ../shared/corpus/wso2-micro-integrator is absent')

# A key holds a secret when its last part ends like one: password, key_password, keyStorePassword,
# rootToken... (password_java_regex or token_config.expiry are settings, not secrets).
SECRET_KEY = re.compile(r'(passw(or)?d|secret|token|passphrase|credentials?|pwd)$', re.IGNORECASE)
# The same, on the lines of the one corpus file that is not TOML (it cannot be parsed).
SECRET_LINE = re.compile(r'''^\s*(?:[\w-]+\.)*([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')''', re.MULTILINE)


def walk(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, path + (key,))
    elif isinstance(node, list):
        for item in node:
            yield from walk(item, path)
    else:
        yield path, node


def secrets_and_names(text):
    """(secret values, key and table names) of one file."""
    try:
        leaves = list(walk(tomllib.loads(text)))
    except tomllib.TOMLDecodeError:
        leaves = [((m.group(1),), m.group(2) if m.group(2) is not None else m.group(3))
                  for m in SECRET_LINE.finditer(text)]
    values = set(value for path, value in leaves if isinstance(value, str) and SECRET_KEY.search(path[-1]))
    return values, set(part.lower() for path, _value in leaves for part in path)


def corpus_secrets():
    values, names = set(), set()
    for path in FILES:
        file_values, file_names = secrets_and_names(path.read_text())
        values |= file_values
        names |= file_names
    return values, names


ALL_SECRETS, KEY_NAMES = corpus_secrets() if FILES else (set(), set())


def worth_looking_for(value):
    """Leave out values that would show up for reasons that have nothing to do with the file: shorter
    than 6 characters ('admin', 'root', 'wso2', 'guest', '': 'root' is the user -vvv names, 'wso2' is
    in the collection's name) or found inside a key name ('password' is a value and a key name, and error
    messages quote key names). The canary tests below replace every secret, short or not, with a unique
    marker, so nothing is left unchecked."""
    return len(value) >= 6 and not any(value.lower() in name for name in KEY_NAMES)


SECRETS = sorted(value for value in ALL_SECRETS if worth_looking_for(value))


def test_the_corpus_has_the_secrets_this_file_looks_for():
    """Guard against a vacuous pass: the scan would prove nothing with no secret to look for."""
    assert {'wso2carbon', 'qazwsx', 'mailpassword', '$secret{rabbit_pwd}', 'KEY_STORE_PASSWORD'} <= set(SECRETS)
    assert 'password' in ALL_SECRETS and 'password' not in SECRETS


def leaked(text, secrets=SECRETS):
    return sorted(secret for secret in secrets if secret in text)


def canary_copy(source, target):
    """The file with every secret value replaced by a unique marker; returns the markers."""
    text = source.read_text()
    values, _names = secrets_and_names(text)
    markers = []
    for number, value in enumerate(sorted(values)):
        marker = 'Canary%04dZ' % number
        for quote in '"\'':
            text = text.replace('%s%s%s' % (quote, value, quote), '%s%s%s' % (quote, marker, quote))
        markers.append(marker)
    target.write_text(text)
    return markers


def run_in_process(module, args, check=False, diff=False):
    """Everything a module prints (its JSON result with the diff, and any warning), run in this process."""
    out, err = io.StringIO(), io.StringIO()
    with patch_module_args(dict(args, _ansible_check_mode=check, _ansible_diff=diff)):
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), pytest.raises(SystemExit):
            module.main()
    return out.getvalue() + err.getvalue()


def edits(path):
    """Runs that change keys, show a diff, remove a key, fail on bad input, and read the ports."""
    common = {'path': str(path)}
    change = dict(common, offset=3, ports={'http': 8281, 'https': None, 'transport.tcp.listener.port': 8500})
    return [
        (deployment_toml, change, True, True),
        (deployment_toml, change, False, True),
        (deployment_toml, change, False, True),  # the no-op re-run
        (deployment_toml, dict(common, ports={'keystore.primary.password': 1}), False, True),
        (deployment_toml, dict(common, ports={'http': 0}), False, True),
        (deployment_toml, dict(common, ports={'transport.http.listener.port': 8243}), False, True),
        (deployment_toml_info, dict(common, jvm_args='-DportOffset=4'), False, False),
    ]


@pytest.mark.parametrize('source', FILES, ids=[path.name[-60:] for path in FILES])
def test_module_output_and_diff_never_show_a_secret(tmp_path, source):
    path = tmp_path / 'deployment.toml'
    shutil.copyfile(source, path)
    printed = ''.join(run_in_process(*run) for run in edits(path))
    assert '"changed"' in printed
    assert leaked(printed) == []
    if source.name == INVALID_CORPUS_FILE:
        assert 'invalid TOML at line 992' in printed


@pytest.mark.parametrize('source', FILES, ids=[path.name[-60:] for path in FILES])
def test_canary_secrets_never_show_in_module_output(tmp_path, source):
    """Every secret, however short, replaced by a marker that cannot appear for any other reason."""
    path = tmp_path / 'deployment.toml'
    markers = canary_copy(source, path)
    printed = ''.join(run_in_process(*run) for run in edits(path))
    assert '"changed"' in printed and 'Canary' not in printed
    assert all(marker in path.read_text() for marker in markers), 'the edit lost a secret'


def distinct_secret_files():
    """One file per distinct set of secrets (the corpus repeats the shipped keystore block a lot)."""
    seen, chosen = set(), []
    for path in FILES:
        values = frozenset(secrets_and_names(path.read_text())[0])
        if values and values not in seen:
            seen.add(values)
            chosen.append(path)
    return chosen


PLAYBOOK = '''
- name: Edit copies of MI files that hold passwords
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Change ports, with a diff
      wso2ops.micro_integrator.deployment_toml:
        path: "{{ item }}"
        offset: 3
        ports: {http: 8281, https: null, transport.tcp.listener.port: 8500}
      loop: "{{ files }}"
      diff: true
      failed_when: false
    - name: Ask for a secret key, refused
      wso2ops.micro_integrator.deployment_toml:
        path: "{{ item }}"
        ports: {keystore.primary.password: 1234}
      loop: "{{ files }}"
      failed_when: false
    - name: Read the ports
      wso2ops.micro_integrator.deployment_toml_info:
        path: "{{ item }}"
      loop: "{{ files }}"
      failed_when: false
'''


def unwrapped(log):
    """The log as one line per record: the YAML result format folds long strings at spaces."""
    return re.sub(r'\n\s+', ' ', log)


def test_vvv_logs_never_show_a_secret(tmp_path):
    """One ansible-playbook -vvv --diff run over a copy of each file with its own secrets, and a canary
    copy of each; nothing of either may appear in the log."""
    files, markers = [], []
    for number, source in enumerate(distinct_secret_files()):
        real, canary = tmp_path / ('%02d-real.toml' % number), tmp_path / ('%02d-canary.toml' % number)
        shutil.copyfile(source, real)
        markers += canary_copy(source, canary)
        files += [str(real), str(canary)]
    (tmp_path / 'play.yml').write_text(PLAYBOOK)
    rc, log = ansible(tmp_path, 'ansible-playbook', '-vvv', '--diff', 'play.yml', '-e',
                      '{"files": %s}' % str(files).replace("'", '"'))
    assert rc == 0, log[-3000:]
    # The runs did what they should: changes, the refused secret key, the refused invalid file.
    flat = unwrapped(log)
    assert 'changed: true' in flat and "keystore.primary.password'' names a secret, not a port" in flat
    assert 'invalid TOML at line 992' in flat and markers
    assert leaked(log) == [] and leaked(flat) == []
    assert leaked(log, markers) == [] and 'Canary' not in log


def test_the_log_scan_finds_secrets_that_are_printed(tmp_path):
    """Control: when a task does print the file, the same scan of the same kind of log finds them."""
    source = distinct_secret_files()[0]
    path = tmp_path / 'deployment.toml'
    shutil.copyfile(source, path)
    rc, log = ansible(tmp_path, 'ansible', 'localhost', '-vvv', '-m', 'ansible.builtin.command', '-a',
                      'cat %s' % path)
    assert rc == 0 and leaked(log), log[-3000:]
