"""pytest set-up for tests/unit and tests/functional: Ansible's collection loader, the shared fixtures and
the hypothesis profiles."""

import os

import pytest
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

from helpers.runner import COLLECTIONS, run_module

# Ansible's own collection loader (as ansible-test units uses it) serves ansible_collections.*,
# so imports here and filter lookups by FQCN in Jinja see the same collection.
_AnsibleCollectionFinder(paths=[str(COLLECTIONS)])._install()


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
