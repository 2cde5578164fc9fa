"""Stand-in for WSO2 Micro Integrator (MI 4.x) on the test hosts.

MI itself cannot be downloaded on the test machines, so this program takes its place. It is
written from MI's own sources as summarised in tests/hosts/README.md, NOT from the collection's
code, so that it is an independent check of the collection. Like MI it runs in two stages:

1. the launcher, as bin/micro-integrator.sh: takes the script's arguments, exports the variables
   of every ``--env-file=FILE``, takes JAVA_OPTS from the environment (``--debug PORT`` drops it)
   and replaces itself (exec, same pid) by
2. the "JVM": ``mi_standin.py --jvm <JAVA_OPTS words> <script -D options> -Dcarbon.home=HOME
   org.wso2.micro.integrator.bootstrap.Bootstrap <script arguments>``, so that ps and /proc show
   a command line shaped like MI's. It reads <HOME>/conf/deployment.toml, resolves placeholders,
   and listens on the ports MI would open, answering each connection with a short HTTP response.

Refusing to start (exit 2, reason on stderr) where MI does not start: invalid TOML, an
unresolvable placeholder, a port value that Integer.parseInt rejects, two listeners on one port.
Standard library only (Python 3.11+ for tomllib).
"""

import json
import os
import re
import signal
import socket
import sys
import threading
import tomllib

BOOTSTRAP = "org.wso2.micro.integrator.bootstrap.Bootstrap"
DEFAULT_OFFSET = 10
MI_VERSION = "4.4.0-standin"
# -D options micro-integrator.sh always passes after JAVA_OPTS that decide listeners: the internal
# APIs it enables, and IPv4 sockets only (so MI listens on 0.0.0.0, not on IPv6).
SCRIPT_OPTIONS = ("-Djava.net.preferIPv4Stack=true", "-DenableReadinessProbe=true",
                  "-DenableLivenessProbe=true", "-DenableManagementApi=true")
STANDIN_OPTIONS = ("--home", "--instance")
SCRIPT_COMMANDS = ("start", "stop", "restart", "version", "car")
REQUEST_WAIT = 1.0  # seconds the internal HTTP port waits for a request before it speaks first

# deployment.toml key -> the key MI's config tool renames it to (config-tool/key-mappings.json),
# for the keys read here. MI resolves $ref{} AFTER this renaming.
KEY_MAPPINGS = {
    "transport.http.listener.port": "transport.http.listener.parameter.port",
    "transport.http.listener.bind_address": "transport.http.listener.parameter.bind-address",
    "transport.http.listener.secured_port": "transport.https.listener.parameter.port",
    "transport.http.listener.secured_bind_address": "transport.https.listener.parameter.bind-address",
    "mediation.internal_http_api_enable": "synapse_properties.'internal.http.api.enabled'",
    "mediation.internal_http_api_port": "synapse_properties.'internal.http.api.port'",
    "mediation.internal_https_api_port": "synapse_properties.'internal.https.api.port'",
    "mediation.synapse.command_debugger_port": "synapse_properties.'synapse.debugger.port.command'",
    "mediation.synapse.event_debugger_port": "synapse_properties.'synapse.debugger.port.event'",
    "transport.tcp.listener.port": "transport.tcp.listener.parameter.'transport.tcp.port'",
}
KEY_OF = {mapped: key for key, mapped in KEY_MAPPINGS.items()}
# MI's defaults (config-tool/default.json) for the keys read here, under their mapped names.
DEFAULTS = {
    "transport.http.listener.enable": True,
    "transport.http.listener.parameter.port": "8280",
    "transport.http.listener.secured_enable": True,
    "transport.https.listener.parameter.port": "8243",
    "synapse_properties.'internal.http.api.enabled'": True,
    "synapse_properties.'internal.http.api.port'": "9191",
    "synapse_properties.'internal.https.api.port'": "9154",
    "synapse_properties.'synapse.debugger.port.command'": "9005",
    "synapse_properties.'synapse.debugger.port.event'": "9006",
    "management_api.protocols": "https http",
    "readiness_probe.protocols": "http",
    "liveness_probe.protocols": "http",
    "prometheus_api.protocols": "http",
}
# Internal APIs (config-tool/templates/conf/internal-apis.xml.j2): name -> key of its protocols.
# MI runs an API only when the system property "enable<Name>" is true.
INTERNAL_APIS = {
    "ReadinessProbe": "readiness_probe.protocols",
    "LivenessProbe": "liveness_probe.protocols",
    "ManagementApi": "management_api.protocols",
    "PrometheusApi": "prometheus_api.protocols",
}
PLACEHOLDER = re.compile(r"\$(sys|env|ref)\{([^}]*)\}")
DOLLAR_BRACE = re.compile(r"\$\{([^}]*)\}")
JDWP_ADDRESS = re.compile(r"^-agentlib:jdwp=.*address=(?:[^,:]*:)?(\d+)")


