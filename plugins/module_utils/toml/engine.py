# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edit the port keys of an MI deployment.toml with tomlkit, keeping every other byte.

Pure logic: text in, text and a list of changes out. No Ansible, no file I/O.
A key is found in whichever TOML spelling the file uses (dotted key in its table,
nested table, top-level dotted key) because tomlkit resolves all three to one path.
"""

import copy
import difflib
import re
from collections.abc import Mapping
from importlib.util import find_spec

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.errors import CollectionError

# tomlkit is imported only by an edit that writes into existing tables: reading, planning, converged runs
# and edits that only add whole tables never pay for its import (a noticeable share of a module run).
HAS_TOMLKIT = find_spec('tomlkit') is not None


class MissingTomlkit(CollectionError, ImportError):
    """The edit needs tomlkit and the host has none; the message names the package to install."""


def _tomlkit():
    """The tomlkit module, imported on first use."""
    try:
        import tomlkit
    except ImportError:
        raise MissingTomlkit('this edit needs the Python library tomlkit (Debian/Ubuntu package python3-tomlkit, '
                             'or pip install tomlkit)')
    return tomlkit


try:
    import tomllib  # Python 3.11+: TOML 1.0, strict, and several times faster than tomlkit
except ImportError:
    try:
        import tomli as tomllib  # the same parser for older Pythons (python3-tomli)
    except ImportError:
        tomllib = None

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml import layout as toml_layout
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml import lines as toml_lines
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.listeners import ALIASES, KNOWN_TABLES, OFFSET_KEY
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.ports import (
    instance_model,
    normalize_ports,
    refuse_problems,
)
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.values import (
    PortError,
    has_placeholder,
    parse_offset,
    parse_port,
)

_BOM = '\ufeff'  # kept as the file had it; tomlkit does not parse it
_OFFSET_COMMENT = toml_lines.OFFSET_COMMENT  # the shipped '# offset = 10' comment


class TomlEditError(CollectionError, ValueError):
    """The document cannot be read or edited as asked; the message says where and why."""


def _refusal(location, reason):
    return TomlEditError('invalid TOML%s: %s; fix the file by hand, it was not changed' % (location, reason))


def parse_plain(text):
    """The document as plain data, parsed strictly (TOML 1.0): what tomllib refuses is refused with its location,
    never edited, even where tomlkit would be lenient (inline tables over several lines, times without seconds...)."""
    if tomllib is None:  # no strict parser on this host: tomlkit's reading is the best there is
        if not HAS_TOMLKIT:
            raise TomlEditError('reading TOML needs Python 3.11 or later, or the Python package tomli or tomlkit')
        return parse_document(text).unwrap()
    try:
        return tomllib.loads(text)
    except ValueError as exc:
        found = re.search(r'^(.*?)\s*\((?:at line (\d+), column (\d+)|at end of document)\)$', str(exc))
        reason = (found.group(1) if found else str(exc)).rstrip('.')
        if found and found.group(2):
            location = ' at line %s, column %s' % found.group(2, 3)
        else:
            location = ' at the end of the file (line %d)' % (text.count('\n') + 1)
        raise _refusal(location, _tomlkit_reason(text) or reason)


def _tomlkit_reason(text):
    """tomlkit's words for an error, which name the key ('Key "port" already exists'), or None when tomlkit
    accepts what TOML 1.0 refuses. Only on the error path: a valid file is never parsed twice."""
    if not HAS_TOMLKIT:
        return None
    tomlkit = _tomlkit()
    try:
        tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        reason = str(exc).split(' at line ', 1)[0].rstrip('.')
        return reason.replace("Unexpected character: '\\x00'", 'Unexpected end of file')
    except tomlkit.exceptions.TOMLKitError as exc:
        return str(exc).rstrip('.')
    return None


def parse_document(text):
    """The document as tomlkit items (for writing); a syntax error becomes TomlEditError."""
    tomlkit = _tomlkit()
    try:
        return tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise _refusal(' at line %d, column %d' % (exc.line, exc.col), str(exc).split(' at line ', 1)[0].rstrip('.'))
    except tomlkit.exceptions.TOMLKitError as exc:
        raise _refusal('', str(exc).rstrip('.'))


def _kind(value):
    if isinstance(value, list):
        return 'an array of tables' if value and all(isinstance(item, dict) for item in value) else 'an array'
    return 'a table' if isinstance(value, Mapping) else 'a value'


def _parent(data, key):
    """(parent mapping, depth reached) for a dotted key in plain data; depth == len(parts) - 1 means the
    parent exists. Refuses paths that run into an array, an array of tables or a plain value."""
    parts = key.split('.')
    node = data
    for depth, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            return node, depth
        if not isinstance(child, Mapping):
            path = '.'.join(parts[:depth + 1])
            raise TomlEditError('%s: %s is %s, not a table; a port key must name a single value in a table'
                                % (key, path, _kind(child)))
        node = child
    return node, len(parts) - 1


def read_value(data, key):
    """The stored value of a dotted key in plain data, or None when the key is absent."""
    parent, depth = _parent(data, key)
    if depth < len(key.split('.')) - 1:
        return None
    value = parent.get(key.split('.')[-1])
    if isinstance(value, (Mapping, list)):
        raise TomlEditError('%s is %s, not a port value; choose the port key inside it' % (key, _kind(value)))
    return value


def _home_depth(key):
    """How many parts of key form the table header it belongs under when it must be created."""
    parts = key.split('.')
    homes = [table for table in KNOWN_TABLES if key.startswith(table + '.')]
    return len(max(homes, key=len).split('.')) if homes else len(parts) - 1


def _same_value(key, stored, wanted):
    parse = parse_offset if key == OFFSET_KEY else parse_port  # offset 0 is valid, port 0 is not
    if has_placeholder(stored):  # set on purpose: the user asked for a number at this very key
        return False
    try:
        return parse(stored, key) == wanted
    except PortError:
        return False


def _value_like(stored, port):
    """Keep the file's spelling: a port stored as a string stays a string."""
    return str(port) if isinstance(stored, str) else port


