"""Kubernetes checks for the tests of wso2ops.micro_integrator.k8s_manifests, none of which needs a cluster: the
official schemas (kubernetes-validate, pinned in requirements.txt) of the oldest and newest Kubernetes versions the
docs claim, WSO2's chart rendered from its templates in ../shared (helpers.helm_template), a strategic merge of the
directives the module's patches use, and what a NetworkPolicy admits, read back from the objects."""

import copy
import os
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from helpers.helm_template import Chart
from helpers.runner import REPO

# The Kubernetes versions the docs claim (docs/docsite/rst/kubernetes.rst): the oldest and the newest schema.
KUBERNETES_VERSIONS = ('1.25.0', '1.37.0')
HELM_MI = REPO.parent / 'shared' / 'corpus' / 'helm-mi' / 'mi'
CHART_TEMPLATES = ('mi-service.yaml', 'mi-services-gateway.yaml', 'mi-deployment.yaml')
ANY = 'any address'
# The list fields the module's patches merge, with their merge keys (Kubernetes' patchMergeKey).
MERGE_KEYS = {'containers': 'name', 'ports': ('containerPort', 'port')}


def need_corpus(path):
    """Skip when a corpus folder is absent; under CI=true fail instead, with the reason."""
    if Path(path).is_dir():
        return
    message = 'corpus folder %s is absent (it lives in ../shared beside the checkout)' % path
    if os.environ.get('CI') == 'true':
        pytest.fail(message)
    pytest.skip(message)


def validate(item, versions=KUBERNETES_VERSIONS):
    """Validate one object against the strict schemas of the claimed versions (raises ValidationError)."""
    for version in versions:
        kubernetes_validate.validate(item, version, strict=True)


def chart_values(**overrides):
    """The chart's values.yaml with overrides given as {'wso2.config.portOffset': 3}."""
    values = yaml.safe_load((HELM_MI / 'values.yaml').read_text())
    for dotted, value in overrides.items():
        node = values
        parts = dotted.split('.')
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[parts[-1]] = value
    return values


def render_chart(values, release='orders', kube_version=KUBERNETES_VERSIONS[-1]):
    """(objects of the Service and Deployment templates, the chart's deployment.toml) for values, as the chart
    renders them for that Kubernetes version."""
    chart = Chart(HELM_MI, values, release=release, kube_version='v' + kube_version)
    return chart.objects(*CHART_TEMPLATES), chart.render_text((HELM_MI / 'confs' / 'deployment.toml').read_text())


def deep_merge(base, extra):
    """values merged as helm merges several -f files: maps key by key, the later file wins."""
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        merged[key] = deep_merge(merged[key], value) if isinstance(value, dict) and isinstance(
            merged.get(key), dict) else copy.deepcopy(value)
    return merged


def _merge_key(field, items):
    keys = MERGE_KEYS.get(field, ())
    for key in (keys,) if isinstance(keys, str) else keys:
        if all(key in item for item in items if isinstance(item, dict) and '$patch' not in item):
            return key
    raise AssertionError('no merge key for the list %s in a patch' % field)


def strategic_merge(target, patch, field=None):
    """target with patch merged as Kubernetes' strategic merge does for the directives the module's patches use:
    null deletes a key, a list holding {'$patch': 'replace'} replaces the list, other lists merge by their key."""
    if isinstance(patch, dict) and isinstance(target, dict):
        merged = copy.deepcopy(target)
        for key, value in patch.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = strategic_merge(merged[key], value, key)
            else:
                merged[key] = strategic_merge({}, value, key) if isinstance(value, dict) else copy.deepcopy(
                    [item for item in value if item != {'$patch': 'replace'}] if isinstance(value, list) else value)
        return merged
    if isinstance(patch, list):
        items = [item for item in patch if item != {'$patch': 'replace'}]
        if len(items) < len(patch) or not isinstance(target, list):
            return copy.deepcopy(items)
        key = _merge_key(field, items + target)
        merged = copy.deepcopy(target)
        for item in items:
            index = next((i for i, old in enumerate(merged) if old.get(key) == item.get(key)), None)
            if index is None:
                merged.append(copy.deepcopy(item))
            else:
                merged[index] = strategic_merge(merged[index], item, field)
        return merged
    return copy.deepcopy(patch)


def apply_patches(items, patches):
    """The objects with each patch applied to its target (kind and name); every target must exist."""
    result = [copy.deepcopy(item) for item in items]
    for patch in patches:
        index = next(i for i, item in enumerate(result) if item['kind'] == patch['target']['kind']
                     and item['metadata']['name'] == patch['target']['name'])
        result[index] = strategic_merge(result[index], patch['patch'])
    return result


def admitted(policies, container_ports=None):
    """{port: {sources} or ANY} that the NetworkPolicies admit (ports named in them resolved by container_ports)."""
    names = dict((port['name'], port['containerPort']) for port in container_ports or [] if 'name' in port)
    found = {}
    for policy in policies:
        for rule in policy['spec'].get('ingress') or []:
            for port in rule.get('ports') or []:
                number = names.get(port['port'], port['port'])
                peers = rule.get('from')
                if not peers:
                    found[number] = ANY
                elif found.get(number) != ANY:
                    found.setdefault(number, set()).update(peer['ipBlock']['cidr'] for peer in peers)
    return found


def wanted_access(listeners, public=None, management=(), monitoring=(), inbound=None):
    """{port: {sources} or ANY} as the source options ask, per exposure, from the listeners (closed ports absent)."""
    inbound = inbound or {}
    wanted = {}
    for listener in listeners:
        if listener.get('endpoint') in inbound:
            sources = inbound[listener['endpoint']]
        else:
            sources = {'public': public, 'management': management, 'monitoring': monitoring}[listener['exposure']]
        if sources is None:
            wanted[listener['port']] = ANY
        elif sources:
            wanted[listener['port']] = set(sources)
    return wanted
