"""The walk and the link rule, on real links in a temporary folder (as root, links are handed to another account
with lchown). The walk opens folder after folder and lets the kernel follow no link: what it ends at is an open
folder and a name in it."""

import os

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.links import (
    LinkRefused,
    check_links,
    refuse_dangling,
    walk,
)

as_root = pytest.mark.skipif(os.geteuid() != 0, reason='handing a link to another account needs root')


@pytest.fixture
def tree(tmp_path):
    (tmp_path / 'real' / 'conf').mkdir(parents=True)
    (tmp_path / 'real' / 'conf' / 'deployment.toml').write_text('x = 1\n')
    return tmp_path


def walked(path, **kwargs):
    found = walk(path, **kwargs)
    os.close(found.folder_fd)
    return found


def test_walk_resolves_like_realpath(tree):
    (tree / 'home').symlink_to('real')
    (tree / 'real' / 'up').symlink_to('../real/conf')
    for path in ('home/conf/deployment.toml', 'real/up/deployment.toml', 'home/up/../conf/deployment.toml',
                 'real/conf/./deployment.toml', 'home/conf/missing.toml', 'home/conf', 'home/up'):
        found = walked(str(tree / path))
        assert found.path == os.path.realpath(str(tree / path)) and found.tail_link is (path == 'home/up'), path


def test_walk_ends_in_an_open_folder_that_stays_the_same_folder(tree):
    found = walk(str(tree / 'real' / 'conf' / 'deployment.toml'))
    os.rename(tree / 'real', tree / 'moved')
    os.mkdir(tree / 'real')
    try:  # the descriptor still names the folder it walked to, wherever it was moved
        moved = tree / 'moved' / 'conf' / 'deployment.toml'
        assert os.stat(found.name, dir_fd=found.folder_fd).st_ino == os.stat(moved).st_ino
    finally:
        os.close(found.folder_fd)


def test_walk_names_each_link_and_its_owner(tree):
    (tree / 'home').symlink_to(tree / 'real')
    (tree / 'file').symlink_to('home/conf/deployment.toml')
    found = walked(str(tree / 'file'))
    assert found.path == str(tree / 'real' / 'conf' / 'deployment.toml')
    assert found.links == [(str(tree / 'file'), os.geteuid()), (str(tree / 'home'), os.geteuid())]


def test_a_relative_walk_starts_in_the_folder_given_and_climbs_and_jumps_as_the_kernel_does(tree):
    (tree / 'real' / 'conf' / 'absolute').symlink_to(tree / 'real' / 'conf' / 'deployment.toml')
    start = os.open(str(tree / 'real' / 'conf'), os.O_RDONLY | os.O_DIRECTORY)
    try:
        climbed = walked('../../real/conf/deployment.toml', start_fd=start, start=str(tree / 'real' / 'conf'))
        jumped = walked('absolute', start_fd=start, start=str(tree / 'real' / 'conf'))
    finally:
        os.close(start)
    assert climbed.path == jumped.path == str(tree / 'real' / 'conf' / 'deployment.toml')
    assert climbed.info is not None and jumped.links == [(str(tree / 'real' / 'conf' / 'absolute'), os.geteuid())]


def test_a_link_to_nothing_is_dangling_a_missing_file_behind_a_linked_folder_is_not(tree):
    (tree / 'dangling').symlink_to('real/conf/nothing.toml')
    (tree / 'home').symlink_to('real')
    found = walked(str(tree / 'dangling'))
    assert found.info is None and found.tail_link
    assert not walked(str(tree / 'home' / 'conf' / 'new.toml')).tail_link
    with pytest.raises(LinkRefused, match='which does not exist; the module does not create a file through a link'):
        refuse_dangling(str(tree / 'dangling'), found)


def test_a_loop_is_refused(tree):
    (tree / 'a').symlink_to('b')
    (tree / 'b').symlink_to('a')
    with pytest.raises(OSError, match='too many levels of symbolic links'):
        walk(str(tree / 'a'))


@as_root
def test_a_link_of_another_account_to_a_file_it_does_not_own_is_refused(tree):
    link = tree / 'planted'
    link.symlink_to(tree / 'real' / 'conf' / 'deployment.toml')
    os.lchown(link, 65534, 65534)
    found = walked(str(link))
    with pytest.raises(LinkRefused, match=r'planted is a symbolic link owned by nobody \(uid 65534\) that leads to '):
        check_links(found, found.info.st_uid)
    os.chown(tree / 'real' / 'conf' / 'deployment.toml', 65534, 65534)  # its own file: followed
    found = walked(str(link))
    check_links(found, found.info.st_uid)