class ConfigError(Exception):
    pass


# ---------------------------------------------------------------- stage 1: micro-integrator.sh

def xargs_words(text):
    """Words as `echo "$x" | xargs` prints them: quotes removed, blanks squeezed; None on an
    unmatched quote (xargs then prints nothing)."""
    words, word, quote, escaped, started = [], [], None, False, False
    for char in text:
        if escaped:
            word.append(char)
            escaped = False
        elif quote:
            if char == quote:
                quote = None
            else:
                word.append(char)
        elif char in "'\"":
            quote, started = char, True
        elif char == "\\":
            escaped = started = True
        elif char in " \t\n":
            if started:
                words.append("".join(word))
            word, started = [], False
        else:
            word.append(char)
            started = True
    if quote:
        return None
    if started:
        words.append("".join(word))
    while words and re.fullmatch(r"-[neE]+", words[0]):  # xargs runs echo, which takes these as options
        words.pop(0)
    return words


def export_env_file(path, environment):
    """The script's export_env_file: `while IFS='=' read -r key value` + xargs trimming + export."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            text = handle.read()
    except OSError:
        print(f"Error: File '{path}' not found.", flush=True)
        return
    for line in text.split("\n")[:-1]:  # read fails on a last line without newline: it is skipped
        key, _sep, value = line.partition("=")
        if value.endswith("=") and "=" not in value[:-1]:
            value = value[:-1]
        if key.startswith("#") or not key:
            continue
        key = " ".join(xargs_words(key) or [])
        value = " ".join(xargs_words(value) or [])
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            # dash (Debian's /bin/sh) stops the script on an invalid name in `export`.
            raise ConfigError(f"{path}: export: {key}: bad variable name")
        environment[key] = value
    print(f"Environment variables loaded from {path}.", flush=True)


def standin_options(words):
    """Split off the stand-in's own options (--home DIR, --instance NAME, --check)."""
    options, rest, index = {}, [], 0
    while index < len(words):
        word = words[index]
        if word in STANDIN_OPTIONS and index + 1 < len(words):
            options[word[2:]] = words[index + 1]
            index += 2
            continue
        if word == "--check":
            options["check"] = "1"
        else:
            rest.append(word)
        index += 1
    return options, rest


def launcher(argv):
    """Stage 1: what bin/micro-integrator.sh does before it starts the JVM; then exec stage 2."""
    options, args = standin_options(argv)
    words = " ".join(args).split()  # the script loops over $* unquoted
    environment = dict(os.environ)
    if "home" in options:
        environment["CARBON_HOME"] = os.path.abspath(options["home"])
    debug_port, debugging = None, False
    for word in words:
        if word in ("--debug", "-debug", "debug"):
            debugging = True
            continue
        if debugging:  # as in the script, every later word goes to the --debug branch
            debug_port = debug_port or word
        elif word.lstrip("-") in SCRIPT_COMMANDS:
            raise ConfigError(f"the stand-in runs in the foreground only; {word!r} is not supported")
        if word.startswith("--env-file="):
            export_env_file(word[len("--env-file="):], environment)
    java_opts = environment.get("JAVA_OPTS", "")
    if debugging:
        if not debug_port:
            raise ConfigError("Please specify the debug port after the --debug option")
        java_opts = f"-agentlib:jdwp=transport=dt_socket,server=y,suspend=y,address=*:{debug_port}"
    home = environment.get("CARBON_HOME")
    if not home:
        raise ConfigError("CARBON_HOME is not set (the unit sets it; by hand use --home DIR)")
    stage2 = [sys.executable, os.path.abspath(__file__), "--jvm"]
    stage2 += ["--check"] if "check" in options else []
    stage2 += [f"--instance={options['instance']}"] if "instance" in options else []
    stage2 += java_opts.split() + list(SCRIPT_OPTIONS) + [f"-Dcarbon.home={home}", BOOTSTRAP] + words
    sys.stdout.flush()
    os.execve(sys.executable, stage2, environment)


