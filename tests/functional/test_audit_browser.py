"""The audit page in a real headless browser: Debian's Chromium driven by playwright (pinned in
requirements.txt; it never downloads a browser). The page renders offline, a click on a column header
sorts the table, the findings are visible, the picture of who reaches what is drawn. The screenshots are kept as CI
artifacts in .build/audit-browser/mi-audit.png and mi-audit-control-plane.png."""

import os
import subprocess

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.plugin_utils.audit_html import render_html
from ansible_collections.wso2ops.micro_integrator.plugins.plugin_utils.audit_report import fleet
from helpers.runner import REPO
from helpers.audit_data import control_plane_sample, sample

CHROMIUM = '/usr/bin/chromium'
ARTIFACTS = REPO / '.build' / 'audit-browser'
# Flags for a headless browser in a container as root, that talks to nobody (no updates, no sync).
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run']


@pytest.fixture(scope='module')
def browser(tmp_path_factory):
    """Chromium with a fresh profile (one driver for every page of this file)."""
    subprocess.run([str(REPO / 'tests' / 'install-packages.sh')], check=True, timeout=900)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail('playwright is missing: pip install -r requirements.txt (it drives the system Chromium)')
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # Chromium also writes outside its profile (crash reports in ~/.config, dconf in ~/.cache): give it a
    # home of its own in the test's temporary folder.
    home = tmp_path_factory.mktemp('chromium-home')
    environment = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / '.config'),
                       XDG_CACHE_HOME=str(home / '.cache'))
    with sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp('chromium-profile')), executable_path=CHROMIUM, headless=True,
            args=FLAGS[1:], viewport={'width': 1280, 'height': 900}, env=environment)
        yield context
        context.close()


def open_page(context, report, name):
    """The report open in a new page; yields (page, requests, errors), then takes the screenshot <name>.png."""
    page_file = ARTIFACTS / ('%s.html' % name)
    page_file.write_text(render_html(report))
    page = context.new_page()
    requests, errors = [], []
    page.on('request', lambda request: requests.append(request.url))
    page.on('console', lambda message: errors.append(message.text) if message.type == 'error' else None)
    page.on('pageerror', lambda error: errors.append(str(error)))
    page.goto(page_file.as_uri())
    yield page, requests, errors
    page.screenshot(path=str(ARTIFACTS / ('%s.png' % name)), full_page=True)
    page.close()


@pytest.fixture(scope='module')
def browser_page(browser):
    yield from open_page(browser, fleet(sample(), 'high', generated='2026-11-24T10:00:00Z'), 'mi-audit')


@pytest.fixture(scope='module')
def control_plane_page(browser):
    yield from open_page(browser, fleet(control_plane_sample(), 'high', generated='2026-12-08T05:00:00Z'),
                         'mi-audit-control-plane')


def column(page, table, index):
    return page.eval_on_selector_all(
        '%s tbody tr' % table, 'rows => rows.map(row => row.cells[%d].textContent.trim())' % index)


def test_the_page_renders_offline_with_the_summary_and_the_findings(browser_page):
    page, requests, errors = browser_page
    assert page.title() == 'WSO2 MI port audit'
    assert page.inner_text('#summary [data-count="hosts"] b') == '5'
    assert page.inner_text('#summary [data-count="critical"] b') == '1'
    assert page.is_visible('#findings') and page.is_visible('text=management_exposed')
    assert page.is_visible('text=4 finding(s) at or above high: the audit fails (fail_on).')
    assert page.locator('section.host').count() == 5
    assert [url for url in requests if not url.startswith('file://')] == [] and errors == []


def test_a_click_on_a_header_sorts_the_table(browser_page):
    page = browser_page[0]
    first = page.locator('section.host table.instance').nth(2)  # web1, instance b
    ports_before = [int(p) for p in first.locator('tbody tr td:first-child').all_inner_texts()]
    assert ports_before == sorted(ports_before)
    first.locator('th button', has_text='Listener').click()
    names = first.locator('tbody tr td:nth-child(2)').all_inner_texts()
    assert names == sorted(names, key=str.lower) and names[0] == 'http'
    assert first.locator('th', has_text='Listener').get_attribute('aria-sort') == 'ascending'
    first.locator('th button', has_text='Port').click()
    first.locator('th button', has_text='Port').click()
    ports = [int(p) for p in first.locator('tbody tr td:first-child').all_inner_texts()]
    assert ports == sorted(ports_before, reverse=True)  # numbers sort as numbers: 7777 after 9211
    assert first.locator('th', has_text='Port').get_attribute('aria-sort') == 'descending'


def test_findings_sort_by_severity_rank_not_by_name(browser_page):
    page = browser_page[0]
    severity = page.locator('#findings th button', has_text='Severity')
    severity.click()  # ascending rank: critical first
    assert column(page, '#findings', 0)[:2] == ['critical', 'high']
    severity.click()
    assert column(page, '#findings', 0)[0] == 'medium' and column(page, '#findings', 0)[-1] == 'critical'
    page.locator('#findings th button', has_text='Host').click()
    hosts = column(page, '#findings', 1)
    assert hosts == sorted(hosts)


def test_drift_rows_are_highlighted(browser_page):
    page = browser_page[0]
    colour = page.eval_on_selector('section.host tr.drift.sev-medium td:first-child',
                                   'cell => getComputedStyle(cell).boxShadow')
    assert 'inset' in colour
    clean = page.locator('section.host').nth(0)
    assert clean.locator('tr.drift').count() == 0 and clean.locator('tbody tr').count() == 4


def test_the_picture_draws_who_reaches_what_and_the_broken_links_in_red(control_plane_page):
    page, requests, errors = control_plane_page
    assert [url for url in requests if not url.startswith('file://')] == [] and errors == []
    red = 'rgb(192, 57, 43)'  # --high
    mi1, mi2 = page.locator('section.host').nth(0), page.locator('section.host').nth(1)
    assert page.locator('svg.picture').count() == 2 and mi1.locator('svg.picture').is_visible()
    # mi1: ICP is told 9164 while -DportOffset=15 moved the Management API to 9169; the firewall lets ICP in
    assert mi1.locator('g.group[data-exposure="management"] g.port.broken[data-port="9169"]').count() == 1
    link = mi1.locator('g.link[data-kind="control_plane"]')
    assert 'broken' in link.get_attribute('class') and 'calls back mi1.example:9164' in link.text_content()
    assert link.locator('path').first.evaluate('p => getComputedStyle(p).stroke') == red
    assert 'broken' not in mi1.locator('g.link[data-kind="load_balancer"]').get_attribute('class')
    assert 'from 10.89.170.0/24' in mi1.locator('g.group[data-exposure="management"]').text_content()
    assert 'firewall lets it through' in mi1.locator('p.control-plane').inner_text()
    # mi2: the management sources leave ICP out; the port itself listens where ICP is told
    assert 'from 10.1.0.0/16' in mi2.locator('g.group[data-exposure="management"]').text_content()
    assert 'broken' in mi2.locator('g.link[data-kind="control_plane"]').get_attribute('class')
    assert 'firewall blocks it' in mi2.locator('p.control-plane').inner_text()
    assert [row.split('\t')[0] for row in page.locator('#findings tbody tr').all_inner_texts()] == ['high', 'high']
    assert 'icp-hmac-never-shown' not in page.content()
