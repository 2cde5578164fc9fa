# -*- coding: utf-8 -*-
# Copyright: wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine benchmark: edit_ports end to end (text in, text out) against bare tomlkit parse + dumps.

Both are timed in this process on the same text, alternately (which one runs first flips every
round), with the garbage collector off during each call. A case is the ratio of the two.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gc
import os
import statistics
import time
import tomllib  # Python 3.11+, as the pinned venv

import tomlkit

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml.engine import edit_ports

from gen_toml import generate

# What the role sends for one instance: offset and HTTP port set, the other listeners reset to default.
EDIT_PORTS = {'http': 8380, 'https': None, 'management_http': None, 'management_https': None}
EDIT_OFFSET = 3
TARGET_RATIO = 1.3


def largest_valid_corpus_file(corpus_dir):
    """(path, text) of the biggest corpus file (bytes) that is valid TOML, or None without a corpus."""
    if not os.path.isdir(corpus_dir):
        return None
    for name in sorted(os.listdir(corpus_dir), key=lambda n: -os.path.getsize(os.path.join(corpus_dir, n))):
        path = os.path.join(corpus_dir, name)
        with open(path, 'rb') as handle:
            text = handle.read().decode('utf-8')
        try:
            tomllib.loads(text)  # the stdlib parser is the judge of "valid TOML"
        except tomllib.TOMLDecodeError:
            continue
        return path, text
    return None


def _timed(function):
    gc.disable()
    try:
        start = time.perf_counter()
        function()
        return time.perf_counter() - start
    finally:
        gc.enable()


def _bare(text):
    return tomlkit.dumps(tomlkit.parse(text))


def compare(text, rounds):
    """Timings of bare parse+dumps and of edit_ports on text, and the ratio per round."""
    bare, edit = [], []
    for index in range(rounds):
        pair = [(bare, lambda: _bare(text)), (edit, lambda: edit_ports(text, EDIT_PORTS, EDIT_OFFSET))]
        for times, function in (pair if index % 2 == 0 else pair[::-1]):
            times.append(_timed(function))
    ratios = [e / b for e, b in zip(edit, bare)]
    return {
        'rounds': rounds,
        'bare_min_ms': min(bare) * 1e3, 'bare_median_ms': statistics.median(bare) * 1e3,
        'edit_min_ms': min(edit) * 1e3, 'edit_median_ms': statistics.median(edit) * 1e3,
        'ratio_of_min': min(edit) / min(bare),
        'ratio_median_paired': statistics.median(ratios),
    }


def _rounds_for(text, budget_s):
    once = _timed(lambda: _bare(text))
    return max(5, min(60, int(budget_s / (2.2 * max(once, 1e-4)))))


def run_case(label, short, text, budget_s):
    """Two results for one file: an edit that changes it, and the same edit on its result (no-op)."""
    first = edit_ports(text, EDIT_PORTS, EDIT_OFFSET)
    again = edit_ports(first.text, EDIT_PORTS, EDIT_OFFSET)
    if not first.changed or again.changed:
        raise RuntimeError('%s: the benchmark edit must change the file once and then nothing' % label)
    results = []
    for kind, source in (('change', text), ('no-op', first.text)):
        result = compare(source, _rounds_for(source, budget_s))
        result.update(case=label, short=short, kind=kind, lines=source.count('\n'), bytes=len(source.encode('utf-8')),
                      changes=len(edit_ports(source, EDIT_PORTS, EDIT_OFFSET).changes))
        result['target'] = TARGET_RATIO
        result['pass'] = result['ratio_median_paired'] <= TARGET_RATIO
        results.append(result)
    return results


# Keys whose home table a file may lack, tried in this order: the edit adds the first missing table.
ADDED_TABLE_KEYS = (('transport.http.listener.port', ('transport', 'http'), 8380),
                    ('mediation.internal_http_api_port', ('mediation',), 9300),
                    ('transport.tcp.listener.port', ('transport', 'tcp'), 8500))


def _missing_table_edit(text):
    """{key: port} that makes edit_ports add a table the file lacks, or None when it has them all."""
    data = tomllib.loads(text)
    for key, table, port in ADDED_TABLE_KEYS:
        node = data
        for part in table:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return {key: port}
    return None


def corpus_additions(corpus_dir, budget_s=0.6):
    """Every valid corpus file, with an edit that adds a missing table, against bare parse+dumps."""
    rows = []
    for name in sorted(os.listdir(corpus_dir)) if os.path.isdir(corpus_dir) else []:
        with open(os.path.join(corpus_dir, name), 'rb') as handle:
            text = handle.read().decode('utf-8')
        try:
            ports = _missing_table_edit(text)
        except tomllib.TOMLDecodeError:
            continue
        if ports is None or not edit_ports(text, ports).changed:
            continue
        timing = compare_edit(text, lambda: edit_ports(text, ports), _rounds_for(text, budget_s))
        rows.append({'file': name, 'edit': ports, 'lines': text.count('\n'), 'ratio': timing['ratio_median_paired']})
    ratios = sorted(row['ratio'] for row in rows)
    worst = max(rows, key=lambda row: row['ratio']) if rows else None
    return {'files': len(rows), 'rows': rows, 'median': statistics.median(ratios) if ratios else None,
            'worst': worst, 'target': TARGET_RATIO, 'pass': bool(rows) and worst['ratio'] <= TARGET_RATIO}


def compare_edit(text, edit, rounds):
    """compare() for any edit function of text."""
    bare, edited = [], []
    for index in range(rounds):
        pair = [(bare, lambda: _bare(text)), (edited, edit)]
        for times, function in (pair if index % 2 == 0 else pair[::-1]):
            times.append(_timed(function))
    return {'ratio_median_paired': statistics.median([e / b for e, b in zip(edited, bare)])}


def run(corpus_dir, lines=5000, budget_s=6.0):
    cases = []
    found = largest_valid_corpus_file(corpus_dir)
    if found:
        path, text = found
        cases.append(('corpus ' + os.path.basename(path), 'largest corpus file', text))
    cases.append(('generated %d lines' % lines, 'generated %d lines' % lines, generate(lines)))
    results = []
    for label, short, text in cases:
        results.extend(run_case(label, short, text, budget_s))
    return {'edit': {'ports': EDIT_PORTS, 'offset': EDIT_OFFSET}, 'tomlkit': tomlkit.__version__,
            'corpus_found': bool(found), 'cases': results, 'additions': corpus_additions(corpus_dir)}
