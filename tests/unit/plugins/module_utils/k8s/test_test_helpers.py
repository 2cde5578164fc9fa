"""The test helpers the Kubernetes tests stand on: the chart evaluator refuses what it does not know, the strategic
merge follows Kubernetes' directives, and a missing corpus fails under CI=true."""

import pytest

from helpers.helm_template import Chart, UnknownConstruct, parse
from helpers.k8s import HELM_MI, need_corpus, strategic_merge


def test_a_missing_corpus_fails_under_ci_and_skips_elsewhere(tmp_path, monkeypatch):
    monkeypatch.setenv('CI', 'true')
    with pytest.raises(pytest.fail.Exception, match='is absent'):
        need_corpus(tmp_path / 'absent')
    monkeypatch.delenv('CI')
    with pytest.raises(pytest.skip.Exception):
        need_corpus(tmp_path / 'absent')


def test_the_chart_evaluator_refuses_what_it_does_not_know():
    need_corpus(HELM_MI)
    chart = Chart(HELM_MI, {'wso2': {}})
    with pytest.raises(UnknownConstruct, match='function lookup'):
        chart.render_text('{{ lookup "v1" "Secret" "ns" "x" }}')
    with pytest.raises(UnknownConstruct, match='no end'):
        parse('{{ if .Values.x }}open')
    assert chart.render_text('{{- if and .Values.a .Values.a.b }}yes{{ else }}no{{ end -}}') == 'no'
    assert chart.render_text('{{ add 8253 .Values.n -10 }}|{{ .Values.wso2.missing | quote }}') == '8243|""'


def test_the_strategic_merge_replaces_deletes_and_merges_by_key():
    target = {'containers': [{'name': 'a', 'ports': [{'containerPort': 1}], 'startupProbe': {'exec': {}}},
                             {'name': 'b'}]}
    patch = {'containers': [{'name': 'a', 'ports': [{'$patch': 'replace'}, {'containerPort': 2}],
                             'startupProbe': {'exec': None, 'httpGet': {'port': 2}}}]}
    assert strategic_merge(target, patch) == {'containers': [
        {'name': 'a', 'ports': [{'containerPort': 2}], 'startupProbe': {'httpGet': {'port': 2}}}, {'name': 'b'}]}
