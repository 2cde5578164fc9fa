# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a WSO2 Micro Integrator instance starts with: its JVM system properties and environment.

Read from MI's start script ``bin/micro-integrator.sh`` (public repository
wso2/product-integrator-mi, distribution/src/scripts/micro-integrator.sh; the same in
wso2/micro-integrator) and MI's launcher ``org.wso2.micro.integrator.server.Main``:

* ``--env-file=FILE`` is an argument of the SCRIPT. For every argument of that form the script
  exports the variables of FILE (its function export_env_file) before it starts the JVM, so they
  reach ``$env{}`` placeholders and JAVA_OPTS. A missing FILE prints "Error: File ... not found"
  and the start goes on without it. The file is read line by line with
  ``while IFS='=' read -r key value``: split at the first '=', lines whose key starts with '#' and
  empty keys skipped, a last line without a newline ignored (read fails on it), key and value
  trimmed with ``echo ... | xargs`` (which also removes quotes and squeezes inner blanks; an
  unmatched quote makes the value empty), then ``export "$key=$value"``: an invalid name stops
  the script under dash (Debian's /bin/sh) and is skipped by bash.
* The JVM command is ``java ... $JAVA_OPTS ... -Dcarbon.home="$CARBON_HOME" ... Bootstrap $*``:
  JAVA_OPTS is split at whitespace (quotes are NOT honoured), the script's own -D options come
  after it, and ALL script arguments go to the JVM as program arguments. Main.processCmdLineArgs
  sets each ``-Dname=value`` argument as a system property (a bare ``-Dname`` as "true") after the
  JVM started, so an argument overrides JAVA_OPTS; among JVM options the last one wins.
* ``--debug PORT`` replaces JAVA_OPTS by a JDWP agent on PORT (suspend=y).
* CARBON_HOME is the environment's CARBON_HOME, else the parent of the script's folder.
* The JVM also takes options from JAVA_TOOL_OPTIONS and JDK_JAVA_OPTIONS (before the command
  line) and _JAVA_OPTIONS (after it).
"""

import os
import re

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common import systemd as systemd_unit
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.fileio import FileProblem, read_environment_file
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.values import shown

BOOTSTRAP_CLASS = 'org.wso2.micro.integrator.bootstrap.Bootstrap'
SCRIPT_NAME = 'micro-integrator.sh'
# The script's own -D options that decide listeners (IPv4 sockets only; the internal APIs it
# enables; the file that inbound endpoints' $FILE: values come from); the others are left out.
SCRIPT_PROPERTIES = ('-Djava.net.preferIPv4Stack=true', '-Dproperties.file.path=default', '-DenableReadinessProbe=true',
                     '-DenableLivenessProbe=true', '-DenableManagementApi=true')
_INTERPRETERS = re.compile(r'^(sh|bash|dash|ksh|python[0-9.]*)\Z')
# java launcher options whose value is the next word (so that word is not the main class).
_JAVA_VALUE_OPTIONS = frozenset((
    '-cp', '-classpath', '--class-path', '-p', '--module-path', '--upgrade-module-path', '--add-modules',
    '--limit-modules', '--add-reads', '--add-exports', '--add-opens', '--patch-module',
    '--enable-native-access', '--source'))
_ECHO_OPTION = re.compile(r'^-[neE]+\Z')


def _xargs_words(text):
    """Words as GNU xargs reads them (blanks separate, quotes group, a backslash escapes), or None
    on an unmatched quote (xargs then runs nothing)."""
    words, word, quote, escaped, started = [], [], None, False, False
    for char in text:
        if escaped:
            word.append(char)
            escaped = False
        elif quote:
            if char == '\n':
                return None
            if char == quote:
                quote = None
            else:
                word.append(char)
        elif char in '\'"':
            quote, started = char, True
        elif char == '\\':
            escaped = started = True
        elif char in ' \t\n':
            if started:
                words.append(''.join(word))
            word, started = [], False
        else:
            word.append(char)
            started = True
    if quote:
        return None
    if started:
        words.append(''.join(word))
    while words and _ECHO_OPTION.match(words[0]):  # xargs runs echo, which takes these as options
        words.pop(0)
    return words


def _read_pair(line):
    """key, value as `IFS='=' read -r key value` splits a line (one trailing '=' is dropped)."""
    key, _sep, value = line.partition('=')
    if value.endswith('=') and '=' not in value[:-1]:
        value = value[:-1]
    return key, value


def parse_env_file(text):
    """Variables MI's script exports from ``--env-file=FILE`` text.

    Returns (variables, problems, warnings): problems stop MI's start; warnings name lines that
    MI reads differently from what they seem to say.
    """
    variables, problems, warnings = {}, [], []
    lines = text.split('\n')
    if lines[-1].strip():
        warnings.append('the last line (line %d) has no newline at its end: MI\'s script ignores it' % len(lines))
    for number, line in enumerate(lines[:-1], 1):
        raw_key, raw_value = _read_pair(line)
        if raw_key.startswith('#') or not raw_key:
            continue
        key_words, value_words = _xargs_words(raw_key), _xargs_words(raw_value)
        if key_words is None or value_words is None:
            warnings.append('line %d: unmatched quote: MI\'s script sets the variable to an empty value' % number)
        key, value = ' '.join(key_words or []), ' '.join(value_words or [])
        if '\\' in raw_value:
            warnings.append('line %d: a backslash is read differently by dash and bash (/bin/sh); '
                            'read here as bash does' % number)
        if '\r' in value:
            warnings.append('line %d: the value of %s ends in a carriage return (a file with Windows line ends): '
                            'MI sees it as part of the value' % (number, key))
        if not systemd_unit.valid_env_name(key):
            problems.append('line %d: %s is not a variable name: MI\'s script stops there under dash '
                            '(Debian\'s /bin/sh) and skips the line under bash' % (number, shown(key)))
            continue
        variables[key] = value
    return variables, problems, warnings


def split_jvm_argv(argv):
    """(JVM options, program arguments) of a command line that starts MI's JVM.

    The split is at MI's main class (also in the MI stand-in's command line); for another
    ``java`` command line at its main class; anything else is a launcher like MI's script,
    whose arguments all reach MI as program arguments.
    """
    if BOOTSTRAP_CLASS in argv:
        index = argv.index(BOOTSTRAP_CLASS)
        return list(argv[1:index]), list(argv[index + 1:])
    if argv and os.path.basename(argv[0]) == 'java':
        index = 1
        while index < len(argv):
            word = argv[index]
            if word in ('-jar', '-m', '--module'):
                return list(argv[1:index]), list(argv[index + 2:])
            if not word.startswith('-'):
                return list(argv[1:index]), list(argv[index + 1:])
            index += 2 if word in _JAVA_VALUE_OPTIONS else 1
        return list(argv[1:]), []
    return [], list(argv[1:])


def _environment_options(environment, java_launcher):
    """(before, after): (word, source) of the options the JVM takes from the environment.

    The JVM reads JAVA_TOOL_OPTIONS before its command line, the java launcher puts
    JDK_JAVA_OPTIONS in front of the command line, and _JAVA_OPTIONS comes after it (it wins).
    """
    names = ('JAVA_TOOL_OPTIONS', 'JDK_JAVA_OPTIONS') if java_launcher else ('JAVA_TOOL_OPTIONS',)
    before = [(word, name) for name in names for word in environment.get(name, '').split()]
    after = [(word, '_JAVA_OPTIONS') for word in environment.get('_JAVA_OPTIONS', '').split()]
    return before, after


def resolve_properties(jvm_options, arguments):
    """The system properties MI ends up with, from (word, source) pairs.

    jvm_options are JVM options (``-Dname`` alone is ""), arguments are program arguments that
    MI's Main sets afterwards (``-Dname`` alone is "true"). Returns (properties, sources,
    jvm_args): {name: value}, {name: source of the winning word} and the -D words in the
    order they apply (the last one of a name wins).
    """
    properties, sources, jvm_args = {}, {}, []
    for words, bare in ((jvm_options, ''), (arguments, 'true')):
        for word, source in words:
            if not word.startswith('-D') or len(word) < 3:
                continue
            name, sep, value = word[2:].partition('=')
            properties[name] = value if sep else bare
            sources[name] = source
            jvm_args.append(word)
    return properties, sources, jvm_args


def process_startup(argv, environ=None):
    """System properties of a running MI process, from its exact /proc cmdline and environ."""
    options, arguments = split_jvm_argv(argv)
    java = bool(argv) and os.path.basename(argv[0]) == 'java'
    before, after = _environment_options(environ or {}, java)
    properties, sources, jvm_args = resolve_properties(
        before + [(word, 'command line') for word in options] + after, [(word, 'argument') for word in arguments])
    return {'jvm_args': jvm_args, 'system_properties': properties, 'property_sources': sources,
            'carbon_home': properties.get('carbon.home')}


def _script_words(command):
    """The script arguments ($*) of an ExecStart: after the script when an interpreter runs it."""
    argv = command['argv']
    rest = argv[1:]
    if _INTERPRETERS.match(os.path.basename(command['path'])) and rest and not rest[0].startswith('-'):
        rest = rest[1:]
    return ' '.join(rest).split()  # the script uses $* unquoted: arguments are split again


def _script_path(command):
    for path in [command['path']] + command['argv'][1:2]:
        if os.path.basename(path) == SCRIPT_NAME:
            return path
    return None


def _script_arguments(words):
    """--env-file paths and the --debug port, as the script's argument loop finds them."""
    env_files, debug, debug_port = [], False, None
    for word in words:
        if word in ('--debug', '-debug', 'debug'):
            debug = True
            continue
        if debug and debug_port is None:
            debug_port = word
        if word.startswith('--env-file='):
            env_files.append(word[len('--env-file='):])
    return env_files, debug, debug_port