# ---------------------------------------------------------------- stage 2: the "JVM"

def system_properties(jvm_options, arguments, environment):
    """JVM options (JAVA_TOOL_OPTIONS and JDK_JAVA_OPTIONS first, _JAVA_OPTIONS last; -Dx alone
    is ""), then program arguments as MI's Main.processCmdLineArgs sets them (-Dx alone is "true")."""
    before = environment.get("JAVA_TOOL_OPTIONS", "").split() + environment.get("JDK_JAVA_OPTIONS", "").split()
    after = environment.get("_JAVA_OPTIONS", "").split()
    properties = {}
    for words, bare in ((before + jvm_options + after, ""), (arguments, "true")):
        for word in words:
            if word.startswith("-D") and len(word) > 2:
                name, sep, value = word[2:].partition("=")
                properties[name] = value if sep else bare
    return properties


def flatten(table, prefix=""):
    """Dotted keys as MI's config tool sees them; a key part holding a dot is single-quoted."""
    flat = {}
    for key, value in table.items():
        part = f"'{key}'" if "." in key else key
        name = f"{prefix}.{part}" if prefix else part
        if isinstance(value, dict):
            flat.update(flatten(value, name))
        else:
            flat[name] = value
    return flat


def load_config(home):
    path = os.path.join(home, "conf", "deployment.toml")
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle), path
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def substitute(value, kind, lookup, what):
    """value with $kind{NAME} replaced everywhere, also inside arrays and arrays of tables
    (MI's ReferenceResolver, for $sys and $env)."""
    def one(match):
        if match.group(1) != kind:
            return match.group(0)
        found = lookup(match.group(2))
        if found is None:
            raise ConfigError(what(match.group(2)))
        return found
    if isinstance(value, str):
        return PLACEHOLDER.sub(one, value)
    if isinstance(value, list):
        return [substitute(item, kind, lookup, what) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, kind, lookup, what) for key, item in value.items()}
    return value


def resolve_references(context):
    """$ref{KEY}: KEY is a key of the configuration after MI's key renaming; repeated until done."""
    for _round in range(len(context) + 1):
        pending = {key: value for key, value in context.items()
                   if isinstance(value, str) and "$ref{" in value}
        if not pending:
            return
        progressed = False
        for key, value in pending.items():
            names = [m.group(2) for m in PLACEHOLDER.finditer(value) if m.group(1) == "ref"]
            for name in names:
                if name not in context:
                    hint = f" (MI renames it to {KEY_MAPPINGS[name]})" if name in KEY_MAPPINGS else ""
                    raise ConfigError(f"{key}: Configuration with key {name} doesn't exist{hint}")
            if any(isinstance(context[name], str) and "$ref{" in context[name] for name in names):
                continue
            for name in names:
                target = context[name]
                if isinstance(target, (bool, list)):
                    value = target  # MI copies a boolean or a list as it is
                elif isinstance(value, str):
                    value = value.replace(f"$ref{{{name}}}", str(target))
            context[key] = value
            progressed = True
        if not progressed:
            raise ConfigError(f"References can't be resolved for {', '.join(sorted(pending))}")


def configuration(data, properties, environment):
    """MI's configuration context: flattened, renamed, defaults added, placeholders resolved."""
    context = {KEY_MAPPINGS.get(key, key): value for key, value in flatten(data).items()}
    for key, value in DEFAULTS.items():
        context.setdefault(key, value)
    context = substitute(context, "sys", lambda name: properties.get(name) or None,
                         lambda name: f"Error while retrieving {name} system property")
    context = substitute(context, "env", environment.get,
                         lambda name: f"Environment variable {name} not defined in system")
    resolve_references(context)
    return context


def name_of(key):
    return KEY_OF.get(key, key)


def as_int(value, what):
    """Integer.parseInt as MI uses it (Java 7+): an integer, or digits with an optional sign, no blanks."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value):
        return int(value)
    raise ConfigError(f"{what}: {value!r} is not a number (MI parses it with Integer.parseInt)")


def is_true(value):
    """`== true` in MI's templates and Boolean.parseBoolean: true, or the text "true" in any case."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def offset_of(context, properties, environment):
    if "portOffset" in properties:
        return as_int(properties["portOffset"], "-DportOffset"), "-DportOffset"
    value = context.get("server.offset")
    if value is None:
        return DEFAULT_OFFSET, "default"
    if isinstance(value, str):
        # carbon.xml values go through CarbonUtils.resolveSystemProperty: ${X} is a system
        # property, else an environment variable; unresolved it stays and fails to parse.
        def one(match):
            found = properties.get(match.group(1), environment.get(match.group(1)))
            return match.group(0) if found is None else found
        value = DOLLAR_BRACE.sub(one, value)
    return as_int(value, "[server] offset"), "[server] offset"