def _insert_offset(table, value):
    """Place offset right after the shipped '# offset = 10' comment when [server] has one."""
    body = table.value.body
    for index, (name, item) in enumerate(body):
        if name is None and isinstance(item, _tomlkit().items.Comment) and _OFFSET_COMMENT.match(item.as_string()):
            if index + 1 < len(body):  # tomlkit cannot insert past the end; appending lands right after it
                table.value._insert_at(index + 1, 'offset', value)
                return
            break
    table['offset'] = value


class EditResult:
    """What an edit produced: the new text, the changes and the port model of the result.

    text is None when the edit was only planned: writing the keys into existing tables needs tomlkit, which
    the host lacks (planned=True). The changes and the model are exact all the same (stdlib parser)."""

    def __init__(self, text, changes, model):
        self.text = text
        self.changes = changes
        self.model = model

    @property
    def planned(self):
        return self.text is None

    @property
    def changed(self):
        return bool(self.changes)

    @property
    def offset(self):
        return self.model['offset']

    @property
    def effective_ports(self):
        return dict((alias, self.model['ports'][alias]['port']) for alias in ALIASES)

    @property
    def base_ports(self):
        return dict((alias, self.model['ports'][alias]['base']) for alias in ALIASES)


def _wanted(ports, offset):
    wanted = normalize_ports(ports)
    if offset is not None:
        wanted[OFFSET_KEY] = parse_offset(offset)
    return wanted


