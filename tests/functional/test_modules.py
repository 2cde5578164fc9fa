"""The modules run for real, as processes, on temp files: changed -> unchanged -> check -> diff -> undo."""

import json
import os
import subprocess
import sys
import venv

import pytest

from helpers.runner import COLLECTIONS, REPO

SAMPLE = ('[server]\nhostname = "localhost"\n# offset  = 10\n\n'
          '[keystore.primary]\npassword = "wso2carbon"\n\n'
          '[transport.http]\nlistener.port = "8280"   # pass-through\n')


@pytest.fixture
def conf(tmp_path):
    path = tmp_path / 'conf' / 'deployment.toml'
    path.parent.mkdir()
    path.write_text(SAMPLE)
    return path


def test_change_then_no_change_then_undo(conf, module_runner):
    first = module_runner('deployment_toml', {'path': str(conf), 'offset': 3, 'ports': {'http': 8281}})
    assert first['changed'] is True, first
    assert first['effective_ports'] == {'http': 8284, 'https': 8246, 'management_http': 9194, 'management_https': 9157}
    assert first['changes'] == [{'key': 'transport.http.listener.port', 'before': '8280', 'after': '8281'},
                                {'key': 'server.offset', 'before': None, 'after': 3}]
    assert conf.read_text() == SAMPLE.replace('# offset  = 10\n', '# offset  = 10\noffset = 3\n').replace(
        '"8280"', '"8281"')
    again = module_runner('deployment_toml', {'path': str(conf), 'offset': 3, 'ports': {'http': 8281}})
    assert again['changed'] is False and again['changes'] == []
    undo = module_runner('deployment_toml', {'path': str(conf), 'offset': 10, 'ports': {'http': '8280'}})
    assert undo['changed'] is True and undo['effective_ports']['http'] == 8290
    assert module_runner('deployment_toml', {'path': str(conf), 'offset': 10, 'ports': {'http': 8280}})['changed'] is False


def test_check_mode_reports_and_writes_nothing(conf, module_runner):
    stat_before = os.stat(conf)
    result = module_runner('deployment_toml', {'path': str(conf), 'offset': 5}, check=True, diff=True)
    assert result['changed'] is True and result['offset'] == 5
    assert result['diff']['prepared'].endswith('\n@@ -3,0 +4 @@\n+offset = 5\n')
    assert conf.read_text() == SAMPLE and os.stat(conf).st_mtime_ns == stat_before.st_mtime_ns


def test_diff_never_shows_other_lines(conf, module_runner):
    result = module_runner('deployment_toml', {'path': str(conf), 'ports': {'https': 8244}}, diff=True)
    assert [line for line in result['diff']['prepared'].splitlines() if line[:1] in '+-@'][2:] == [
        '@@ -9,0 +10 @@', '+listener.secured_port = 8244']
    assert 'wso2carbon' not in json.dumps(result)


def test_backup_and_mode_owner_are_kept(conf, module_runner):
    os.chmod(conf, 0o640)
    os.chown(conf, 1234, 2345)
    result = module_runner('deployment_toml', {'path': str(conf), 'offset': 2, 'backup': True})
    assert result['changed'] and open(result['backup_file']).read() == SAMPLE
    stat = os.stat(conf)
    assert (stat.st_mode & 0o777, stat.st_uid, stat.st_gid) == (0o640, 1234, 2345)


def test_symlink_is_followed_and_kept(conf, tmp_path, module_runner):
    link = tmp_path / 'link.toml'
    link.symlink_to(conf)
    result = module_runner('deployment_toml', {'path': str(link), 'offset': 4})
    assert result['changed'] and result['path'] == str(conf)
    assert link.is_symlink() and 'offset = 4' in conf.read_text()


def test_missing_file_fails_or_is_created(tmp_path, module_runner):
    missing = tmp_path / 'nope.toml'
    failed = module_runner('deployment_toml', {'path': str(missing), 'offset': 4})
    assert failed['failed'] and 'does not exist' in failed['msg'] and 'create=true' in failed['msg']
    assert not missing.exists()
    assert module_runner('deployment_toml', {'path': str(missing), 'offset': 4, 'create': True},
                         check=True)['changed'] and not missing.exists()
    created = module_runner('deployment_toml', {'path': str(missing), 'offset': 4, 'create': True})
    assert created['changed'] and missing.read_text() == '[server]\noffset = 4\n'


