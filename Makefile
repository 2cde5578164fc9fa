# Two entry points for operators and CI: `make demo` and `make test`.
# Every target installs what it needs into a project-local virtualenv from requirements.txt.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT := $(abspath .)
VENV ?= $(ROOT)/.venv
BUILD := $(ROOT)/.build
# Ansible finds this collection through a symlinked ansible_collections tree.
COLLECTIONS := $(BUILD)/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/wso2ops/micro_integrator
# ansible-test needs a real copy whose path ends in ansible_collections/wso2ops/micro_integrator.
SANITY_COPY := $(BUILD)/sanity/ansible_collections/wso2ops/micro_integrator
# The pip version ansible-test bootstraps in its sanity virtualenvs (see tests/sanity/get_pip_bootstrap.py).
ANSIBLE_TEST_PIP := 24_2

export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PYTHONPATH := $(COLLECTIONS)
export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
export CONTAINERS_CONF := $(ROOT)/molecule/containers.conf

.PHONY: help venv demo test lint unit sanity molecule bench clean

help:
	@echo "make demo   - apply the collection to a sample MI home in a temp folder (no firewall change)"
	@echo "make test   - lint, unit/property/corpus tests, ansible-test sanity, molecule scenarios"
	@echo "make bench  - engine and fleet benchmarks (see README, Performance)"

$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(ROOT) $@

venv: $(VENV)/.installed $(COLLECTION_LINK)

demo: venv
	ansible-playbook playbooks/demo.yml

test: lint unit sanity molecule

lint: venv
	ansible-lint --profile production

unit: venv
	pytest tests/unit

sanity: venv
	rm -rf $(SANITY_COPY) && mkdir -p $(SANITY_COPY)
	git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} cp --parents {} $(SANITY_COPY)/
	# The copy is a git repo of its own: ansible-test lists the files to check with git.
	cd $(SANITY_COPY) && git init -q && git add -A
	mkdir -p $(HOME)/.ansible/test/cache
	cp tests/sanity/get_pip_bootstrap.py $(HOME)/.ansible/test/cache/get_pip_$(ANSIBLE_TEST_PIP).py
	cd $(SANITY_COPY) && ansible-test sanity --venv --python 3.11 --color no

molecule: venv
	tests/hosts/build-image.sh
	molecule test --all

bench: venv
	python tests/bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(BUILD)