def _plan(data, wanted, layout):
    """Split the wanted keys into changes made in place and keys that need a new table.

    A key needs a new table when its home table is missing, or exists only implicitly as the parent of
    another header ([transport.http.sender] alone): writing into it would make tomlkit print a header
    for it that copies the child's comment."""
    declared = None
    changes, in_place, additions = [], [], []
    for key, value in wanted.items():
        before = read_value(data, key)
        if value is None or (before is not None and _same_value(key, before, value)):
            if value is None and before is not None:
                changes.append({'key': key, 'before': before, 'after': None})
                in_place.append((key, None))
            continue
        stored = _value_like(before, value)
        changes.append({'key': key, 'before': before, 'after': stored})
        parts, depth = key.split('.'), _parent(data, key)[1]
        home = tuple(parts[:_home_depth(key)])
        if depth == len(parts) - 1 or depth >= len(home):
            declared = toml_layout.declared(layout.lines, layout.tables) if declared is None else declared
            implicit = home not in declared and any(name[:len(home)] == home for name in declared)
            if before is not None or depth > len(home) or not implicit:
                in_place.append((key, stored))
                continue
        additions.append((key, value))
    return changes, in_place, additions


def _result_data(data, changes):
    """The plain data the edit must produce: data with the changes applied (planned, not parsed)."""
    result = copy.deepcopy(data)
    for change in changes:
        parts = change['key'].split('.')
        node = result
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if change['after'] is None:
            del node[parts[-1]]
        else:
            node[parts[-1]] = change['after']
    return result


def _pruned(data):
    """data without empty tables: removing a table's last key may or may not leave the table (it depends on
    whether it had a header of its own), and both are what was asked."""
    pruned = {}
    for name, value in data.items():
        value = _pruned(value) if isinstance(value, dict) else value
        if value != {}:
            pruned[name] = value
    return pruned


def _apply(doc, key, value):
    parts = key.split('.')
    node, depth = doc, 0
    while depth < len(parts) - 1 and parts[depth] in node:
        node, depth = node[parts[depth]], depth + 1
    if value is None:
        del node[parts[-1]]
    elif depth == len(parts) - 1:
        # a table split in two by other tables comes as a proxy without a body: no comment to place it after
        if parts[-1] not in node and key == OFFSET_KEY and isinstance(node, _tomlkit().items.Table):
            _insert_offset(node, value)
        else:
            node[parts[-1]] = value
    elif isinstance(node, _tomlkit().items.InlineTable):  # no dotted keys inside an inline table: nest them
        nested = value
        for part in reversed(parts[depth + 1:]):
            nested = {part: nested}
        node[parts[depth]] = nested
    else:
        node.add(_tomlkit().key(parts[depth:]), value)


def _new_tables(additions):
    """{header tuple: [lines]} for keys whose table is missing, one table per header."""
    tables = {}
    for key, value in additions:
        parts = key.split('.')
        depth = _home_depth(key)
        tables.setdefault(tuple(parts[:depth]), []).append('%s = %d' % ('.'.join(parts[depth:]), value))
    return tables


def _with_new_tables(layout, additions):
    """The text of layout with each new table placed after the last table of its group (or at the end), as text:
    tomlkit then parses a file in which the new table already sits in order."""
    lines = list(layout.lines)
    if lines and not lines[-1].endswith('\n'):
        lines[-1] += '\n'
    at_end = []
    for header, body in sorted(_new_tables(additions).items()):
        block = ['\n', '[%s]\n' % '.'.join(header)] + [line + '\n' for line in body]
        after = toml_layout.insertion_line(lines, header, _shifted(layout.tables, lines, layout.lines))
        if after is None:
            at_end.extend(block if ''.join(lines + at_end).strip() else block[1:])
        else:
            lines[after + 1:after + 1] = block
    return ''.join(lines + at_end)


def _shifted(tables, lines, original):
    """tables of original, as they are in lines (original with blocks inserted): only tables after a block move."""
    if len(lines) == len(original):
        return tables
    return toml_layout.tables(lines)


def _line_ending_like(original, text):
    """New lines follow the file: a CRLF-only file stays CRLF-only."""
    if '\r\n' in original and '\n' not in original.replace('\r\n', ''):
        return re.sub(r'(?<!\r)\n', '\r\n', text)
    return text


