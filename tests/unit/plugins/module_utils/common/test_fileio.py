"""Reading and replacing files: regular files only, a size limit before reading, the check that the file is
still what was read, and the modes of new and replaced files. Real files in a temporary folder."""

import os
import stat

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common import fileio


def test_read_keeps_the_bytes_and_what_it_read(tmp_path):
    path = tmp_path / 'deployment.toml'
    path.write_bytes(b'\xef\xbb\xbfa = 1\r\n')
    snapshot = fileio.read(str(path))
    assert snapshot.data == b'\xef\xbb\xbfa = 1\r\n' and snapshot.text == '\ufeffa = 1\r\n'
    assert snapshot.path == str(path) and snapshot.info.st_ino == os.stat(path).st_ino
    snapshot.check_unchanged()


@pytest.mark.parametrize('change', ['rewritten in place, same size', 'replaced', 'removed'])
def test_a_file_changed_since_it_was_read_is_noticed(tmp_path, change):
    path = tmp_path / 'deployment.toml'
    path.write_text('a = 1\n')
    snapshot = fileio.read(str(path))
    if change == 'removed':
        path.unlink()
    elif change == 'replaced':
        (tmp_path / 'new').write_text('a = 1\n')
        os.rename(tmp_path / 'new', path)  # same bytes, another file
    else:
        with open(path, 'r+') as handle:
            handle.write('a = 2\n')
    with pytest.raises(fileio.FileProblem, match='was changed by another program while this run planned its edit'):
        snapshot.check_unchanged()


def test_the_size_limit_is_checked_before_reading(tmp_path):
    path = tmp_path / 'big.toml'
    with open(path, 'wb') as handle:
        handle.truncate(fileio.MAX_BYTES + 1)
    with pytest.raises(fileio.FileProblem, match=r'is 4194305 bytes, more than the 4194304 bytes \(4 MiB\)'):
        fileio.read(str(path))
    assert fileio.read(str(path), limit=fileio.MAX_BYTES + 1).data == b'\0' * (fileio.MAX_BYTES + 1)


def test_a_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / 'env'
    os.mkfifo(fifo)
    with pytest.raises(fileio.FileProblem, match=r'is a FIFO \(named pipe\), not a regular file'):
        fileio.read_environment_file(str(fifo))


def test_a_missing_environment_file_says_so(tmp_path):
    with pytest.raises(fileio.FileProblem, match='^No such file or directory$'):
        fileio.read_environment_file(str(tmp_path / 'none.env'))


@pytest.mark.parametrize('umask', [0o077, 0o000, 0o022])
def test_new_files_get_the_mode_asked_and_replaced_files_keep_theirs(tmp_path, umask):
    existing = tmp_path / 'old'
    existing.write_text('old\n')
    os.chmod(existing, 0o640)
    previous = os.umask(umask)
    try:
        fileio.write_atomic(None, str(tmp_path / 'new'), 'new\n', mode=0o644)
        fileio.write_atomic(None, str(tmp_path / 'default'), 'new\n')
        fileio.write_atomic(None, str(existing), 'replaced\n', mode=0o644)
    finally:
        os.umask(previous)
    modes = dict((name, stat.S_IMODE(os.stat(tmp_path / name).st_mode)) for name in ('new', 'default', 'old'))
    assert modes == {'new': 0o644, 'default': 0o666 & ~umask, 'old': 0o640}
    assert existing.read_text() == 'replaced\n' and sorted(os.listdir(tmp_path)) == ['default', 'new', 'old']


def test_a_refused_validation_leaves_the_file_and_no_temporary_file(tmp_path):
    path = tmp_path / 'rules.nft'
    path.write_text('old\n')

    def refuse(temp):
        assert open(temp).read() == 'new\n'
        raise fileio.FileProblem('refused')
    with pytest.raises(fileio.FileProblem, match='refused'):
        fileio.write_atomic(None, str(path), 'new\n', validate=refuse)
    assert path.read_text() == 'old\n' and os.listdir(tmp_path) == ['rules.nft']
