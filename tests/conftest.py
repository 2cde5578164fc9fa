"""pytest set-up for tests/unit and tests/functional: Ansible's collection loader, the shared fixtures, the
hypothesis profiles, and no skip under CI=true."""

import os

import pytest
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

from helpers.runner import COLLECTIONS, run_module

# Ansible's own collection loader (as ansible-test units uses it) serves ansible_collections.*,
# so imports here and filter lookups by FQCN in Jinja see the same collection.
_AnsibleCollectionFinder(paths=[str(COLLECTIONS)])._install()


# Under CI=true a test that lacks a permission, a tool or its data fails with the reason: a skip would read as
# "passed" in CI, and CI runs as root with every tool tests/install-packages.sh installs. Elsewhere it skips.
UNDER_CI = os.environ.get('CI', '').lower() in ('true', '1', 'yes')


def _fail_a_skip(report):
    if UNDER_CI and report.skipped and not hasattr(report, 'wasxfail'):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = 'failed'
        report.longrepr = 'CI=true: this test would have been skipped, so it fails: %s' % reason


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_a_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _fail_a_skip(outcome.get_result())


@pytest.fixture
def module_runner(tmp_path):
    def runner(name, args, **kwargs):
        return run_module(name, args, tmp_path=tmp_path, **kwargs)
    return runner


# Hypothesis profiles (tests/unit/plugins/module_utils/toml/test_engine_fuzz.py): `ci`, 1,000 generated documents per run, is the
# default of the test command; `nightly`, 20,000, is selected with HYPOTHESIS_PROFILE=nightly.
# No deadline: the time of one example depends on the machine's load, not on the code.
def _load_hypothesis_profile():
    from hypothesis import HealthCheck, settings
    for name, examples in (('ci', 1000), ('nightly', 20000)):
        settings.register_profile(name, max_examples=examples, deadline=None,
                                  suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile(os.environ.get('HYPOTHESIS_PROFILE', 'ci'))


_load_hypothesis_profile()
