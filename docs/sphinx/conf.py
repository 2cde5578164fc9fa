# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sphinx configuration of `make docs`: the pages antsibull-docs renders from the collection, built
offline with warnings as errors (sphinx-build -W -n)."""

import os
import zlib

project = 'wso2ops.micro_integrator'
copyright = 'wso2ops contributors, GPL-3.0-or-later'
title = 'wso2ops.micro_integrator'
html_short_title = 'wso2ops.micro_integrator'

extensions = ['sphinx.ext.intersphinx', 'sphinx_antsibull_ext']

pygments_style = 'ansible'
highlight_language = 'YAML+Jinja'

html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False
display_version = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False

default_role = 'any'
nitpicky = True

# The pages antsibull-docs writes link to a few pages of the Ansible documentation. Its inventory
# cannot be downloaded here, so this one is written from the list below: the links point to the real
# pages and an unknown label still fails the build. Add a label here when a new page links to one.
ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/devel/'
ANSIBLE_LABELS = {
    'ansible_configuration_settings': ('reference_appendices/config.html#ansible-configuration-settings',
                                       'Ansible Configuration Settings'),
    'common_return_values': ('reference_appendices/common_return_values.html#common-return-values',
                             'Return Values'),
}


def _write_inventory(path):
    header = ('# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n'
              '# The remainder of this file is compressed using zlib.\n')
    body = ''.join('%s std:label -1 %s %s\n' % (label, uri, name) for label, (uri, name) in ANSIBLE_LABELS.items())
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as handle:
        handle.write(header.encode('utf-8') + zlib.compress(body.encode('utf-8')))
    return path


# Written under the checkout's .build/ (this file is docs/sphinx/conf.py).
_INVENTORY = _write_inventory(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '.build',
                                           'docs', 'ansible_devel.inv'))
intersphinx_mapping = {'ansible_devel': (ANSIBLE_DOCS, _INVENTORY)}