def read_model(text, jvm_args=None, environment=None, inbound_endpoints=None):
    """The port model of a deployment.toml text (strictly parsed), without tomlkit."""
    return instance_model(parse_plain(text.lstrip(_BOM)), jvm_args, environment, inbound_endpoints)


def _refuse_moved_lines(before, after, keys):
    """tomlkit writes some valid layouts back in another order (an array of tables [[x]] split by other tables,
    or one between two tables of the same group): every line that differs must belong to an edited key (or be
    blank), else the edit would move lines nobody asked to touch. One pass over both texts: a valid edit only
    changes, adds or removes lines of edited keys, so any other difference is a moved line."""
    names = re.compile(r'(^|[\s."\'{,])(%s)["\']?\s*=' % '|'.join(re.escape(key.split('.')[-1]) for key in keys))
    old, new = before.splitlines(), after.splitlines()  # a last line that gains its newline has not moved
    i = j = 0
    while i < len(old) or j < len(new):
        if i < len(old) and j < len(new) and (old[i] == new[j] or _grew_inline(old[i], new[j], names)):
            i, j = i + 1, j + 1
        elif j < len(new) and (not new[j].strip() or names.search(new[j])):
            j += 1
        elif i < len(old) and (not old[i].strip() or names.search(old[i])):
            i += 1
        else:
            raise TomlEditError('cannot edit this file without moving other lines (tomlkit would move line %d: an '
                                'array of tables [[...]] split by other tables, or between tables of one group); keep '
                                'each [[...]] array together and after such tables, or edit the file by hand, it was '
                                'not changed' % (i + 1))


def _grew_inline(line, successor, names):
    """Whether successor is line with an edited key added at the end of its inline table."""
    squeezed = re.sub(r'\s+', '', line).rstrip('}')
    return '{' in line and bool(names.search(successor)) and re.sub(r'\s+', '', successor).startswith(squeezed)


def _tomlkit_edit(source, in_place, keys):
    """source with the keys set by tomlkit (one parse, one dumps), its output checked line by line."""
    doc = parse_document(source)
    for key, value in in_place:
        _apply(doc, key, value)
    written = _tomlkit().dumps(doc)
    _refuse_moved_lines(source, written, keys)
    return written


def _reparsed(written):
    """The written text as plain data, or None when tomlkit wrote invalid TOML (it re-declares a table that
    dotted keys already define, as [a] x.y = 1 ... [a.x.z] with a key added to a.x): never written."""
    try:
        return tomllib.loads(written)
    except ValueError:
        return None


def _as_planned(written, expected):
    if tomllib is None:  # no strict parser on this host: tomlkit's own result is what there is
        return True
    reparsed = _reparsed(written)
    return reparsed is not None and _pruned(reparsed) == _pruned(expected)


def _written_text(layout, in_place, additions, keys, expected):
    """The new text. Whole new tables are inserted as text (exact by construction); keys in existing tables are set
    as line edits where the layout is plain (the bytes tomlkit would write, without its cost), else with tomlkit.
    Either result must parse to exactly the planned data."""
    source = _with_new_tables(layout, additions) if additions else ''.join(layout.lines)
    written = None
    if in_place and tomllib is not None and HAS_TOMLKIT:  # without tomlkit the edit is refused as before
        lines = toml_layout.Layout(source) if additions else layout
        written = toml_lines.edit_lines(lines.lines, lines.tables, in_place)
    if written is not None and _as_planned(written, expected):
        return written
    written = _tomlkit_edit(source, in_place, keys) if in_place else source
    if not _as_planned(written, expected):
        raise TomlEditError('tomlkit could not write this layout as planned (%s); edit the file by hand, it was '
                            'not changed' % ', '.join(keys))
    return written