def internal_apis(context, properties):
    """{protocol: [API names]} of the internal APIs that run (internal-apis.xml, ConfigurationLoader)."""
    running = {"http": [], "https": []}
    if not is_true(context.get("synapse_properties.'internal.http.api.enabled'")):
        return running
    for api, key in INTERNAL_APIS.items():
        if not is_true(properties.get("enable" + api)):
            continue
        protocols = str(context.get(key, ""))
        for protocol in protocols.split(" ") if protocols else []:
            if protocol not in running:
                raise ConfigError(f"{key} = {protocols!r}: Unsupported Protocol found for Internal API")
            running[protocol].append(api)
    return running


def listeners(context, properties, environment, jvm_options):
    """[(alias, port, bind address or None, internal APIs served or None)] MI opens."""
    offset, _source = offset_of(context, properties, environment)
    found = []

    def add(alias, key, with_offset=True, bind_key=None, apis=None):
        port = as_int(context[key], name_of(key)) + (offset if with_offset else 0)
        bind = context.get(bind_key) if bind_key else None
        found.append((alias, port, bind, apis))

    if is_true(context.get("transport.http.listener.enable")):
        add("http", "transport.http.listener.parameter.port",
            bind_key="transport.http.listener.parameter.bind-address")
    if is_true(context.get("transport.http.listener.secured_enable")):
        add("https", "transport.https.listener.parameter.port",
            bind_key="transport.https.listener.parameter.bind-address")
    apis = internal_apis(context, properties)
    if apis["http"]:
        add("management_http", "synapse_properties.'internal.http.api.port'", apis=apis["http"])
    if apis["https"]:
        add("management_https", "synapse_properties.'internal.https.api.port'", apis=apis["https"])
    tcp_port = "transport.tcp.listener.parameter.'transport.tcp.port'"
    if is_true(context.get("transport.tcp.listener.enable")) and tcp_port in context:
        add(name_of(tcp_port), tcp_port, with_offset=False)
    if properties.get("esb.debug") in ("true", "super"):
        for key in ("synapse_properties.'synapse.debugger.port.command'",
                    "synapse_properties.'synapse.debugger.port.event'"):
            add(name_of(key), key, with_offset=False)
    for word in jvm_options:
        match = JDWP_ADDRESS.match(word)
        if match:
            found.append(("jdwp", int(match.group(1)), None, None))
    for word in re.split(r"[\s,]+", environment.get("MISTANDIN_EXTRA_PORTS", "").strip()):
        if word:
            found.append(("extra", as_int(word, "MISTANDIN_EXTRA_PORTS"), None, None))
    check_ports(found)
    return offset, found


def check_ports(found):
    seen = {}
    for alias, port, _bind, _apis in found:
        if not 1 <= port <= 65535:
            raise ConfigError(f"{alias}: port {port} is out of range")
        if port in seen:
            raise ConfigError(f"port {port} is used by both {seen[port]} and {alias} (Address already in use)")
        seen[port] = alias


# ---------------------------------------------------------------- serving

