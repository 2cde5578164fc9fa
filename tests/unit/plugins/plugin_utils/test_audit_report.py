"""The fleet report on the controller: gathering, summary counts, order, fail_on, escaping (HTML and
Markdown), JSON for other tools, and the filters through Jinja."""

import json
import re
from html.parser import HTMLParser

import pytest
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from helpers.core_versions import trusted

from ansible_collections.wso2ops.micro_integrator.plugins.plugin_utils.audit_html import render_html
from ansible_collections.wso2ops.micro_integrator.plugins.plugin_utils.audit_report import (
    fleet,
    render_json,
    render_markdown,
)
from helpers.audit_data import control_plane_sample, firewall, host_result, instance, jvm, sample

HOSTILE = '<script>alert(1)</script>|x&"\''


def test_fleet_summary_counts_and_order():
    report = fleet(sample(), fail_on='high', generated='2026-11-24T10:00:00Z')
    summary = report['summary']
    assert (summary['hosts'], summary['hosts_not_audited'], summary['instances']) == (5, 2, 4)
    assert summary['ports'] == 8 + 5 + 4 + 4  # web1 a (4 configured, 4 stale), web1 b (+7777), web2, clean
    assert summary['findings'] == {'critical': 1, 'high': 3, 'medium': 2, 'low': 0, 'info': 0}
    assert (summary['worst'], summary['fail_on'], summary['failing']) == ('critical', 'high', 4)
    assert [(item['severity'], item['host'], item['kind']) for item in report['findings']] == [
        ('critical', 'web2', 'management_exposed'), ('high', 'down', 'not_audited'),
        ('high', 'nothing', 'not_audited'), ('high', 'web1', 'offset_drift'),
        ('medium', 'web1', 'restart_pending'), ('medium', 'web1', 'unexpected_listener')]
    assert [host['host'] for host in report['hosts']] == ['clean', 'down', 'nothing', 'web1', 'web2']
    assert report['hosts'][1]['error'].startswith('unreachable: ssh: connect to host down')


@pytest.mark.parametrize('fail_on, failing', [('none', 0), ('critical', 1), ('high', 4), ('medium', 6), ('info', 6)])
def test_fail_on_counts_findings_at_or_above(fail_on, failing):
    assert fleet(sample(), fail_on)['summary']['failing'] == failing


def test_a_clean_fleet():
    report = fleet({'clean': host_result([instance()])}, 'info')
    assert report['summary']['failing'] == 0 and report['findings'] == []
    assert 'No drift' in render_markdown(report) and 'id="no-findings"' in render_html(report)


def test_a_failed_module_run_is_not_audited():
    report = fleet({'h': {'failed': True, 'msg': 'cannot read the open files of process 7: run as root'}})
    assert report['findings'][0]['message'] == 'cannot read the open files of process 7: run as root'
    assert report['hosts'][0]['audited'] is False


class _Collector(HTMLParser):
    """Every tag and every text node of a page, to prove that hostile values stay text."""

    def __init__(self):
        super().__init__()
        self.tags, self.texts, self.scripts, self.external = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ('src', 'href') or (value or '').startswith(('http:', 'https:', '//')):
                self.external.append((tag, name, value))

    def handle_data(self, data):
        (self.scripts if self.tags and self.tags[-1] == 'script' else self.texts).append(data)


def hostile_report():
    entry = instance(HOSTILE, processes=[jvm(101, [8290, 8253, 9201, 9164, 7777], home=HOSTILE)])
    entry['home'] = HOSTILE
    return fleet({HOSTILE: host_result([entry]), 'h2': {'unreachable': True, 'msg': HOSTILE}}, 'high')


def test_html_escapes_every_value_and_loads_nothing_from_outside():
    page = render_html(hostile_report())
    parsed = _Collector()
    parsed.feed(page)
    assert parsed.tags.count('script') == 1  # ours, at the end
    assert HOSTILE not in page and '&lt;script&gt;alert(1)&lt;/script&gt;|x&amp;&quot;&#x27;' in page
    assert any(HOSTILE in text for text in parsed.texts)
    assert parsed.external == [] and '@import' not in page and 'url(' not in page


def test_html_marks_drift_and_orders_findings_by_severity():
    page = render_html(fleet(sample(), 'high', generated='2026-11-24T10:00:00Z'))
    rows = re.findall(r'<tr class="drift sev-(\w+)">', page.split('<section', maxsplit=1)[0])
    assert rows == ['critical', 'high', 'high', 'high', 'medium', 'medium']
    assert '4 finding(s) at or above high: the audit fails (fail_on).' in page
    assert re.search(r'data-count="critical"><b>1</b>', page) and re.search(r'data-count="ports"><b>21</b>', page)
    # a stale listener: configured "no" and listening on the old port are both flagged
    assert '<td class="bad">no</td><td class="bad" title="pid 101">0.0.0.0 (stale)</td>' in page


