"""`make lint`: every performance figure in the docs comes from a results file of `make bench` kept in the repository.

- A figure is a ratio (0.88x), a signed change (+10%) or a time in ms. It may appear in README.md's Performance
  section, in tests/bench/README.md and in docs/; each of those parts that holds a figure cites the results
  file(s) it comes from (tests/bench/results/<date>.json, written by `make bench BENCH_ARGS=--figures`, which
  records the command that made it), and each figure is one that file prints in its targets.
- The table of targets between `<!-- bench-table: tests/bench/results/<date>.json -->` and `<!-- /bench-table -->`
  is that file's table exactly, every MISS with the PASSes (`--write` rewrites it from the file).
Usage: check_bench_figures.py [--write] (run from the checkout).
"""

import glob
import json
import os
import re
import sys

RESULTS = re.compile(r'tests/bench/results/\d{4}-\d{2}-\d{2}\.json')
FIGURE = re.compile(r'(?<![\w.])(?:\d+\.\d+x|[+-]\d+(?:\.\d+)?%|\d+(?:\.\d+)? ms)(?![\w])')
TABLE = re.compile(r'(<!-- bench-table: (\S+) -->\n)(.*?)(<!-- /bench-table -->)', re.S)


def documents():
    """{path: the text whose figures are checked}: README.md's Performance section, the benchmark README, docs/."""
    found = {}
    with open('README.md') as handle:
        readme = handle.read()
    section = re.search(r'^## Performance\n.*?(?=^## |\Z)', readme, re.S | re.M)
    if section:
        found['README.md'] = section.group(0)
    paths = ['tests/bench/README.md'] + sorted(glob.glob('docs/**/*.md', recursive=True)
                                               + glob.glob('docs/**/*.rst', recursive=True))
    for path in paths:
        with open(path) as handle:
            found[path] = handle.read()
    return found


def load(path, errors, where):
    if not os.path.isfile(path):
        errors.append('%s cites %s, which does not exist' % (where, path))
        return None
    with open(path) as handle:
        results = json.load(handle)
    if not results.get('command') or not results.get('targets'):
        errors.append('%s: no command or no targets: not a results file of make bench' % path)
        return None
    return results


def table(results, path):
    """The markdown table of a results file's targets, every one with its verdict."""
    stopped = '; stopped before its end, what it measured until then' if results.get('unfinished') else ''
    title = 'Figures of `%s` (%s, commit %s%s), %s:' % (results['command'], results['started'][:10],
                                                        (results.get('commit') or 'unknown')[:12], stopped, path)
    lines = [title, '', '| target | measured | verdict |', '|---|---|---|']
    for item in results['targets']:
        lines.append('| %s | %s | %s |' % (item['target'].replace('|', '/'), item['measured'].replace('|', '/'),
                                           'PASS' if item['pass'] else '**MISS**: ' + '; '.join(item['why'])))
    return '\n'.join(lines) + '\n'


def figures_of(results):
    words = [item[key] for item in results['targets'] for key in ('target', 'measured')]
    return set(FIGURE.findall('\n'.join(words)))


def check(text, where, errors):
    cited = sorted(set(RESULTS.findall(text)))
    figures = FIGURE.findall(text)
    if figures and not cited:
        errors.append('%s: figures %s cite no results file (tests/bench/results/<date>.json)'
                      % (where, ', '.join(sorted(set(figures)))))
        return
    known = set()
    for path in cited:
        results = load(path, errors, where)
        known |= figures_of(results) if results else set()
    for figure in sorted(set(figures) - known):
        errors.append('%s: %s is in none of %s' % (where, figure, ', '.join(cited)))
    for match in TABLE.finditer(text):
        results = load(match.group(2), errors, where)
        if results and match.group(3) != table(results, match.group(2)):
            errors.append('%s: the table of %s differs from that file (python %s --write)'
                          % (where, match.group(2), sys.argv[0]))


def write_tables():
    for path in ['README.md', 'tests/bench/README.md']:
        with open(path) as handle:
            text = handle.read()
        new = TABLE.sub(lambda m: m.group(1) + table(load(m.group(2), [], path), m.group(2)) + m.group(4), text)
        if new != text:
            with open(path, 'w') as handle:
                handle.write(new)


def main(argv):
    if argv == ['--write']:
        write_tables()
    errors = []
    for where, text in documents().items():
        check(text, where, errors)
    for error in errors:
        print('check_bench_figures: %s' % error, file=sys.stderr)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
