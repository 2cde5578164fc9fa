"""What the tests need from ansible-core that differs between the versions the collection supports
(meta/runtime.yml: the lowest, 2.16, runs in `make compat`; the newest in the main venv)."""

import contextlib
import json
import re

__all__ = ('argument_error', 'patch_module_args', 'render', 'trusted')

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:
    from ansible.template import trust_as_template as trusted
except ImportError:  # ansible-core < 2.19: every string is a template, results are strings unless native
    from ansible.template import AnsibleNativeEnvironment

    def trusted(text):
        """A template string, as ansible-core 2.19 wants it marked (older ones trust every string)."""
        return text

    def render(expression):
        """The value of {{ expression }}, as a native Python value like ansible-core 2.19 gives it."""
        templar = Templar(loader=DataLoader()).copy_with_new_env(environment_class=AnsibleNativeEnvironment)
        return templar.template('{{ %s }}' % expression)
else:
    def render(expression):
        """The value of {{ expression }}, as Jinja gives it through Ansible's templar."""
        return Templar(loader=DataLoader()).template(trusted('{{ %s }}' % expression))

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19 reads the module's arguments from basic._ANSIBLE_ARGS
    @contextlib.contextmanager
    def patch_module_args(args):
        from ansible.module_utils import basic
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode('utf-8')
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved


def argument_error(msg):
    """An argument-spec error as ansible-core 2.19 words it: older versions say "of type <class 'str'>"."""
    return re.sub(r"<class '(\w+)'>", r'\1', msg)