def open_listener(port, bind=None, ipv4_only=True):
    """The bind address given, else all addresses: IPv4 only when the JVM prefers IPv4 (MI's
    script sets -Djava.net.preferIPv4Stack=true), else IPv4 and IPv6 in one socket."""
    if bind or ipv4_only:
        family = socket.AF_INET if ipv4_only else 0
        family, kind, proto, _name, address = socket.getaddrinfo(
            bind or "0.0.0.0", port, family, socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(64)
        return sock
    try:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError:
        sock = None
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            sock.bind(("::", port))
            sock.listen(64)
            return sock
        except OSError as exc:
            sock.close()
            if exc.errno not in (97, 99):  # EAFNOSUPPORT, EADDRNOTAVAIL: no IPv6
                raise
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", port))
    sock.listen(64)
    return sock


def response(status, content_type, body):
    payload = body.encode()
    return (f"HTTP/1.0 {status}\r\nContent-Type: {content_type}\r\nConnection: close\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload


def internal_answer(request, apis, text):
    """MI's readiness (ReadinessResource) and liveness (LivenessResource) answers; else the text."""
    line = request.split(b"\r\n", 1)[0].decode("latin-1").split()
    path = line[1].split("?", 1)[0] if len(line) >= 2 else ""
    if path == "/healthz" and "ReadinessProbe" in apis:
        body = json.dumps({"version": MI_VERSION, "update_level": "null", "status": "ready"})
        return response("200 OK", "application/json", body)
    if path == "/liveness" and "LivenessProbe" in apis:
        return response("200 OK", "application/json", json.dumps({"server": "started"}))
    return response("200 OK", "text/plain", text)


def answer(conn, text, apis):
    """apis: the internal APIs this port serves over HTTP, or None (answer at once)."""
    try:
        payload = response("200 OK", "text/plain", text)
        if apis is not None:
            # The internal HTTP port answers real requests; a client that sends nothing (a bare
            # TCP probe) gets the plain answer after REQUEST_WAIT, like every other port.
            conn.settimeout(REQUEST_WAIT)
            try:
                request = conn.recv(4096)
            except socket.timeout:
                request = b""
            if request:
                payload = internal_answer(request, apis, text)
        conn.settimeout(2.0)
        conn.sendall(payload)
        conn.shutdown(socket.SHUT_WR)
        for _attempt in range(16):  # drain, so that close() does not turn into a reset
            if not conn.recv(4096):
                break
    except OSError:
        pass
    finally:
        conn.close()


def serve(sock, text, apis):
    while True:
        try:
            conn, _peer = sock.accept()
        except OSError:
            return
        threading.Thread(target=answer, args=(conn, text, apis), daemon=True).start()


def sd_notify(message):
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError as exc:
        print(f"mi-standin: sd_notify failed: {exc}", file=sys.stderr)


def jvm(argv):
    """Stage 2: argv = [--check] [--instance=NAME] JVM options ... BOOTSTRAP program arguments."""
    split = argv.index(BOOTSTRAP) if BOOTSTRAP in argv else len(argv)
    own = [word for word in argv[:split] if word.startswith("--")]
    jvm_options = [word for word in argv[:split] if not word.startswith("--")]
    properties = system_properties(jvm_options, argv[split + 1:], os.environ)
    # Read when the JVM's network stack starts: program arguments come too late for it.
    ipv4_only = is_true(system_properties(jvm_options, [], os.environ).get("java.net.preferIPv4Stack"))
    home = properties.get("carbon.home", ".")
    instance = next((word.split("=", 1)[1] for word in own if word.startswith("--instance=")),
                    os.path.basename(os.path.normpath(home)))
    tag = f"mi-standin[{instance}]"
    try:
        data, path = load_config(home)
        context = configuration(data, properties, os.environ)
        offset, found = listeners(context, properties, os.environ, jvm_options)
    except ConfigError as exc:
        print(f"{tag}: refusing to start: {exc}", file=sys.stderr)
        return 2
    summary = " ".join(f"{alias}={port}" for alias, port, _bind, _apis in found)
    if "--check" in own:
        print(f"instance={instance} offset={offset} {summary}")
        return 0
    sockets = []
    try:
        for alias, port, bind, apis in found:
            sockets.append((alias, port, open_listener(port, bind, ipv4_only), apis))
    except (OSError, UnicodeError) as exc:
        print(f"{tag}: cannot listen on port {port} ({alias}): {exc}", file=sys.stderr)
        return 3
    for alias, port, sock, apis in sockets:
        text = f"mi-standin instance={instance} alias={alias} port={port}\n"
        http_apis = apis if alias == "management_http" else None
        threading.Thread(target=serve, args=(sock, text, http_apis), daemon=True).start()
    print(f"{tag}: {path} offset={offset} listening {summary}", flush=True)
    sd_notify(f"READY=1\nSTATUS=listening {summary}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(3600):
        pass
    for _alias, _port, sock, _apis in sockets:
        sock.close()
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--jvm"]:
        return jvm(argv[1:])
    try:
        launcher(argv)
    except ConfigError as exc:
        print(f"mi-standin: refusing to start: {exc}", file=sys.stderr)
        return 2
    return 1  # not reached: launcher() execs stage 2


if __name__ == "__main__":
    sys.exit(main())
