"""Property-based fuzzing of the TOML engine (edit_ports) with hypothesis.

Each example generates a deployment.toml: random tables (also arrays of tables), comments, blank and
whitespace-only lines, strings, ints, floats, arrays, multi-line strings whose lines look like port keys,
keystore passwords, the HTTP listener ports in one of the three spellings (dotted key in
[transport.http], nested [transport.http.listener], top-level dotted key), the Management API ports in a
table or as top-level dotted keys, ports stored as int, hex, "string" or 'literal', optional BOM, LF, CRLF
or mixed line endings, with or without a final newline. Then it applies a random edit (set, keep or remove
each alias, given by alias or by dotted key; other dotted port keys; the offset) and checks:

- the result re-parsed with the stdlib tomllib equals the intended model (the original parsed with
  tomllib, with the edit applied to the dict), and the reported changes and ports agree with it;
- every line of the original that does not hold a changed key is kept with its exact text, in order; the
  only other lines are one line per set key (changed lines keep indentation, spacing and comment), new
  table headers and blank separators; a CRLF file gets no bare LF;
- the edit again on the result is a no-op, and the same edit on the original gives the same bytes;
- no password of the file appears in the changes or the diff.

The number of examples comes from the hypothesis profile that conftest.py loads: `ci` (1,000, the default)
or `nightly` (20,000) with HYPOTHESIS_PROFILE=nightly.
"""

import copy
import re
import tomllib
from collections import namedtuple

import tomlkit
from hypothesis import event, given, strategies as st

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml.engine import (
    TomlEditError,
    edit_ports,
    unified_diff,
)
from helpers.line_edits import line_edit_and_tomlkit

# Facts from MI-FACTS.md, written out here so that the oracle does not reuse the code under test.
PORT_KEYS = {'http': 'transport.http.listener.port', 'https': 'transport.http.listener.secured_port',
             'management_http': 'mediation.internal_http_api_port',
             'management_https': 'mediation.internal_https_api_port'}
DEFAULT_BASE = {'http': 8280, 'https': 8243, 'management_http': 9191, 'management_https': 9154}
OFFSET_KEY = 'server.offset'
# Disjoint ranges (and offsets up to 9999) keep every generated port map valid: no two listeners meet,
# none passes 65535, none meets a default base port.
RANGES = {'http': (1024, 7999), 'https': (20000, 29999), 'management_http': (40000, 44999),
          'management_https': (50000, 54999)}
MAX_OFFSET = 9999
# The table a missing key is added under (MI's documented tables).
HOMES = ('server', 'mediation', 'monitoring', 'transport.http', 'transport.tcp', 'transport.blocking.http')
EXTRA_KEYS = ('transport.tcp.listener.port', 'transport.blocking.http.listener.port',
              'monitoring.jmx.rmi_registry_port')

SAFE = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,:;!?=[]{}#/é日'

# One generated line: its text; the dotted key it holds (port keys and the offset only) with the text
# before and after the value, so that a changed value can be checked in place.
Line = namedtuple('Line', 'text key prefix suffix')


def plain(text):
    return Line(text, None, None, None)


names = st.text(alphabet='abcdefghijklmnopqrstuvwxyz0123456789_', min_size=1, max_size=7)
comment_text = st.text(alphabet=SAFE + '"\'\\', max_size=24)
# The S3c! prefix makes every generated password findable in any output, and unlike any key or port.
secrets = st.text(alphabet='abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@$%^&*_+-',
                  min_size=6, max_size=14).map(lambda s: 'S3c!' + s)


@st.composite
def key_line(draw, key_text, value_text, key=None):
    """`key = value` with random indentation, spacing and trailing comment."""
    indent = draw(st.sampled_from(['', '', '', '  ', '\t']))
    before_eq = draw(st.sampled_from([' ', ' ', '', '   ']))
    after_eq = draw(st.sampled_from([' ', ' ', '', '  ']))
    suffix = draw(st.sampled_from(['', '', '', '  ', ' # the port', ' #x=1 [a]'])) or ''
    if suffix == '  ':
        suffix = '  #' + draw(comment_text)
    prefix = indent + key_text + before_eq + '=' + after_eq
    return Line(prefix + value_text + suffix, key, prefix, suffix)


