# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Python interpreter a module really runs with, and what to install into it.

A library is installed into the interpreter that imports it: a virtualenv gets it from pip, the
system Python from the OS package. The result fields let a role install exactly that (and nothing
when the operator says so) instead of matching the words of an error message.
"""

import sys


def running_python():
    """{'python': the interpreter's path, 'python_venv': the virtualenv's folder or None for the system Python}."""
    base = getattr(sys, 'base_prefix', sys.prefix)
    return {'python': sys.executable, 'python_venv': sys.prefix if sys.prefix != base else None}


def missing_library(library, os_package, purpose):
    """The result fields of a module that stops because `library` cannot be imported (nothing was changed)."""
    found = running_python()
    if found['python_venv']:
        how = 'the virtualenv %s: %s -m pip install %s' % (found['python_venv'], found['python'], library)
    else:
        how = 'the system Python: the OS package %s (or pip install %s)' % (os_package, library)
    msg = ('%s needs the Python library %s, which the interpreter %s cannot import; install it for %s. Nothing was '
           'changed' % (purpose, library, found['python'], how))
    return dict(found, msg=msg, missing_library=library, missing_package=os_package, changed=False)
