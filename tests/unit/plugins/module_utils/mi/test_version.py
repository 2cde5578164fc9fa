"""The MI version of a home and what it decides: /liveness, graceful shutdown, nested CApps."""

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.version import (
    features,
    parse_version,
    read_version,
)


def test_the_version_is_read_from_updates_product_txt_then_bin_version_txt(tmp_path):
    assert read_version(str(tmp_path)) == (None, None)
    (tmp_path / 'bin').mkdir()
    (tmp_path / 'bin' / 'version.txt').write_text('WSO2 Micro Integrator v4.1.0\n')
    assert read_version(str(tmp_path)) == ((4, 1, 0), str(tmp_path / 'bin' / 'version.txt'))
    (tmp_path / 'updates').mkdir()
    (tmp_path / 'updates' / 'product.txt').write_text('wso2mi-4.5.0')
    assert read_version(str(tmp_path)) == ((4, 5, 0), str(tmp_path / 'updates' / 'product.txt'))
    assert parse_version('no version') is None


@pytest.mark.parametrize('version, config, expected', [
    ((4, 0, 0), {}, ('4.0.0', False, 0, False, False)),
    ((4, 1, 0), {}, ('4.1.0', False, 0, True, False)),
    ((4, 2, 0), {}, ('4.2.0', True, 0, True, False)),
    ((4, 5, 0), {}, ('4.5.0', True, 180, True, True)),
    ((4, 6, 0), {'server': {'graceful_shutdown_timeout': '45500'}}, ('4.6.0', True, 46, True, True)),
    ((4, 6, 0), {'server': {'graceful_shutdown_timeout': 20000}}, ('4.6.0', True, 20, True, True)),
    ((4, 6, 0), {'server': {'graceful_shutdown_enabled': False}}, ('4.6.0', True, 0, True, True)),
    ((4, 6, 0), {'server': {'graceful_shutdown_timeout': 'x'}}, ('4.6.0', True, 180, True, True)),
    (None, {}, (None, False, 180, True, True)),
])
def test_features_per_version(version, config, expected):
    found = features(version, config)
    assert (found['mi_version'], found['liveness'], found['graceful_shutdown_timeout'], found['httpws'],
            found['nested_capps']) == expected