@st.composite
def port_value(draw, low, high):
    """(value as tomllib reads it, TOML text): int, hex, underscored, "basic" or 'literal' string."""
    port = draw(st.integers(low, high))
    style = draw(st.sampled_from(['int', 'int', 'basic', 'literal', 'hex', 'underscore']))
    if style == 'basic':
        return str(port), '"%d"' % port
    if style == 'literal':
        return str(port), "'%d'" % port
    if style == 'hex':
        return port, '0x%x' % port
    if style == 'underscore' and port >= 1000:
        return port, '%d_%03d' % divmod(port, 1000)
    return port, str(port)


@st.composite
def filler_value(draw):
    kind = draw(st.sampled_from(['int', 'bool', 'basic', 'literal', 'float', 'array', 'escaped']))
    if kind == 'int':
        return str(draw(st.integers(-10 ** 6, 10 ** 6)))
    if kind == 'bool':
        return draw(st.sampled_from(['true', 'false']))
    if kind == 'basic':
        return '"%s"' % draw(st.text(alphabet=SAFE + "'", max_size=20))
    if kind == 'literal':
        return "'%s'" % draw(st.text(alphabet=SAFE + '"\\', max_size=20))
    if kind == 'float':
        return draw(st.sampled_from(['1.5', '-0.25', '3e2', 'inf', '-inf']))  # nan != nan would fool ==
    if kind == 'array':
        return '[%s]' % ', '.join(str(n) for n in draw(st.lists(st.integers(0, 99), max_size=4)))
    return '"a\\tb\\"c\\\\d\\u00e9 port = 1"'


@st.composite
def filler_units(draw, taken=(), prefix=''):
    """Comments, blank lines and keys that the edit never touches (names not in `taken`), as units of
    lines that stay together (a multi-line string is one unit)."""
    units = []
    kinds = draw(st.lists(st.sampled_from(['comment', 'blank', 'key', 'key', 'secret', 'multiline']), max_size=5))
    key_names = iter(draw(st.lists(names, min_size=len(kinds), max_size=len(kinds), unique=True)))
    for kind in kinds:
        if kind == 'comment':
            units.append([plain(draw(st.sampled_from(['', '  ', '\t'])) + '#' + draw(comment_text))])
        elif kind == 'blank':
            units.append([plain(draw(st.sampled_from(['', '', '   '])))])
        else:
            name = prefix + next(key_names) + ('_password' if kind == 'secret' else '')
            if name in taken:
                continue
            if kind == 'key':
                units.append([draw(key_line(name, draw(filler_value())))])
            elif kind == 'secret':
                units.append([draw(key_line(name, '"%s"' % draw(secrets)))])
            else:  # its lines look like a port key and a table header, but they are string content
                units.append([plain(name + ' = """'), plain('listener.port = 8280'), plain('[transport.http]"""')])
    return units


@st.composite
def table(draw, name, port_lines=(), taken=(), array=False):
    """A table: its header, then its own keys mixed with filler in random order."""
    forms = ['[[%s]]'] if array else ['[%s]', '[%s]', '[ %s ]', '[%s]  # table']
    units = draw(filler_units(taken=taken)) + [[line] for line in port_lines]
    return [plain(draw(st.sampled_from(forms)) % name)] + flatten(draw(st.permutations(units)))


def flatten(units):
    return [line for unit in units for line in unit]


