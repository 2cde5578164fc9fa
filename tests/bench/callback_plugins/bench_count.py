# -*- coding: utf-8 -*-
# Copyright: wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark callback: per-host task and module-execution counts, and per-task wall time.

Writes one JSON file (path from the BENCH_COUNT_FILE environment variable) at the end of the play.
A task result "executed a module on the host" when it carries `invocation`: AnsibleModule adds it to
every module result, while controller-only actions (assert, set_fact, debug, fail, meta,
include_tasks, validate_argument_spec) never have one. A loop counts one execution per item that
ran. This is not a test: it measures, it asserts nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: bench_count
type: aggregate
short_description: Count tasks and module executions per host and time each task (benchmark only)
description:
  - Used by tests/bench/run.py. Writes its counts to the file named by BENCH_COUNT_FILE.
requirements:
  - BENCH_COUNT_FILE set in the environment
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


def _result_of(result):
    return getattr(result, 'result', None) or result._result


def _modules_run(res):
    """How many module executions on the host a task result stands for."""
    if 'results' in res and isinstance(res['results'], list):
        return sum(1 for item in res['results']
                   if isinstance(item, dict) and not item.get('skipped') and 'invocation' in item)
    return 1 if 'invocation' in res else 0


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_count'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.hosts = {}
        self.tasks = []
        self._current = None

    def _host(self, name):
        return self.hosts.setdefault(name, {
            'executed': 0, 'skipped': 0, 'changed': 0, 'failed': 0,
            'module_executions': 0, 'controller_only': 0, 'by_task': {}})

    def _close_task(self):
        if self._current is not None:
            self._current['wall_s'] = round(time.perf_counter() - self._current.pop('_start'), 4)
            self.tasks.append(self._current)
            self._current = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close_task()
        self._current = {'name': task.get_name(), 'action': task.action, '_start': time.perf_counter()}

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _record(self, result, status):
        res = _result_of(result)
        host = self._host(result._host.get_name())
        name = result._task.get_name()
        if status == 'skipped':
            host['skipped'] += 1
            return
        host['executed'] += 1
        host['failed'] += status == 'failed'
        host['changed'] += bool(res.get('changed'))
        modules = _modules_run(res)
        host['module_executions'] += modules
        host['controller_only'] += modules == 0
        entry = host['by_task'].setdefault(name, {'modules': 0, 'changed': False})
        entry['modules'] += modules
        entry['changed'] = entry['changed'] or bool(res.get('changed'))

    def v2_runner_on_ok(self, result):
        self._record(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed')

    def v2_runner_on_unreachable(self, result):
        self._record(result, 'failed')

    def v2_runner_on_skipped(self, result):
        self._record(result, 'skipped')

    def v2_playbook_on_stats(self, stats):
        self._close_task()
        path = os.environ.get('BENCH_COUNT_FILE')
        if not path:
            return
        with open(path, 'w') as handle:
            json.dump({'hosts': self.hosts, 'tasks': self.tasks}, handle, indent=1, sort_keys=True)