@pytest.mark.parametrize('args, fragment', [
    ({'offset': 65600}, 'above 65535'),
    ({'ports': {'http': 0}}, 'transport.http.listener.port is 0'),
    ({'ports': {'keystore.primary.password': 1}}, 'names a secret, not a port'),
])
def test_bad_input_fails_and_leaves_the_file(conf, module_runner, args, fragment):
    result = module_runner('deployment_toml', dict(args, path=str(conf)))
    assert result['failed'] and fragment in result['msg'] and result['changed'] is False
    assert conf.read_text() == SAMPLE


def test_info_module_reports_sources_and_defaults(conf, module_runner):
    info = module_runner('deployment_toml_info', {'path': str(conf)})
    assert (info['offset'], info['offset_source']) == (10, 'default')
    assert info['set_in_file'] == {'offset': False, 'http': True, 'https': False,
                                   'management_http': False, 'management_https': False}
    module_runner('deployment_toml', {'path': str(conf), 'offset': 3})
    jvm = module_runner('deployment_toml_info', {'path': str(conf), 'jvm_args': '-Xmx1g -DportOffset=7'})
    assert (jvm['offset'], jvm['offset_source'], jvm['effective_ports']['http']) == (7, 'jvm', 8287)
    assert jvm['ports']['management_http']['port'] == 9198
    assert module_runner('deployment_toml_info', {'path': str(conf)})['offset_source'] == 'file'
    assert 'wso2carbon' not in json.dumps(jvm)


@pytest.mark.parametrize('jvm_args, offset', [(['-Xmx1g', '-DportOffset=5'], 5), ('-Xmx1g -DportOffset=6', 6)])
def test_info_module_takes_jvm_args_as_a_list(conf, module_runner, jvm_args, offset):
    info = module_runner('deployment_toml_info', {'path': str(conf), 'jvm_args': jvm_args})
    assert (info['offset'], info['offset_source'], info['ports']['http']['port']) == (offset, 'jvm', 8280 + offset)


def test_info_module_refuses_jvm_args_it_cannot_read(conf, module_runner):
    info = module_runner('deployment_toml_info', {'path': str(conf), 'jvm_args': {'portOffset': 5}})
    assert info['failed'] is True and "jvm_args is {'portOffset': 5}; give a string" in info['msg']


def test_info_module_resolves_placeholders_from_the_environment(tmp_path, module_runner):
    path = tmp_path / 'deployment.toml'
    path.write_text('[server]\noffset = "$env{MI_OFFSET}"\n[transport.http]\nlistener.enable = "$env{HTTP_ON}"\n')
    unknown = module_runner('deployment_toml_info', {'path': str(path)})
    assert (unknown['offset'], unknown['offset_source'], unknown['ports']['http']['port']) == (None, 'env', None)
    assert unknown['ports']['http']['enabled'] is None and unknown['problems'] == []
    known = module_runner('deployment_toml_info', {'path': str(path), 'environment': {'MI_OFFSET': '2', 'HTTP_ON': 'false'}})
    assert (known['offset'], known['ports']['http']['port'], known['ports']['http']['enabled']) == (2, 8282, False)


def test_missing_tomlkit_names_the_package(conf, tmp_path):
    bare = tmp_path / 'bare-python'
    venv.EnvBuilder(with_pip=False).create(bare)
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), 'ansible'), 'localhost', '-m',
         'wso2ops.micro_integrator.deployment_toml', '-a', 'path=%s offset=3' % conf,
         '-e', 'ansible_python_interpreter=%s' % (bare / 'bin' / 'python')],
        capture_output=True, text=True, timeout=120, check=False,
        env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_CONFIG=str(REPO / 'ansible.cfg')))
    assert proc.returncode != 0
    # Folded the same way by every ansible-core's YAML output (2.16 wraps long strings).
    assert 'needs the Python library tomlkit, which the interpreter %s cannot import' % (bare / 'bin' / 'python') \
        in ' '.join(proc.stdout.split()), proc.stdout
    assert conf.read_text() == SAMPLE
