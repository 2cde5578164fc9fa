#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: deployment_toml
short_description: Set the ports and port offset of WSO2 Micro Integrator in deployment.toml
version_added: 0.1.0
description:
  - Edits the port keys of C(<MI_HOME>/conf/deployment.toml) in place with tomlkit, keeping every comment,
    blank line, key order, quoting and line ending that does not belong to a changed key.
  - Finds an existing key in whichever TOML spelling the file uses (a dotted key inside C([transport.http]),
    a nested C([transport.http.listener]) table, or a top-level dotted key) and never adds a duplicate key or table.
  - A missing key is added to its existing table; C(offset) goes right after the shipped C(# offset = 10) comment.
    When the table does not exist it is created after the last table of its group (a new C([transport.http])
    after the last C([transport.*]) table), or at the end of the file.
  - Placeholders (C($env{X}), C($sys{X}), C($ref{a.b}), C(${X})) are MI's way to share one file across
    environments. They are kept byte for byte unless you set that very key.
  - The file must be valid TOML 1.0 (checked with Python's C(tomllib)); anything else is refused with its
    line and column and never edited.
  - Everything is validated before the file is touched; the file is written atomically (temporary file in the
    same folder, then rename), keeping its mode and owner, under a lock that overlapping runs wait for. A symlinked
    I(path) is followed to its target when the link belongs to root or to the file's owner (see the notes).
  - Values of other keys (keystore and database passwords live in the same file) never appear in the diff,
    the result or an error message.
author:
  - wso2ops contributors (@wso2ops)
requirements:
  - tomlkit >= 0.11 on the managed host (Debian/Ubuntu package C(python3-tomlkit), or C(pip install tomlkit)) for edits
    of existing tables; reads, converged runs, edits that only add tables and check mode do not import it (without it,
    the check-mode diff shows the planned keys one per line; a real run that needs it fails naming the interpreter)
  - Python 3.11 or later (C(tomllib)), or C(tomli) on older Pythons, for strict TOML 1.0 validation
options:
  path:
    description:
      - Path of the deployment.toml, normally C(<MI_HOME>/conf/deployment.toml).
    type: path
    required: true
    aliases: [dest]
  offset:
    description:
      - The C([server] offset). It replaces MI's built-in offset 10, it does not add to it.
      - Omit it to leave the offset as it is. A C(-DportOffset) JVM argument still wins over the file at start-up.
    type: int
  ports:
    description:
      - Base ports to set, keyed by alias or by dotted TOML key.
      - "Aliases: C(http) (C(transport.http.listener.port), default 8280), C(https)
        (C(transport.http.listener.secured_port), 8243), C(management_http) (C(mediation.internal_http_api_port), 9191),
        C(management_https) (C(mediation.internal_https_api_port), 9154)."
      - Any other port setting is given by its dotted key, for example C(transport.tcp.listener.port); its last part
        must contain C(port). Keys that are not ports (C(mediation.inbound.port_offset_enable)), keys MI 4.x ignores
        (C([transport.https]), C([transport.ws]), legacy C([transport.passthru.*]) tables) and keys that name
        secrets are refused. A key MI's documentation does not know is written and reported in RV(notes).
      - Values must be integers from 1 to 65535 (MI reads them with C(Integer.parseInt)).
      - A value of C(null) removes the key so that MI's default applies. A port already stored as a string with the
        same number (C("8280")) is left as it is; a changed string port stays a string.
    type: dict
    default: {}
  create:
    description:
      - Create the file when it does not exist. Without it a missing file is an error.
      - A symbolic link to a file that does not exist is refused, also with O(create=true).
    type: bool
    default: false
  backup:
    description:
      - Keep a timestamped copy of the original file when it changes, with its mode and owner, written completely
        before the file is replaced (a full disk leaves no partial backup).
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.files
  - wso2ops.micro_integrator.file_safety
attributes:
  check_mode:
    support: full
    description: Reports the changes it would make and writes nothing.
  diff_mode:
    support: full
    description:
      - A unified diff of the changed lines with their line numbers, and no context lines (those may hold passwords).
      - A changed line that holds any other value (an inline table) is shown as a placeholder.
  platform:
    support: full
    platforms: posix
    description: Runs on POSIX hosts with Python 3 (and tomlkit for edits of existing tables).
notes:
  - The module refuses, before writing, a result that MI would not start with, naming every problem, for example
    a listener pushed past 65535 by the offset, two enabled listeners of the instance on one port, or a value such
    as C(" 8280 ") that C(Integer.parseInt) refuses.
  - Port changes take effect when MI restarts.
  - To take the JVM arguments and the environment of a running MI into account (C(-DportOffset), C($env{})), use
    M(wso2ops.micro_integrator.deployment_toml_info).
seealso:
  - module: wso2ops.micro_integrator.deployment_toml_info
  - plugin: wso2ops.micro_integrator.port_map
    plugin_type: filter
  - plugin: wso2ops.micro_integrator.effective_port
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Run a second MI instance with offset 11 (ports 8291, 8254, 9202, 9165)
  wso2ops.micro_integrator.deployment_toml:
    path: /opt/wso2mi/conf/deployment.toml
    offset: 11

- name: Move the HTTP pass-through listener and the TCP transport, go back to the default HTTPS port
  wso2ops.micro_integrator.deployment_toml:
    path: /opt/wso2mi/conf/deployment.toml
    ports:
      http: 8380
      https: null
      transport.tcp.listener.port: 8301
    backup: true
"""

RETURN = r"""
changes:
  description: The keys that changed, with their stored values before and after (null means absent).
  returned: always
  type: list
  elements: dict
  sample: [{key: transport.http.listener.port, before: 8280, after: 8380}]
offset:
  description:
    - The offset MI takes from the file after the change (10 when the file sets none).
    - Null when the file's offset is a placeholder (C($env{X})) this module cannot resolve.
  returned: success
  type: int
  sample: 10
effective_ports:
  description: The port each of the four documented listeners will use, by alias (null when unresolved).
  returned: success
  type: dict
  sample: {http: 8390, https: 8253, management_http: 9201, management_https: 9164}
base_ports:
  description: The base port of each documented listener after the change, by alias (null when unresolved).
  returned: success
  type: dict
  sample: {http: 8380, https: 8243, management_http: 9191, management_https: 9154}
ports:
  description:
    - Every listener of the instance after the change, keyed by alias or dotted key, as
      M(wso2ops.micro_integrator.deployment_toml_info) returns it (see its RV(wso2ops.micro_integrator.deployment_toml_info#module:ports) for the fields).
  returned: success
  type: dict
  sample:
    http: {key: transport.http.listener.port, alias: http, base: 8380, offset: 10, port: 8390, set_in_file: true}
notes:
  description: Keys of the file that name a port but are not MI listeners (outbound, ignored, legacy, unknown).
  returned: success
  type: list
  elements: dict
  sample: [{key: transport.http.sender.proxy_port, kind: outbound,
            message: "transport.http.sender.proxy_port: the HTTP proxy that outgoing calls go through"}]
path:
  description: The file that was edited (the target when I(path) is a symlink).
  returned: always
  type: str
  sample: /opt/wso2mi/conf/deployment.toml
backup_file:
  description: The backup copy, when one was made.
  returned: changed and backup is true
  type: str
  sample: /opt/wso2mi/conf/deployment.toml.12345.2026-11-23@10:00:00~
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.errors import CollectionError
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.interpreter import missing_library
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml.engine import (
    MissingTomlkit,
    edit_ports,
    unified_diff,
)
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.fileio import (
    backup,
    locate,
    write_atomic,
)
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.lock import DEFAULT_TIMEOUT, FolderLocks


def run(module):
    params = module.params
    folder, name, _info = locate(params['path'], create=True)  # the folder read, locked and written through
    result = {'changed': False, 'changes': [], 'path': os.path.join(folder.path, name)}
    with FolderLocks([] if module.check_mode else [folder], params['lock_timeout']):  # from the read to the rename
        snapshot = folder.read_entry(name, create=params['create'])
        text = snapshot.text
        edit = edit_ports(text or '', params['ports'], params['offset'], plan_only=module.check_mode)
        result.update(path=snapshot.path, changes=edit.changes, offset=edit.offset, effective_ports=edit.effective_ports,
                      base_ports=edit.base_ports, ports=edit.model['ports'], notes=edit.model['notes'],
                      changed=edit.changed or text is None)
        if module._diff:
            result['diff'] = {'prepared': unified_diff(text or '', edit.text, edit.changes, snapshot.path)}
        if result['changed'] and not module.check_mode:
            if params['backup'] and text is not None:
                result['backup_file'] = backup(module, snapshot)
            write_atomic(module, snapshot, edit.text, unsafe_writes=params['unsafe_writes'], expect=snapshot)
            if snapshot.hard_links:
                module.warn(snapshot.hard_links)
        # Ansible sets mode and owner by path: the descriptor's own path, so a swapped folder cannot redirect it.
        file_args = module.load_file_common_arguments(params, path=folder.proc_path(name))
        if not module.check_mode or text is not None:
            result['changed'] = module.set_fs_attributes_if_different(file_args, result['changed'])
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True, aliases=['dest']),
            offset=dict(type='int'),
            ports=dict(type='dict', default={}),
            create=dict(type='bool', default=False),
            backup=dict(type='bool', default=False),
            lock_timeout=dict(type='int', default=DEFAULT_TIMEOUT),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    try:
        module.exit_json(**run(module))
    except MissingTomlkit:
        module.fail_json(**missing_library('tomlkit', 'python3-tomlkit', 'writing the port keys into deployment.toml'))
    except CollectionError as exc:
        module.fail_json(msg='%s: %s' % (module.params['path'], to_native(exc)), changed=False)


if __name__ == '__main__':
    main()
