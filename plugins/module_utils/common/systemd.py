# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What systemd starts a service with: its command line and its environment.

Pure Python over the text of ``systemctl show`` and of EnvironmentFile= files (the module runs
systemctl itself and hands the text over). The rules follow systemd's own code, checked against
systemd 252 (Debian 12) and systemd's current source:

* ``systemctl show`` prints ExecStart as ``{ path=... ; argv[]=... ; ignore_errors=... ; ... }``
  with argv joined by single spaces WITHOUT quoting, so an argument that contains a space cannot
  be told apart from two arguments (the running process's /proc cmdline is exact);
* Environment= and other string lists are printed shell-quoted ("A=one two", "F=back\\\\slash");
* EnvironmentFile= files override Environment=, later files override earlier ones; a file
  prefixed with "-" may be missing; a path may be a glob;
* ExecStart expands ``$NAME`` (a whole word: split at whitespace) and ``${NAME}`` (one argument)
  from that environment when the service starts; ``systemctl show`` prints them unexpanded.
"""

import glob
import re

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.fileio import FileProblem, read_environment_file

SHOW_PROPERTIES = ('Id', 'LoadState', 'ActiveState', 'MainPID', 'FragmentPath', 'DropInPaths',
                   'ExecStart', 'Environment', 'EnvironmentFiles', 'TimeoutStopUSec')
# format_timespan() units of systemd (src/basic/time-util.c), in seconds.
_TIMESPAN_UNITS = {'y': 31557600, 'month': 2629800, 'w': 604800, 'd': 86400, 'h': 3600, 'min': 60, 's': 1,
                   'ms': 0.001, 'us': 0.000001}
_TIMESPAN_PART = re.compile(r'(\d+(?:\.\d+)?)(y|month|w|d|h|min|s|ms|us)')

_ENV_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*\Z')
_BRACED = re.compile(r'\$(\$)|\$\{([A-Za-z_][A-Za-z0-9_]*)\}')
_WHITESPACE = ' \t\n\r'
_NEWLINE = '\n\r'
_PLAIN_FIELDS = {'Id': 'id', 'LoadState': 'load_state', 'ActiveState': 'active_state', 'FragmentPath': 'fragment_path'}
_C_ESCAPES = {'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v', 's': ' '}


def show_argv(unit):
    """The command whose output parse_show() reads."""
    return ['systemctl', 'show', '--property=' + ','.join(SHOW_PROPERTIES), '--', unit]


def parse_timespan(text):
    """Seconds of a time span as systemctl show prints it ("1min 30s", "500ms", "90"), None for "infinity" or
    what is not a time span."""
    text = text.strip()
    if text.isdigit():
        return float(text)  # a plain number: seconds
    parts = text.split()
    found = [_TIMESPAN_PART.fullmatch(part) for part in parts]
    if not parts or not all(found):
        return None
    return sum(float(match.group(1)) * _TIMESPAN_UNITS[match.group(2)] for match in found)


def valid_env_name(name):
    """systemd (and a POSIX shell) accept only these names; other assignments are dropped."""
    return bool(_ENV_NAME.match(name))


def _unescape(text, i, quote):
    """Read a quoted word body from text[i] up to the closing quote; return (value, next index)."""
    out = []
    while i < len(text):
        char = text[i]
        if char == quote:
            return ''.join(out), i + 1
        if char == '\\' and i + 1 < len(text):
            i += 1
            char = text[i]
            if char in _C_ESCAPES:
                out.append(_C_ESCAPES[char])
            elif char in '01234567' and re.match(r'[0-7]{3}', text[i:i + 3]):
                out.append(chr(int(text[i:i + 3], 8)))
                i += 2
            elif char == 'x' and re.match(r'[0-9a-fA-F]{2}', text[i + 1:i + 3]):
                out.append(chr(int(text[i + 1:i + 3], 16)))
                i += 2
            else:
                out.append(char)
        else:
            out.append(char)
        i += 1
    raise ValueError('unterminated quote in %r' % text)


def split_quoted(text):
    """Words of a string list as systemctl show prints it: bare words, "double" or $'c-style' quoted."""
    words, i = [], 0
    while i < len(text):
        if text[i] in _WHITESPACE:
            i += 1
            continue
        word = []
        while i < len(text) and text[i] not in _WHITESPACE:
            if text[i] == '"':
                part, i = _unescape(text, i + 1, '"')
            elif text.startswith("$'", i):
                part, i = _unescape(text, i + 2, "'")
            else:
                part, i = text[i], i + 1
            word.append(part)
        words.append(''.join(word))
    return words


def _exec_command(value):
    """One ExecStart entry: {'path', 'argv', 'ignore_errors'}."""
    body = value.strip()
    if body.startswith('{') and body.endswith('}'):
        body = body[1:-1].strip()
    path, _sep, rest = body.partition(' ; argv[]=')
    # argv is unquoted: cut at the LAST field marker so that " ; " inside an argument survives.
    cut = rest.rfind(' ; ignore_errors=')
    argv_text, fields = (rest[:cut], rest[cut:]) if cut >= 0 else (rest, '')
    return {
        'path': path[len('path='):] if path.startswith('path=') else path,
        'argv': argv_text.split(' ') if argv_text else [],
        'ignore_errors': fields.startswith(' ; ignore_errors=yes'),
    }


def _environment_file(value):
    """One EnvironmentFiles entry: '/path (ignore_errors=yes)' -> {'path', 'optional'}."""
    path, sep, flag = value.rpartition(' (ignore_errors=')
    if not sep:
        return {'path': value, 'optional': False}
    return {'path': path, 'optional': flag.startswith('yes')}


def show_blocks(text):
    """Any `systemctl show` output as one list of (property, value) pairs per unit (blank lines separate units).

    Pairs, not a dict: a property such as ExecStart can be printed more than once."""
    blocks = [[]]
    for line in (text or '').splitlines():
        name, sep, value = line.partition('=')
        if sep:
            blocks[-1].append((name, value))
        elif not line.strip() and blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def parse_show(text):
    """The output of show_argv() as plain data.

    Returns {'id', 'load_state', 'active_state', 'main_pid' (int, None when not running),
    'fragment_path', 'drop_in_paths' [..], 'exec_start' [{'path', 'argv', 'ignore_errors'}],
    'environment' {name: value} (Environment= only, in order), 'environment_files'
    [{'path', 'optional'}], 'timeout_stop' (seconds before systemd kills a stopping service; None: never or
    not shown)}.
    """
    unit = {'id': '', 'load_state': '', 'active_state': '', 'main_pid': None, 'fragment_path': '',
            'drop_in_paths': [], 'exec_start': [], 'environment': {}, 'environment_files': [], 'timeout_stop': None}
    for name, value in (pair for block in show_blocks(text) for pair in block):
        if name == 'ExecStart':
            unit['exec_start'].append(_exec_command(value))
        elif name == 'EnvironmentFiles':
            unit['environment_files'].append(_environment_file(value))
        elif name == 'Environment':
            for word in split_quoted(value):
                key, _eq, val = word.partition('=')
                unit['environment'][key] = val
        elif name == 'DropInPaths':
            unit['drop_in_paths'] = split_quoted(value)
        elif name == 'MainPID':
            unit['main_pid'] = int(value) if value.isdigit() and int(value) > 0 else None
        elif name == 'TimeoutStopUSec':
            unit['timeout_stop'] = parse_timespan(value)
        elif name in _PLAIN_FIELDS:
            unit[_PLAIN_FIELDS[name]] = value
    return unit


class _EnvFileParser:
    """systemd's EnvironmentFile= syntax (src/basic/env-file.c, parse_env_file_internal):
    KEY=VALUE lines; '#' or ';' starts a comment line; whitespace around the key and the
    unquoted value is dropped; in an unquoted value a backslash escapes the next character and
    a backslash at the end of a line joins the next line; 'single quotes' are literal;
    in "double quotes" a backslash escapes only " \\ ` $ and a newline (other backslashes stay).
    A line without '=' is ignored. Later assignments win."""

    def __init__(self):
        self.pairs = {}
        self.key, self.value = [], []
        self.trailing_key_space = self.trailing_value_space = None

    def push(self, trim_value=True):
        key = ''.join(self.key[:self.trailing_key_space] if self.trailing_key_space is not None else self.key)
        value = self.value
        if trim_value and self.trailing_value_space is not None:
            value = value[:self.trailing_value_space]
        self.pairs[key] = ''.join(value)
        self.key, self.value = [], []
        self.trailing_key_space = self.trailing_value_space = None

    def parse(self, text):
        state = 'pre_key'
        for char in text:
            state = getattr(self, '_' + state)(char)
        if state in ('pre_value', 'value', 'value_escape', 'single', 'double', 'double_escape'):
            self.push(trim_value=state == 'value')
        return self.pairs

    def _pre_key(self, char):
        if char in '#;':
            return 'comment'
        if char in _WHITESPACE:
            return 'pre_key'
        self.key = [char]
        self.trailing_key_space = None
        return 'key'

    def _key(self, char):
        if char in _NEWLINE:
            self.key = []
            return 'pre_key'
        if char == '=':
            self.trailing_value_space = None
            return 'pre_value'
        if char not in _WHITESPACE:
            self.trailing_key_space = None
        elif self.trailing_key_space is None:
            self.trailing_key_space = len(self.key)
        self.key.append(char)
        return 'key'

    def _pre_value(self, char):
        if char in _NEWLINE:
            self.push(trim_value=False)
            return 'pre_key'
        if char == "'":
            return 'single'
        if char == '"':
            return 'double'
        if char == '\\':
            return 'value_escape'
        if char in _WHITESPACE:
            return 'pre_value'
        self.value.append(char)
        return 'value'

    def _value(self, char):
        if char in _NEWLINE:
            self.push()
            return 'pre_key'
        if char == '\\':
            self.trailing_value_space = None
            return 'value_escape'
        if char not in _WHITESPACE:
            self.trailing_value_space = None
        elif self.trailing_value_space is None:
            self.trailing_value_space = len(self.value)
        self.value.append(char)
        return 'value'

    def _value_escape(self, char):
        if char not in _NEWLINE:  # an escaped newline joins the lines
            self.value.append(char)
        return 'value'

    def _single(self, char):
        if char == "'":
            return 'pre_value'
        self.value.append(char)
        return 'single'

    def _double(self, char):
        if char == '"':
            return 'pre_value'
        if char == '\\':
            return 'double_escape'
        self.value.append(char)
        return 'double'

    def _double_escape(self, char):
        if char in '"\\`$':
            self.value.append(char)
        elif char != '\n':
            self.value.extend(('\\', char))
        return 'double'

    def _comment(self, char):
        if char == '\\':
            return 'comment_escape'
        return 'pre_key' if char in _NEWLINE else 'comment'

    @staticmethod
    def _comment_escape(char):
        # Since systemd 254 a backslash at the end of a comment no longer continues it.
        return 'pre_key' if char in _NEWLINE else 'comment'


def parse_environment_file(text):
    """Variables an EnvironmentFile= sets, in systemd's syntax.

    Returns (variables, ignored): {name: value} and the names systemd drops because they are
    not valid variable names.
    """
    pairs = _EnvFileParser().parse(text)
    ignored = [name for name in pairs if not valid_env_name(name)]
    return dict((name, value) for name, value in pairs.items() if valid_env_name(name)), ignored


def service_environment(unit, read_text=read_environment_file):
    """The environment systemd gives the service: Environment=, then each EnvironmentFile= in order.

    Returns {'environment': {name: value}, 'sources': {name: 'Environment=' or file path},
    'read_files': [paths read], 'problems': [..], 'warnings': [..]}. A missing or unreadable
    file is a problem only when it is not optional (systemd then refuses to start the unit);
    the manager's own environment (PATH, LANG, PassEnvironment=) is not included.
    """
    environment = dict(unit['environment'])
    sources = dict.fromkeys(environment, 'Environment=')
    read_files, problems, warnings = [], [], []
    for entry in unit['environment_files']:
        is_glob = any(char in entry['path'] for char in '*?[')
        paths = sorted(glob.glob(entry['path'])) if is_glob else [entry['path']]
        if not paths and not entry['optional']:
            problems.append('EnvironmentFile=%s of %s matches no file: systemd will not start the unit'
                            % (entry['path'], unit['id'] or 'the unit'))
        for path in paths:
            try:
                variables, ignored = parse_environment_file(read_text(path))
            except (IOError, OSError, UnicodeDecodeError, FileProblem) as exc:
                if not entry['optional']:
                    problems.append('EnvironmentFile=%s of %s cannot be read (%s): systemd will not start the unit'
                                    % (path, unit['id'] or 'the unit', getattr(exc, 'strerror', None) or exc))
                continue
            read_files.append(path)
            warnings.extend('%s: systemd ignores the assignment to %r (not a valid variable name)' % (path, name)
                            for name in ignored)
            environment.update(variables)
            sources.update(dict.fromkeys(variables, path))
    return {'environment': environment, 'sources': sources, 'read_files': read_files,
            'problems': problems, 'warnings': warnings}


def expand_argv(argv, environment):
    """ExecStart arguments as systemd expands them when it starts the service.

    A word that is exactly $NAME becomes the variable's value split at whitespace (zero or more
    words); ${NAME} anywhere in a word is replaced by the value as it is; $$ is a literal $.
    Unset variables expand to nothing.
    """
    expanded = []
    for word in argv:
        if word.startswith('$') and valid_env_name(word[1:]):
            expanded.extend(environment.get(word[1:], '').split())
            continue
        expanded.append(_BRACED.sub(lambda m: '$' if m.group(1) else environment.get(m.group(2), ''), word))
    return expanded