def edit_ports(text, ports=None, offset=None, jvm_args=None, environment=None, inbound_endpoints=None,
               plan_only=False):
    """Return an EditResult for setting ports ({alias or key: port or None}) and offset.

    Raises PortError or TomlEditError, naming the key and value, before anything is written. Keys the user
    did not name are never touched, placeholders included. jvm_args, environment and inbound_endpoints only
    complete the model of the result. plan_only: when the new text needs tomlkit and the host has none,
    return the plan (text None) instead of raising MissingTomlkit (check mode, or a caller that validates
    everything before it asks for the library).
    """
    wanted = _wanted(ports, offset)
    bom = _BOM if text.startswith(_BOM) else ''
    text = text[len(bom):]
    data = parse_plain(text)
    layout = toml_layout.Layout(text)
    changes, in_place, additions = _plan(data, wanted, layout)
    expected = _result_data(data, changes)
    model = refuse_problems(instance_model(expected, jvm_args, environment, inbound_endpoints))
    if not changes:  # nothing to write: tomlkit is not needed at all
        return EditResult(bom + text, changes, model)
    if in_place and plan_only and not HAS_TOMLKIT:  # the exact lines need tomlkit; the plan does not
        return EditResult(None, changes, model)
    written = _written_text(layout, in_place, additions, [change['key'] for change in changes], expected)
    return EditResult(bom + _line_ending_like(text, written), changes, model)


def _shows_only(line, keys):
    """Whether a changed line holds nothing but a header, a blank, or one of the edited keys (so no other
    value of the file, such as a password on the same inline-table line, can reach the diff)."""
    stripped = line.strip()
    if not stripped or stripped.startswith('[') or stripped.startswith('#'):
        return True
    try:
        data = tomllib.loads(stripped) if tomllib else _tomlkit().parse(stripped).unwrap()
    except (ValueError, TomlEditError):
        return False
    leaves = list(_leaf_keys(data))
    return bool(leaves) and all(any(key.endswith(leaf) for key in keys) for leaf in leaves)


def _leaf_keys(data, prefix=''):
    for name, value in data.items():
        if isinstance(value, Mapping):
            yield from _leaf_keys(value, prefix + name + '.')
        else:
            yield prefix + name


def _stored(value):
    """A stored value as TOML writes it (a port, an offset or a placeholder string; never another value)."""
    return '"%s"' % value.replace('\\', '\\\\').replace('"', '\\"') if isinstance(value, str) else str(value)


def planned_diff(changes, path='deployment.toml'):
    """The diff of an edit that was only planned (EditResult.planned): one line per changed key, in its dotted
    spelling, since where tomlkit will put it in the file is not known without tomlkit. Honest about it in
    the header; the values are those the write will store."""
    lines = ['--- %s' % path, '+++ %s (planned per key: the exact lines need tomlkit, missing on this host)' % path]
    for change in changes:
        if change['before'] is not None:
            lines.append('-%s = %s' % (change['key'], _stored(change['before'])))
        if change['after'] is not None:
            lines.append('+%s = %s' % (change['key'], _stored(change['after'])))
    return '\n'.join(lines) + '\n'


def unified_diff(before, after, changes, path='deployment.toml'):
    """A unified diff of the changed lines only, with their line numbers and no context lines: the
    lines around a port key may hold keystore or database passwords. A changed line that holds any
    other value is shown as a placeholder. after None (an edit only planned): planned_diff."""
    if after is None:
        return planned_diff(changes, path)
    keys = [change['key'] for change in changes]
    lines = []
    for line in difflib.unified_diff(before.lstrip(_BOM).splitlines(), after.lstrip(_BOM).splitlines(),
                                     path, path, n=0, lineterm=''):
        body = line[1:]
        if line[:1] in '+-' and not line.startswith(('+++', '---')) and not _shows_only(body, keys):
            line = line[0] + '# (a changed line that holds other values is not shown)'
        lines.append(line)
    return '\n'.join(lines) + ('\n' if lines else '')


__all__ = ['ALIASES', 'EditResult', 'HAS_TOMLKIT', 'MissingTomlkit', 'TomlEditError', 'edit_ports',
           'parse_document', 'parse_plain', 'planned_diff', 'read_model', 'read_value', 'unified_diff']