def _load_env_files(paths, environment, sources, read_text, result):
    for path in paths:
        try:
            text = read_text(path)
        except (IOError, OSError, UnicodeDecodeError, FileProblem) as exc:
            result['problems'].append('--env-file=%s cannot be read (%s): MI starts without its variables'
                                      % (path, getattr(exc, 'strerror', None) or exc))
            continue
        variables, problems, warnings = parse_env_file(text)
        result['read_files'].append(path)
        result['problems'].extend('--env-file=%s, %s' % (path, item) for item in problems)
        result['warnings'].extend('--env-file=%s, %s' % (path, item) for item in warnings)
        environment.update(variables)
        sources.update(dict.fromkeys(variables, '--env-file=%s' % path))


def _script_jvm_options(command, words, environment, sources, read_text, result):
    """JVM options of MI's script; also loads the --env-file files into environment."""
    env_files, debug, debug_port = _script_arguments(words)
    _load_env_files(env_files, environment, sources, read_text, result)
    if debug:
        if not (debug_port or '').isdigit():
            result['problems'].append('--debug needs a port after it (got %s): MI\'s script stops' % shown(debug_port))
        else:
            result['debug_port'] = int(debug_port)
        java_opts, origin = [], None
    else:
        java_opts = environment.get('JAVA_OPTS', '').split()
        origin = 'JAVA_OPTS (%s)' % sources.get('JAVA_OPTS')
    script = _script_path(command)
    home = environment.get('CARBON_HOME') or (os.path.dirname(os.path.dirname(script)) if script else None)
    result['carbon_home'] = home
    own = SCRIPT_PROPERTIES + (('-Dcarbon.home=%s' % home,) if home else ())
    return [(word, origin) for word in java_opts] + [(word, SCRIPT_NAME) for word in own]


