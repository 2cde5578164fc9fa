"""What `helm template` renders for WSO2's chart (../shared/corpus/helm-mi/mi), derived here from the chart's own
templates: a Go text/template evaluator for the part of the language (and of Helm's and Sprig's functions) the
chart's templates use. No helm binary can be installed on these machines; an action or a function this evaluator
does not know raises (UnknownConstruct), so a template it cannot follow is never rendered silently wrong.

Semantics kept from Go/Helm: `{{-` and `-}}` trim the white space beside them; `and`/`or` return the deciding
argument (and short-circuit); a map is ranged in key order; a missing value prints as nothing (Helm turns Go's
"<no value>" into ""); every templates/ file is also a named template under its path (`include (print
$.Template.BasePath "/mi-conf.yaml")`). Lenient where Helm fails: a field of a missing value is missing.
"""

import hashlib
import json
import re
from pathlib import Path

import yaml

_ACTION = re.compile(r'{{(-\s)?(.*?)(\s-)?}}', re.S)
_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<raw>`[^`]*`)|(?P<num>-?\d+(?:\.\d+)?)(?![\w.])'
                    r'|(?P<decl>:=)|(?P<assign>=)|(?P<punct>[()|,])|(?P<var>\$[\w]*(?:\.[\w]+)*)'
                    r'|(?P<field>(?:\.[\w]+)+|\.)|(?P<ident>[A-Za-z_]\w*))')


class UnknownConstruct(Exception):
    """A template uses an action or a function this evaluator does not implement."""


class _Missing:
    """A value that is not there: prints as nothing, is false, and has no fields."""

    def __bool__(self):
        return False

    def __str__(self):
        return ''


MISSING = _Missing()


def truth(value):
    return not (value is None or value is MISSING or value is False or value == 0 and not isinstance(value, bool)
                or value in ('', [], {}))


def text(value):
    if value is None or value is MISSING:
        return ''
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def tokens(source):
    found, pos = [], 0
    source = source.strip()
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if not match or match.end() == pos:
            raise UnknownConstruct('cannot read %r' % source[pos:])
        kind = match.lastgroup
        found.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(source) and source[pos].isspace():
            pos += 1
    return found


def parse(template):
    """[node]: text strings and ('action', tokens, trim) tuples, with blocks nested."""
    pieces, pos = [], 0
    for match in _ACTION.finditer(template):
        pieces.append(template[pos:match.start()])
        body = match.group(2).strip()
        trims = (bool(match.group(1)), bool(match.group(3)))
        pieces.append(('comment',) if body.startswith('/*') else ('action', body) + trims)
        pos = match.end()
    pieces.append(template[pos:])
    for index, piece in enumerate(pieces):  # trim markers eat the white space of the text beside them
        if isinstance(piece, tuple) and piece[0] == 'action':
            if piece[2] and isinstance(pieces[index - 1], str):
                pieces[index - 1] = pieces[index - 1].rstrip()
            if piece[3] and isinstance(pieces[index + 1], str):
                pieces[index + 1] = pieces[index + 1].lstrip()
    nodes, _rest = _block(iter(pieces), top=True)
    return nodes


def _block(pieces, top=False):
    """(nodes, closing action body) up to the next end/else of this level."""
    nodes = []
    for piece in pieces:
        if isinstance(piece, str):
            nodes.append(piece)
            continue
        if piece[0] == 'comment':
            continue
        body = piece[1]
        word = body.split(None, 1)[0] if body else ''
        if word in ('end', 'else'):
            return nodes, body
        if word in ('if', 'range', 'with', 'define'):
            branches, closing = [], None
            head = body
            while True:
                inner, closing = _block(pieces)
                branches.append((head, inner))
                if closing == 'end':
                    break
                head = closing  # 'else' or 'else if ...'
            nodes.append(('block', word, branches))
            continue
        nodes.append(('expr', body))
    if not top:
        raise UnknownConstruct('a block has no end')
    return nodes, None


class Chart:
    """One chart: its files, its named templates, and the values it renders with."""

    def __init__(self, folder, values, release='mi', namespace='default', kube_version='v1.37.0'):
        self.folder = Path(folder)
        meta = yaml.safe_load((self.folder / 'Chart.yaml').read_text())
        self.defines = {}
        self.base = '%s/templates' % meta['name']
        for path in sorted((self.folder / 'templates').iterdir()):
            if path.is_file():
                self.defines['%s/%s' % (self.base, path.name)] = parse(path.read_text())
        for nodes in list(self.defines.values()):
            self._collect(nodes)
        self.root = {
            'Values': values, 'Release': {'Name': release, 'Namespace': namespace, 'Service': 'Helm'},
            'Chart': {'Name': meta['name'], 'Version': meta['version'], 'AppVersion': meta.get('appVersion')},
            'Template': {'BasePath': self.base}, 'Capabilities': {'KubeVersion': {'GitVersion': kube_version}},
            'Files': {'Get': lambda name: (self.folder / name).read_text()},
        }

    def _collect(self, nodes):
        for node in nodes:
            if isinstance(node, tuple) and node[0] == 'block' and node[1] == 'define':
                self.defines[json.loads(tokens(node[2][0][0])[1][1])] = node[2][0][1]

    def render(self, name):
        """The text of templates/<name>."""
        return self.run(self.defines['%s/%s' % (self.base, name)], self.root, {'$': self.root})

    def render_text(self, template):
        """A chart file rendered as a template (what tpl does with .Files.Get)."""
        return self.run(parse(template), self.root, {'$': self.root})

    def objects(self, *names):
        """The Kubernetes objects the templates render."""
        found = []
        for name in names:
            found.extend(item for item in yaml.safe_load_all(self.render(name)) if item)
        return found

    # evaluation
    def run(self, nodes, dot, scope):
        out = []
        for node in nodes:
            if isinstance(node, str):
                out.append(node)
            elif node[0] == 'expr':
                value = self.action(node[1], dot, scope)
                out.append(text(value))
            elif node[1] != 'define':
                out.append(self.block(node, dot, scope))
        return ''.join(out)

    def action(self, body, dot, scope):
        parts = tokens(body)
        if parts[0] == ('ident', 'template'):
            return self.include(json.loads(parts[1][1]), self.pipeline(parts[2:], dot, scope) if len(parts) > 2
                                else None)
        if len(parts) > 1 and parts[0][0] == 'var' and parts[1][0] in ('decl', 'assign'):
            scope[parts[0][1]] = self.pipeline(parts[2:], dot, scope)
            return MISSING
        return self.pipeline(parts, dot, scope)

    def block(self, node, dot, scope):
        _block_, word, branches = node
        for head, inner in branches:
            words = head.split(None, 1)
            if words[0] == 'else' and len(words) == 1:
                return self.run(inner, dot, dict(scope))
            if words[0] == 'else':
                words = words[1].split(None, 1)
            expression = tokens(words[1])
            if word == 'range':
                return self.range(expression, inner, dot, scope, branches)
            value = self.pipeline(expression, dot, scope)
            if truth(value):
                return self.run(inner, value if word == 'with' else dot, dict(scope))
        return ''

    def range(self, expression, inner, dot, scope, branches):
        names = []
        if any(kind == 'decl' for kind, _value in expression):
            split = [kind for kind, _value in expression].index('decl')
            names = [value for kind, value in expression[:split] if kind == 'var']
            expression = expression[split + 1:]
        value = self.pipeline(expression, dot, scope)
        items = sorted(value.items()) if isinstance(value, dict) else list(enumerate(value or []))
        if not items:
            return self.run(branches[1][1], dot, dict(scope)) if len(branches) > 1 else ''
        out = []
        for key, item in items:
            local = dict(scope)
            if len(names) == 2:
                local[names[0]], local[names[1]] = key, item
            elif names:
                local[names[0]] = item
            out.append(self.run(inner, item, local))
        return ''.join(out)

    def include(self, name, dot):
        if name not in self.defines:
            raise UnknownConstruct('no template named %s' % name)
        return self.run(self.defines[name], dot, {'$': self.root})

    def pipeline(self, parts, dot, scope):
        commands, current, depth = [], [], 0
        for token in parts:
            if token == ('punct', '(') or token == ('punct', ')'):
                depth += 1 if token[1] == '(' else -1
            if token == ('punct', '|') and depth == 0:
                commands.append(current)
                current = []
            else:
                current.append(token)
        commands.append(current)
        value = MISSING
        for index, command in enumerate(commands):
            value = self.command(command, dot, scope, [value] if index else [])
        return value

    def command(self, parts, dot, scope, piped):
        args, index = [], 0
        while index < len(parts):
            kind, token = parts[index]
            if token == '(':
                depth, end = 0, index
                for end in range(index, len(parts)):
                    depth += {'(': 1, ')': -1}.get(parts[end][1], 0) if parts[end][0] == 'punct' else 0
                    if depth == 0:
                        break
                args.append(('value', self.pipeline(parts[index + 1:end], dot, scope)))
                index = end + 1
                continue
            args.append((kind, token))
            index += 1
        head_kind, head = args[0]
        if head_kind == 'ident' and head not in ('true', 'false', 'nil'):
            function = FUNCTIONS.get(head)
            if function is None:
                raise UnknownConstruct('function %s' % head)
            if head in ('and', 'or'):
                return function(self, [lambda arg=arg: self.operand(arg, dot, scope) for arg in args[1:]]
                                + [lambda value=value: value for value in piped])
            return function(self, [self.operand(arg, dot, scope) for arg in args[1:]] + piped)
        value = self.operand(args[0], dot, scope)
        if callable(value):
            return value(*[self.operand(arg, dot, scope) for arg in args[1:]])
        return value

    def operand(self, arg, dot, scope):
        kind, token = arg
        if kind == 'value':
            return token
        if kind == 'str':
            return json.loads(token)
        if kind == 'raw':
            return token[1:-1]
        if kind == 'num':
            return float(token) if '.' in token else int(token)
        if kind == 'ident':
            return {'true': True, 'false': False, 'nil': None}[token]
        if kind == 'field':
            return _fields(dot, token[1:].split('.') if token != '.' else [])
        if kind == 'var':
            name, _dot, rest = token.partition('.')
            if name not in scope:
                raise UnknownConstruct('variable %s' % name)
            return _fields(scope[name], rest.split('.') if rest else [])
        raise UnknownConstruct('operand %s' % token)


def _fields(value, names):
    for name in names:
        value = value.get(name, MISSING) if isinstance(value, dict) else MISSING
        value = MISSING if value is None else value
    return value


def _indent(count, value):
    return '\n'.join(' ' * count + line for line in text(value).split('\n'))


def _semver(constraint, version):
    match = re.match(r'(>=|<=|>|<|=)?\s*v?(\d+)\.(\d+)', constraint)
    wanted = (int(match.group(2)), int(match.group(3)))
    have = tuple(int(part) for part in re.match(r'v?(\d+)\.(\d+)', version).groups())
    return {'>=': have >= wanted, '<=': have <= wanted, '>': have > wanted, '<': have < wanted}.get(
        match.group(1) or '=', have == wanted)


def _and(_chart, thunks):
    value = True
    for thunk in thunks:
        value = thunk()
        if not truth(value):
            return value
    return value


def _or(_chart, thunks):
    value = False
    for thunk in thunks:
        value = thunk()
        if truth(value):
            return value
    return value


def _kind(value):
    return {bool: 'bool', int: 'int', float: 'float64', str: 'string', dict: 'map', list: 'slice'}.get(
        type(value), 'invalid')


FUNCTIONS = {
    'and': _and, 'or': _or,
    'not': lambda c, a: not truth(a[0]),
    'eq': lambda c, a: any(a[0] == other for other in a[1:]),
    'ne': lambda c, a: a[0] != a[1],
    'add': lambda c, a: sum(int(text(value) or 0) for value in a),
    'quote': lambda c, a: ' '.join(json.dumps(text(value)) for value in a),
    'squote': lambda c, a: ' '.join("'%s'" % text(value) for value in a),
    'default': lambda c, a: a[1] if len(a) > 1 and truth(a[1]) else a[0],
    'indent': lambda c, a: _indent(a[0], a[1]),
    'nindent': lambda c, a: '\n' + _indent(a[0], a[1]),
    'toYaml': lambda c, a: yaml.safe_dump(a[0], default_flow_style=False).rstrip('\n') if truth(a[0]) else '{}',
    'sha256sum': lambda c, a: hashlib.sha256(text(a[0]).encode('utf-8')).hexdigest(),
    'print': lambda c, a: ''.join(text(value) for value in a),
    'printf': lambda c, a: re.sub(r'%[sdv]', '{}', a[0]).format(*[text(value) for value in a[1:]]),
    'semverCompare': lambda c, a: _semver(a[0], a[1]),
    'trunc': lambda c, a: text(a[1])[:a[0]],
    'trimSuffix': lambda c, a: text(a[1])[:-len(a[0])] if text(a[1]).endswith(a[0]) and a[0] else text(a[1]),
    'contains': lambda c, a: text(a[0]) in text(a[1]),
    'replace': lambda c, a: text(a[2]).replace(a[0], a[1]),
    'include': lambda c, a: c.include(a[0], a[1]),
    'tpl': lambda c, a: c.render_text(a[0]),
    'typeIs': lambda c, a: _kind(a[1]) == a[0],
    'kindIs': lambda c, a: _kind(a[1]) == a[0],
    'required': lambda c, a: a[1],
}
