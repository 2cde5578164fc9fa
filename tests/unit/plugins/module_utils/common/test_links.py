"""The link rule, on real links in a temporary folder (as root, links are handed to another account with lchown)."""

import os

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.links import (
    LinkRefused,
    trusted_path,
    walk,
)

as_root = pytest.mark.skipif(os.geteuid() != 0, reason='handing a link to another account needs root')


@pytest.fixture
def tree(tmp_path):
    (tmp_path / 'real' / 'conf').mkdir(parents=True)
    (tmp_path / 'real' / 'conf' / 'deployment.toml').write_text('x = 1\n')
    return tmp_path


def test_walk_resolves_like_realpath(tree):
    (tree / 'home').symlink_to('real')
    (tree / 'real' / 'up').symlink_to('../real/conf')
    for path in ('home/conf/deployment.toml', 'real/up/deployment.toml', 'home/up/../conf/deployment.toml',
                 'real/conf/./deployment.toml', 'home/conf/missing.toml'):
        real, _links, dangling = walk(str(tree / path))
        assert real == os.path.realpath(str(tree / path)) and dangling is False, path


def test_walk_names_each_link_and_its_owner(tree):
    (tree / 'home').symlink_to(tree / 'real')
    (tree / 'file').symlink_to('home/conf/deployment.toml')
    real, links, _dangling = walk(str(tree / 'file'))
    assert real == str(tree / 'real' / 'conf' / 'deployment.toml')
    assert links == [(str(tree / 'file'), os.geteuid()), (str(tree / 'home'), os.geteuid())]


def test_a_link_to_nothing_is_dangling_a_missing_file_behind_a_linked_folder_is_not(tree):
    (tree / 'dangling').symlink_to('real/conf/nothing.toml')
    (tree / 'home').symlink_to('real')
    assert walk(str(tree / 'dangling'))[2] is True
    assert walk(str(tree / 'home' / 'conf' / 'new.toml'))[2] is False
    with pytest.raises(LinkRefused, match='which does not exist; the module does not create a file through a link'):
        trusted_path(str(tree / 'dangling'))


def test_a_loop_is_refused(tree):
    (tree / 'a').symlink_to('b')
    (tree / 'b').symlink_to('a')
    with pytest.raises(LinkRefused, match='too many levels of symbolic links'):
        walk(str(tree / 'a'))


@as_root
def test_a_link_of_another_account_to_a_file_it_does_not_own_is_refused(tree):
    link = tree / 'planted'
    link.symlink_to(tree / 'real' / 'conf' / 'deployment.toml')
    os.lchown(link, 65534, 65534)
    with pytest.raises(LinkRefused, match=r'planted is a symbolic link owned by nobody \(uid 65534\) that leads to '):
        trusted_path(str(link))
    os.chown(tree / 'real' / 'conf' / 'deployment.toml', 65534, 65534)  # its own file: followed
    assert trusted_path(str(link)) == str(tree / 'real' / 'conf' / 'deployment.toml')