@st.composite
def documents(draw):
    """(text, facts): facts has the generated lines (with the key each holds) and their texts."""
    top, tables = [], []

    def port_line(alias_or_key, key_text, low=1, high=65535):
        _value, text = draw(port_value(low, high))
        full_key = PORT_KEYS.get(alias_or_key, alias_or_key)
        return draw(key_line(key_text, text, key=full_key))

    def http_line(alias, key_text):
        return port_line(alias, key_text, *RANGES[alias])

    present = {alias: draw(st.booleans()) for alias in PORT_KEYS}
    http_aliases = [a for a in ('http', 'https') if present[a]]
    last = {'http': 'port', 'https': 'secured_port'}

    spelling = draw(st.sampled_from(['dotted_in_table', 'nested_table', 'top_level_dotted', 'absent']))
    event('listener spelling: %s' % spelling)
    if spelling == 'dotted_in_table':
        lines = [http_line(a, draw(st.sampled_from(['listener.', 'listener . ', '"listener".'])) + last[a])
                 for a in http_aliases]
        tables.append(draw(table('transport.http', lines, taken=('listener',))))
    elif spelling == 'nested_table':
        lines = [http_line(a, last[a]) for a in http_aliases]
        tables.append(draw(table('transport.http.listener', lines, taken=('port', 'secured_port'))))
        if draw(st.booleans()):
            tables.append(draw(table('transport.http', taken=('listener',))))
    elif spelling == 'top_level_dotted':
        top += [http_line(a, draw(st.sampled_from(['transport.http.listener.', 'transport . http.listener.',
                                                   '"transport".http.listener.'])) + last[a])
                for a in http_aliases]

    mediation = [a for a in ('management_http', 'management_https') if present[a]]
    mediation_spelling = draw(st.sampled_from(['table', 'top_level_dotted', 'absent']))
    if mediation_spelling == 'table':
        lines = [http_line(a, PORT_KEYS[a].split('.')[1]) for a in mediation]
        tables.append(draw(table('mediation', lines, taken=[PORT_KEYS[a].split('.')[1] for a in PORT_KEYS])))
    elif mediation_spelling == 'top_level_dotted':
        top += [http_line(a, PORT_KEYS[a]) for a in mediation]

    if draw(st.booleans()):
        lines = []
        if draw(st.booleans()):
            lines.append(plain(draw(st.sampled_from(['# offset  = 10', '#offset = 10', '  # offset=10']))))
        if draw(st.booleans()):
            _value, text = draw(port_value(0, MAX_OFFSET))
            lines.append(draw(key_line('offset', text, key=OFFSET_KEY)))
        tables.append(draw(table('server', lines, taken=('offset',))))
    if draw(st.booleans()):
        password, key_password = draw(secrets), draw(secrets)
        lines = [plain('password = "%s"' % password), plain("key_password = '%s'" % key_password)]
        tables.append(draw(table('keystore.primary', lines, taken=('password', 'key_password'))))
    if draw(st.booleans()):
        tables.append(draw(table('transport.tcp', [port_line('transport.tcp.listener.port', 'listener.port')],
                                 taken=('listener',))))
    if draw(st.booleans()):
        tables.append(draw(table('monitoring', taken=('jmx',))))
    for name in draw(st.lists(names, max_size=3, unique=True)):
        if draw(st.booleans()):  # an array of tables, its entries together: tomlkit keeps that layout
            tables.append(flatten(draw(table('x_' + name, array=True)) for _entry in range(draw(st.integers(1, 2)))))
        else:
            tables.append(draw(table('x_' + name + draw(st.sampled_from(['', '.sub', '."quoted key"'])))))

    units = draw(filler_units(prefix='top_')) + [[line] for line in top]
    lines = flatten(draw(st.permutations(units))) + flatten(draw(st.permutations(tables)))
    return render(draw, lines)


def render(draw, lines):
    """Join the lines with LF, CRLF or mixed endings, maybe a BOM, maybe no final newline."""
    mode = draw(st.sampled_from(['lf', 'crlf', 'mixed']))
    event('line endings: %s' % mode)
    endings = [{'lf': '\n', 'crlf': '\r\n'}.get(mode) or draw(st.sampled_from(['\n', '\r\n'])) for _line in lines]
    if lines and draw(st.booleans()):
        endings[-1] = ''
    text = ''.join(line.text + end for line, end in zip(lines, endings))
    texts = [line.text + end for line, end in zip(lines, endings)]
    bom = '\ufeff' if draw(st.integers(0, 9)) == 0 else ''
    return bom + text, {'lines': lines, 'texts': texts}


