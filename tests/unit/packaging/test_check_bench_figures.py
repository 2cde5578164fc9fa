"""make lint's check that every performance figure in the docs comes from a results file of make bench."""

import importlib.util
import json

import pytest

from helpers.runner import REPO

SPEC = importlib.util.spec_from_file_location('check_bench_figures', REPO / 'tests' / 'packaging' / 'check_bench_figures.py')
check_bench_figures = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(check_bench_figures)

RESULTS = {'command': 'make bench BENCH_ARGS="--figures"', 'started': '2026-12-08T04:00:00+00:00', 'commit': 'abc',
           'targets': [{'target': 'fleet re-run <= 1.0x two pings', 'measured': '0.88x (rounds: 0.87 0.90)',
                        'pass': True, 'why': [], 'source': 'fleet.runs'},
                       {'target': 'podman firewalld <= 0.7x two pings', 'measured': '0.83x', 'pass': False,
                        'why': ['over the target'], 'source': 'podman'}]}


@pytest.fixture
def results(tmp_path, monkeypatch):
    folder = tmp_path / 'tests' / 'bench' / 'results'
    folder.mkdir(parents=True)
    (folder / '2026-12-08.json').write_text(json.dumps(RESULTS))
    monkeypatch.chdir(tmp_path)
    return 'tests/bench/results/2026-12-08.json'


def errors(text):
    found = []
    check_bench_figures.check(text, 'README.md', found)
    return found


def test_figures_of_the_cited_file_and_its_exact_table_pass(results):
    table = check_bench_figures.table(RESULTS, results)
    assert 'MISS' in table and '0.83x' in table and '0.88x' in table
    assert errors('fleet 0.88x, target 1.0x (%s)\n<!-- bench-table: %s -->\n%s<!-- /bench-table -->\n'
                  % (results, results, table)) == []


@pytest.mark.parametrize('text, fragment', [
    ('the fleet costs 0.88x two pings', 'cite no results file'),
    ('the fleet costs 0.91x two pings (tests/bench/results/2026-12-08.json)', '0.91x is in none of'),
    ('+12% at N=500 (tests/bench/results/2026-12-08.json)', '+12% is in none of'),
    ('0.88x (tests/bench/results/2026-12-09.json)', 'which does not exist'),
    ('<!-- bench-table: tests/bench/results/2026-12-08.json -->\n| a | b |\n<!-- /bench-table -->', 'differs from'),
])
def test_a_figure_without_a_source_fails(results, text, fragment):
    assert any(fragment in error for error in errors(text)), errors(text)