def test_markdown_cells_cannot_break_the_table():
    text = render_markdown(hostile_report())
    table = [line for line in text.splitlines() if line.startswith('| ')]
    widths = set(len(re.findall(r'(?<!\\)\|', line)) for line in table[3:])
    assert widths == {7}  # every findings row has the six columns, pipes in values escaped
    assert '\\|x&"\'' in text


def test_json_holds_the_same_data():
    report = fleet(sample(), 'medium', generated='2026-11-24T10:00:00Z')
    assert json.loads(render_json(report)) == json.loads(json.dumps(report))
    assert json.loads(render_json(report))['format_version'] == 1


def test_no_secret_or_environment_reaches_the_report():
    entry = instance(text='[server]\noffset = 10\n[keystore.primary]\npassword = "s3cr3t-ks"\n')
    entry['processes'][0]['environ'] = {'DB_PASSWORD': 'hunter2'}
    entry['startup']['environment'] = {'API_TOKEN': 'tok-123'}
    text = render_json(fleet({'h': host_result([entry])}))
    assert not [secret for secret in ('s3cr3t-ks', 'hunter2', 'tok-123', 'DB_PASSWORD') if secret in text]


def render(expression, variables=None):
    return Templar(loader=DataLoader(), variables=variables or {}).template(trusted(expression))


def test_filters_through_jinja():
    results = {'web2': host_result([instance()], firewall(guarded=False)), 'down': None}
    out = render("{{ results | wso2ops.micro_integrator.audit_fleet('critical') "
                 "| wso2ops.micro_integrator.audit_render('markdown') }}", {'results': results})
    assert '**1 finding(s) at or above critical** (fail_on).' in out
    page = render("{{ results | wso2ops.micro_integrator.audit_fleet | wso2ops.micro_integrator.audit_render }}",
                  {'results': results})
    assert page.startswith('<!DOCTYPE html>')


@pytest.mark.parametrize('expression, message', [
    ("{{ {} | wso2ops.micro_integrator.audit_fleet('severe') }}",
     "audit_fleet: fail_on: severity 'severe' is not one of critical, high, medium, low, info or none"),
    ("{{ [] | wso2ops.micro_integrator.audit_fleet }}", 'audit_fleet: give a dict of host name to audit_info result'),
    ("{{ {} | wso2ops.micro_integrator.audit_fleet | wso2ops.micro_integrator.audit_render('pdf') }}",
     "audit_render: format 'pdf' is not one of html, json, markdown"),
    ("{{ {} | wso2ops.micro_integrator.audit_render }}", 'audit_render: give the report of the audit_fleet filter'),
    ("{{ {'a': None} | wso2ops.micro_integrator.audit_fleet | wso2ops.micro_integrator.audit_render(host='b') }}",
     "audit_render: host 'b' is not in the report; its hosts are a"),
])
def test_filter_errors_name_the_bad_input(expression, message):
    with pytest.raises(AnsibleError, match=re.escape(message)):  # AnsibleFilterError, wrapped by older cores
        render(expression)


def test_a_host_with_no_instance_fails_a_high_gate():
    report = fleet({'empty': host_result([]), 'clean': host_result([instance()])}, 'high')
    assert [(item['host'], item['kind']) for item in report['findings']] == [('empty', 'no_instance')]
    assert (report['summary']['instances'], report['summary']['failing']) == (1, 1)
    assert 'no MI instance is listed for this host and no MI JVM runs on it' in render_markdown(report)


def test_the_page_of_one_host_and_the_picture_as_text():
    report = fleet(control_plane_sample(), 'high', generated='2026-12-08T05:00:00Z')
    page = render("{{ report | wso2ops.micro_integrator.audit_render('html', host='mi2') }}", {'report': report})
    assert page.count('<svg class="picture"') == 1 and '>mi2</h2>' in page and '>mi1</h2>' not in page
    assert 'control_plane_blocked' in page and 'control_plane_port' not in page
    text = render_markdown(report)
    assert '    - ICP 10.89.170.20:9445 -> 9169: calls back mi1.example:9164 BROKEN' in text
    assert '    - management: 9164 management_https BROKEN; reached from 10.1.0.0/16' in text
    assert '    - public: 8258 https, 8295 http; reached from any address' in text
    assert 'icp-hmac-never-shown' not in text + page + render_json(report)
    data = json.loads(render_json(report))
    assert data['hosts'][0]['instances'][0]['control_plane']['advertised']['port'] == 9164