def startup(unit, read_text=read_environment_file):
    """What MI, started by the systemd unit, starts with.

    unit is systemd_unit.parse_show()'s result. Returns {'unit', 'active', 'main_pid', 'launcher'
    ('script' or 'java'), 'argv' (ExecStart after systemd's $VAR expansion), 'carbon_home',
    'environment' {name: value}, 'environment_sources' {name: where it was set}, 'jvm_args'
    [-D words in the order they apply], 'system_properties' {name: value}, 'property_sources'
    {name: where the winning -D came from}, 'debug_port', 'read_files', 'problems', 'warnings'}.
    Environment values can be secrets: report names, or only the values used for ports.
    """
    service = systemd_unit.service_environment(unit, read_text)
    environment, sources = service['environment'], service['sources']
    result = {'unit': unit['id'], 'active': unit['active_state'] == 'active', 'main_pid': unit['main_pid'],
              'stop_timeout': unit.get('timeout_stop'),
              'launcher': None, 'argv': [], 'carbon_home': None, 'environment': environment,
              'environment_sources': sources, 'jvm_args': [], 'system_properties': {}, 'property_sources': {},
              'debug_port': None, 'read_files': service['read_files'], 'problems': service['problems'],
              'warnings': service['warnings']}
    if unit['load_state'] != 'loaded':
        result['problems'].append('unit %s is not loaded (LoadState=%s): check the service name'
                                  % (unit['id'], unit['load_state'] or 'unknown'))
        return result
    if not unit['exec_start']:
        result['problems'].append('unit %s has no ExecStart' % unit['id'])
        return result
    if len(unit['exec_start']) > 1:
        result['warnings'].append('unit %s has %d ExecStart commands: the last one is read'
                                  % (unit['id'], len(unit['exec_start'])))
    command = dict(unit['exec_start'][-1])
    command['argv'] = systemd_unit.expand_argv(command['argv'], environment)
    result['argv'] = command['argv']
    if os.path.basename(command['path']) == 'java':
        result['launcher'] = 'java'
        options, arguments = split_jvm_argv(command['argv'])
        options = [(word, 'ExecStart') for word in options]
    else:
        result['launcher'] = 'script'
        if '-c' in command['argv'][1:2]:
            result['warnings'].append('unit %s runs a shell command line (-c): its words are read as if they '
                                      'were the arguments of MI\'s script' % unit['id'])
        arguments = _script_words(command)
        options = _script_jvm_options(command, arguments, environment, sources, read_text, result)
    before, after = _environment_options(environment, java_launcher=True)
    properties, property_sources, jvm_args = resolve_properties(
        before + options + after, [(word, 'ExecStart argument') for word in arguments])
    result.update(system_properties=properties, property_sources=property_sources, jvm_args=jvm_args)
    if result['launcher'] == 'java':
        result['carbon_home'] = properties.get('carbon.home')
    return result