@st.composite
def cases(draw):
    """A document and an edit of it: {alias or key: port, or None to remove}, and an offset or None."""
    text, facts = draw(documents())
    model = tomllib.loads(text.lstrip('\ufeff'))
    ports = {}
    for alias, key in PORT_KEYS.items():
        action = draw(st.sampled_from(['skip', 'set', 'set', 'same', 'remove']))
        name = draw(st.sampled_from([alias, key]))
        stored = lookup(model, key)
        if action == 'set':
            port = draw(st.integers(*RANGES[alias]))
            ports[name] = draw(st.sampled_from([port, str(port)]))
        elif action == 'same' and stored is not None:
            ports[name] = int(stored)
        elif action == 'remove':
            ports[name] = None
    for key in EXTRA_KEYS:
        action = draw(st.sampled_from(['skip', 'skip', 'set', 'remove']))
        if action != 'skip':
            ports[key] = draw(st.integers(1, 65535)) if action == 'set' else None
    offset = draw(st.sampled_from(['none', 'set', 'same']))
    stored = lookup(model, OFFSET_KEY)
    if offset == 'same' and stored is not None:
        offset = int(stored)
    else:
        offset = draw(st.integers(0, MAX_OFFSET)) if offset == 'set' else None
    return text, facts, model, ports, offset


def lookup(model, key):
    node = model
    for part in key.split('.'):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def apply_to_model(model, ports, offset):
    """The intended result of the edit on the parsed dict, and the changes {key: (before, after)}."""
    model = copy.deepcopy(model)
    wanted = dict((PORT_KEYS.get(name, name), None if v is None else int(v)) for name, v in ports.items())
    if offset is not None:
        wanted[OFFSET_KEY] = offset
    changes = {}
    for key, value in wanted.items():
        *tables, name = key.split('.')
        stored = lookup(model, key)
        if value is None:
            if stored is not None:
                del lookup(model, '.'.join(tables))[name]
                changes[key] = (stored, None)
            continue
        if stored is not None and int(stored) == value:
            continue
        node = model
        for part in tables:
            node = node.setdefault(part, {})
        node[name] = str(value) if isinstance(stored, str) else value
        changes[key] = (stored, node[name])
    return model, changes


def prune(node):
    """Drop empty tables: removing the last key of a dotted `listener.port` also drops `listener`."""
    if isinstance(node, dict):
        pruned = dict((k, prune(v)) for k, v in node.items())
        return dict((k, v) for k, v in pruned.items() if v != {})
    if isinstance(node, list):
        return [prune(item) for item in node]
    return node


def tomlkit_would_reorder(body, model, changes):
    """Whether tomlkit writes the file, or the file with the tables the edit must add at its end, in
    another order: it moves an array of tables [[x]] that sits between tables of one super table, e.g.
    [transport.http] [[x]] [transport.tcp], after them (tomlkit PR 601). The engine must refuse those."""
    homes = []  # in the order of the edit, as the engine appends them
    for key, (before, after) in changes.items():
        home = max((t for t in HOMES if key.startswith(t + '.')), key=len)
        if before is None and after is not None and lookup(model, home) is None and home not in homes:
            homes.append(home)
    end = '' if not body or body.endswith('\n') else '\n'
    candidate = body + end + ''.join('\n[%s]\n' % home for home in homes)
    return any(tomlkit.dumps(tomlkit.parse(doc)) != doc for doc in (body, candidate))


def split_lines(text):
    return [line for line in re.split(r'(?<=\n)', text) if line]


