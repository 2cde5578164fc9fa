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

Deployed inbound endpoints (tests/hosts/README.md, "Inbound endpoints"): the XML files of
repository/deployment/server/synapse-configs/default/inbound-endpoints/ and the CApps of
repository/deployment/server/carbonapps/ (with the CApps under their dependencies/), each listening
endpoint bound like MI binds it. As in MI, an endpoint MI cannot deploy (no port, a bad value, a port
already held by another endpoint, by MI itself or by any process) is logged and left out: MI starts
without it. Standard library only (Python 3.11+ for tomllib).
"""

import errno
import io
import json
import os
import re
import signal
import socket
import sys
import threading
import tomllib
from xml.etree import ElementTree
import zipfile

BOOTSTRAP = "org.wso2.micro.integrator.bootstrap.Bootstrap"
DEFAULT_OFFSET = 10
MI_VERSION = "4.4.0-standin"
# -D options micro-integrator.sh always passes after JAVA_OPTS that decide listeners: the internal
# APIs it enables, and IPv4 sockets only (so MI listens on 0.0.0.0, not on IPv6).
SCRIPT_OPTIONS = ("-Djava.net.preferIPv4Stack=true", "-Dproperties.file.path=default", "-DenableReadinessProbe=true",
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


# ---------------------------------------------------------------- inbound endpoints

SYNAPSE = "{http://ws.apache.org/ns/synapse}"
SERVER_DIR = os.path.join("repository", "deployment", "server")
# protocol -> (port parameter, when the offset is added): "flag" = [mediation] inbound.port_offset_enable,
# "ws" = the endpoint's ws.use.port.offset; None = never (IE protocol/* of MI, Synapse InboundEndpointFactory).
INBOUND_PORTS = {"http": ("inbound.http.port", "flag"), "https": ("inbound.http.port", "flag"),
                 "ws": ("inbound.ws.port", "ws"), "wss": ("inbound.ws.port", "ws"),
                 "httpws": ("port", None), "httpswss": ("port", None), "hl7": ("inbound.hl7.Port", None),
                 "grpc": ("inbound.grpc.port", None)}


def deployed_xml(home, faulty):
    """[(where, inbound endpoint XML bytes)] and {key: local entry text} of what MI deploys from home; the file
    names of the CApps MI cannot deploy are appended to faulty (CappDeployer's faulty CApps)."""
    endpoints, entries = [], {}
    configs = os.path.join(home, SERVER_DIR, "synapse-configs", "default")
    for folder, target in (("local-entries", None), ("inbound-endpoints", endpoints)):
        path = os.path.join(configs, folder)
        for name in sorted(os.listdir(path)) if os.path.isdir(path) else []:
            if name.endswith(".xml"):
                with open(os.path.join(path, name), "rb") as handle:
                    data = handle.read()
                if target is None:
                    root = ElementTree.fromstring(data)
                    entries[root.get("key")] = root.text if len(root) == 0 else None
                else:
                    target.append((os.path.join(path, name), data))
    capps = os.path.join(home, SERVER_DIR, "carbonapps")
    for name in sorted(os.listdir(capps)) if os.path.isdir(capps) else []:
        if name.endswith(".car"):
            try:
                with open(os.path.join(capps, name), "rb") as handle:
                    read_capp(handle.read(), os.path.join(capps, name), endpoints, entries)
            except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
                print(f"ERROR Error occurred while deploying the Carbon application {name}: {exc}", flush=True)
                faulty.append(name)
    return endpoints, entries


def read_capp(data, where, endpoints, entries):
    """A CApp: artifacts.xml's dependencies, each artifact.xml's type and file; nested CApps of dependencies/."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    artifacts = {}
    for member in names:
        if member.count("/") == 1 and member.endswith("/artifact.xml"):
            root = ElementTree.fromstring(archive.read(member))
            files = [child.text.strip() for child in root if child.tag.endswith("file") and child.text]
            artifacts[(root.get("name"), root.get("version"))] = (member.split("/")[0], root.get("type"), files)
    application = ElementTree.fromstring(archive.read("artifacts.xml"))
    for dependency in application.iter("dependency"):
        folder, kind, files = artifacts.get((dependency.get("artifact"), dependency.get("version")), (None, None, []))
        for file_name in files:
            data = archive.read(f"{folder}/{file_name}")
            if kind == "synapse/inbound-endpoint":
                endpoints.append((f"{where}!{folder}/{file_name}", data))
            elif kind == "synapse/local-entry":
                root = ElementTree.fromstring(data)
                entries[root.get("key")] = root.text if len(root) == 0 else None
    for member in names:
        if member.startswith("dependencies/") and member.endswith(".car"):
            read_capp(archive.read(member), f"{where}!{member}", endpoints, entries)


def file_properties(home, properties):
    path = properties.get("properties.file.path")
    if path == "default":
        path = os.path.join(properties.get("conf.location") or os.path.join(home, "conf"), "file.properties")
    values = {}
    if path and os.path.isfile(path):
        with open(path, encoding="latin-1") as handle:
            for line in handle:
                line = line.strip()
                if line and line[0] not in "#!" and re.search(r"[=:]", line):
                    key, value = re.split(r"\s*[=:]\s*", line, maxsplit=1)
                    values[key] = value
    return values


def parameter_value(parameter, entries, environment, properties, files):
    """The value Synapse gives a <parameter>: a local entry for key=, else its text through the resolvers."""
    if parameter.get("key") is not None:
        if entries.get(parameter.get("key")) is None:
            raise ConfigError(f"Registry entry defined with key: {parameter.get('key')} not found")
        return entries[parameter.get("key")]
    text = parameter.text or ""
    prefixed = re.match(r"\$(SYSTEM|FILE):([_a-zA-Z0-9]+)", text)
    configs = re.match(r"\$\{configs\.([_a-zA-Z0-9]+)\}", text)
    if prefixed and prefixed.group(1) == "SYSTEM":
        value = environment.get(prefixed.group(2))
    elif prefixed:
        value = files.get(prefixed.group(2))
    elif configs:
        name = configs.group(1)
        value = environment.get(name, properties.get(name, files.get(name)))
    else:
        return text
    if value is None:
        raise ConfigError(f"{text} could not be resolved")
    return value


def inbound_listeners(home, context, properties, environment, offset, faulty):
    """[(endpoint name, port, bind, where)] of the endpoints that listen; logs what MI would not deploy."""
    endpoints, entries = deployed_xml(home, faulty)
    files = file_properties(home, properties)
    flag = is_true(context.get("synapse_properties.'inbound.port.offset.enable'",
                               context.get("mediation.inbound.port_offset_enable")))
    found = []
    for where, data in endpoints:
        root = ElementTree.fromstring(data)
        name, protocol = root.get("name"), (root.get("protocol") or "").lower()
        holder = root.find(SYNAPSE + "parameters")
        parameters = {p.get("name"): p for p in (holder.findall(SYNAPSE + "parameter") if holder is not None else [])}
        if is_true(root.get("suspend")) or protocol not in INBOUND_PORTS:
            continue  # suspended, or a polling / class-based endpoint: no port (the stand-in knows no MCP)
        key, rule = INBOUND_PORTS[protocol]
        try:
            values = {n: parameter_value(p, entries, environment, properties, files) for n, p in parameters.items()}
            if protocol == "grpc":
                port = int(values[key]) if re.fullmatch(r"[+-]?[0-9]+", values.get(key) or "") else 8888
            else:
                port = as_int(values.get(key), f"{name}: {key}")
        except ConfigError as exc:
            print(f"ERROR Inbound endpoint {name} ({where}) cannot be deployed: {exc}", flush=True)
            continue
        if rule == "flag" and flag or rule == "ws" and is_true(values.get("ws.use.port.offset")):
            port += offset
        found.append((name, port, values.get("hostname") if protocol in ("httpws", "httpswss") else None, where))
    return found


def bind_inbound(found, held, ipv4_only):
    """The endpoints' sockets; one whose port is held is undeployed with MI's log line."""
    sockets = []
    for name, port, bind, where in found:
        if held.get(port):
            print(f"ERROR Another endpoint named : {held[port]} is currently using this port: {port}; inbound "
                  f"endpoint {name} ({where}) is undeployed", flush=True)
            continue
        try:
            if port in held:  # MI's own listener
                raise OSError(errno.EADDRINUSE, "in use")
            sock = open_listener(port, bind, ipv4_only)
        except OSError as exc:
            reason = "already used by another application" if exc.errno == errno.EADDRINUSE else str(exc)
            print(f"ERROR Port {port} used by inbound endpoint {name} is {reason}; the endpoint ({where}) is undeployed",
                  flush=True)
            continue
        held[port] = name
        sockets.append((f"inbound.{name}", port, sock, None))
    return sockets


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


def internal_answer(request, apis, text, faulty):
    """MI's readiness (ReadinessResource: 500 while a CApp failed to deploy at the start, until the next start)
    and liveness (LivenessResource) answers; else the text."""
    line = request.split(b"\r\n", 1)[0].decode("latin-1").split()
    path = line[1].split("?", 1)[0] if len(line) >= 2 else ""
    if path == "/healthz" and "ReadinessProbe" in apis and faulty:
        body = json.dumps({"version": MI_VERSION, "status": "not ready, faulty CAPPs detected", "Faulty CAPPs": faulty})
        return response("500 Internal Server Error", "application/json", body)
    if path == "/healthz" and "ReadinessProbe" in apis:
        body = json.dumps({"version": MI_VERSION, "update_level": "null", "status": "ready"})
        return response("200 OK", "application/json", body)
    if path == "/liveness" and "LivenessProbe" in apis:
        return response("200 OK", "application/json", json.dumps({"server": "started"}))
    return response("200 OK", "text/plain", text)


def answer(conn, text, apis, faulty):
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
                payload = internal_answer(request, apis, text, faulty)
                if re.match(rb"GET /(healthz|liveness)[ ?]", request):
                    # What a probe asked and was answered, in the journal (tests read the times of the answers).
                    print(f"{text.strip()}: {request.split(b' ', 2)[1].decode('latin-1')} answered "
                          f"{payload.split(b' ', 2)[1].decode()}", flush=True)
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


def serve(sock, text, apis, faulty):
    while True:
        try:
            conn, _peer = sock.accept()
        except OSError:
            return
        threading.Thread(target=answer, args=(conn, text, apis, faulty), daemon=True).start()


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
    faulty = []
    inbound = inbound_listeners(home, context, properties, os.environ, offset, faulty)
    summary = " ".join(f"{alias}={port}" for alias, port, _bind, _apis in found)
    if "--check" in own:
        print(f"instance={instance} offset={offset} {summary}"
              + "".join(f" inbound.{name}={port}" for name, port, _bind, _where in inbound))
        return 0
    sockets = []
    try:
        for alias, port, bind, apis in found:
            sockets.append((alias, port, open_listener(port, bind, ipv4_only), apis))
    except (OSError, UnicodeError) as exc:
        print(f"{tag}: cannot listen on port {port} ({alias}): {exc}", file=sys.stderr)
        return 3
    sockets += bind_inbound(inbound, dict((port, None) for _alias, port, _sock, _apis in sockets), ipv4_only)
    summary = " ".join(f"{alias}={port}" for alias, port, _sock, _apis in sockets)
    for alias, port, sock, apis in sockets:
        text = f"mi-standin instance={instance} alias={alias} port={port}\n"
        http_apis = apis if alias == "management_http" else None
        threading.Thread(target=serve, args=(sock, text, http_apis, faulty), daemon=True).start()
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
