#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: deployment_toml_info
short_description: Read the effective ports of WSO2 Micro Integrator from deployment.toml
version_added: 0.1.0
description:
  - Reads C(<MI_HOME>/conf/deployment.toml) and returns the offset MI will use with its source, and the base
    and effective port of each documented listener, telling which keys the file sets and which are defaulted.
  - The offset follows MI's precedence, highest first, C(-DportOffset) in I(jvm_args), C([server] offset) in the
    file, then the built-in 10. A manual offset replaces the 10.
  - Never returns other values of the file (it holds keystore and database passwords).
author:
  - wso2ops contributors (@wso2ops)
requirements:
  - tomlkit >= 0.11 on the managed host
options:
  path:
    description: Path of the deployment.toml.
    type: path
    required: true
  jvm_args:
    description:
      - The JVM arguments MI starts with (for example the value of C(JAVA_OPTS) or the start script's arguments),
        to honour C(-DportOffset=N). The last C(-DportOffset) wins.
    type: str
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
  platform:
    support: full
    platforms: posix
    description: Runs on POSIX hosts with Python 3 and tomlkit.
seealso:
  - module: wso2ops.micro_integrator.deployment_toml
"""

EXAMPLES = r"""
- name: Read the ports of an MI instance started with JAVA_OPTS
  wso2ops.micro_integrator.deployment_toml_info:
    path: /opt/wso2mi/conf/deployment.toml
    jvm_args: "-Xmx1g -DportOffset=12"
  register: mi

- name: Show the HTTP pass-through port
  ansible.builtin.debug:
    msg: "HTTP pass-through listens on {{ mi.effective_ports.http }} (offset {{ mi.offset }} from {{ mi.offset_source }})"
"""

RETURN = r"""
offset:
  description: The offset MI uses.
  returned: success
  type: int
  sample: 10
offset_source:
  description: Where the offset comes from, C(jvm), C(file) or C(default).
  returned: success
  type: str
  sample: default
base_ports:
  description: Base port of each documented listener by alias.
  returned: success
  type: dict
  sample: {http: 8280, https: 8243, management_http: 9191, management_https: 9154}
effective_ports:
  description: Port each documented listener listens on, by alias.
  returned: success
  type: dict
  sample: {http: 8290, https: 8253, management_http: 9201, management_https: 9164}
set_in_file:
  description: For the offset and each alias, whether the file sets it (true) or MI's default applies (false).
  returned: success
  type: dict
  sample: {offset: false, http: true, https: false, management_http: false, management_https: false}
ports:
  description: The port map of the instance, as the P(wso2ops.micro_integrator.port_map#filter) filter builds it.
  returned: success
  type: dict
  sample:
    http: {port: 8290, base: 8280, offset: 10, key: transport.http.listener.port, protocol: http,
           transport: tcp, exposure: public, public: true, description: HTTP pass-through transport}
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.deployment_toml import (
    HAS_TOMLKIT,
    TOMLKIT_IMPORT_ERROR,
    TomlEditError,
    parse_document,
    port_model,
)
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi_ports import PortError, port_map
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.text_file import FileProblem, read_text


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            jvm_args=dict(type='str'),
        ),
        supports_check_mode=True,
    )
    if not HAS_TOMLKIT:
        module.fail_json(msg=missing_required_lib('tomlkit'), exception=TOMLKIT_IMPORT_ERROR)
    try:
        doc = parse_document(read_text(module.params['path']).lstrip('\ufeff'))
        offset, source, bases, effective, set_in_file = port_model(doc, module.params['jvm_args'])
    except (PortError, TomlEditError, FileProblem) as exc:
        module.fail_json(msg='%s: %s' % (module.params['path'], to_native(exc)))
    module.exit_json(changed=False, offset=offset, offset_source=source, base_ports=bases,
                     effective_ports=effective, set_in_file=set_in_file, ports=port_map(bases, offset))


if __name__ == '__main__':
    main()