def check_lines(original_texts, out, facts, changes):
    """Kept lines in order and exact; extra lines are only the set keys, new headers and blanks."""
    changed_rows = set(i for i, line in enumerate(facts['lines']) if line.key in changes)
    kept = [t for i, t in enumerate(original_texts) if i not in changed_rows and t]  # '' = empty last line
    out_lines = split_lines(out)
    extra, i = [], 0
    for line in out_lines:
        is_last = i == len(kept) - 1 and not kept[i].endswith('\n')
        if i < len(kept) and (line == kept[i] or (is_last and line.rstrip('\r\n') == kept[i])):
            i += 1
        else:
            extra.append(line)
    assert i == len(kept), 'line lost or altered: %r' % (kept[i:i + 1],)
    key_lines = [x for x in extra if x.strip() and not re.match(r'^\[[A-Za-z0-9_.]+\]\r?\n?$', x)]
    assert all(re.match(r'^\s*[A-Za-z0-9_."\' ]+?\s*=\s*("\d+"|\d+)\s*(#.*)?\r?\n?$', x) for x in key_lines), extra
    assert len(key_lines) == len([k for k, (_b, after) in changes.items() if after is not None]), extra
    for row, line in enumerate(facts['lines']):
        if line.key in changes and changes[line.key][1] is not None:  # changed in place: only the value
            after = changes[line.key][1]
            value = '"%s"' % after if isinstance(after, str) else str(after)
            assert line.prefix + value + line.suffix in [x.rstrip('\r\n') for x in key_lines], (line, key_lines)


@given(cases())
def test_edit_matches_the_model_and_keeps_every_other_line(case):
    text, facts, model, ports, offset = case
    expected, changes = apply_to_model(model, ports, offset)
    try:
        result = edit_ports(text, ports, offset)
    except TomlEditError as exc:
        assert 'without moving other lines' in str(exc) and changes, exc
        assert tomlkit_would_reorder(text.lstrip('\ufeff'), model, changes), exc
        event('refused: tomlkit would reorder the file')
        return
    out = result.text
    event('changed keys: %s' % min(len(changes), 3))

    assert out.startswith('\ufeff') == text.startswith('\ufeff')
    assert prune(tomllib.loads(out.lstrip('\ufeff'))) == prune(expected)
    assert dict((c['key'], (c['before'], c['after'])) for c in result.changes) == changes
    assert result.changed == bool(changes) and (changes or out == text)

    file_offset = lookup(expected, OFFSET_KEY)
    offset_now = 10 if file_offset is None else int(file_offset)
    bases = dict((a, DEFAULT_BASE[a] if lookup(expected, k) is None else int(lookup(expected, k)))
                 for a, k in PORT_KEYS.items())
    assert (result.offset, result.base_ports) == (offset_now, bases)
    assert result.effective_ports == dict((a, p + offset_now) for a, p in bases.items())

    body, out_body = text.lstrip('\ufeff'), out.lstrip('\ufeff')
    check_lines(facts['texts'], out_body, facts, changes)
    if '\r\n' in body and '\n' not in body.replace('\r\n', ''):
        assert '\n' not in out_body.replace('\r\n', ''), 'a CRLF file got a bare LF'
    if '\r' not in body:
        assert '\r' not in out_body, 'an LF file got a CR'

    again = edit_ports(out, ports, offset)
    assert again.changes == [] and again.text == out, 're-edit is not a no-op'
    assert edit_ports(text, ports, offset).text == out, 'the same edit gave other bytes'

    shown = repr(result.changes) + unified_diff(text, out, result.changes)
    for secret in re.findall(r'S3c![^"\']+', text):
        assert secret not in shown


@given(cases())
def test_line_edits_write_the_bytes_tomlkit_writes(case):
    """Where the engine edits key lines as text, its bytes are tomlkit's, byte for byte (tomlkit is the oracle)."""
    text, _facts, _model, ports, offset = case
    found = line_edit_and_tomlkit(text, ports, offset)
    event('line edit: %s' % ('none needed' if found is None else 'tomlkit needed' if found[0] is None else 'done'))
    if found and found[0] is not None:
        assert found[0] == found[1]
