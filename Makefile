# Two entry points for operators and CI: `make demo` and `make test`.
# Each target installs what it needs into a virtualenv of its own from a pinned requirements file:
#   .venv/                 requirements.txt           development and tests (lint, pytest, molecule, ansible-test)
#   .build/venv-runtime/   requirements-runtime.txt   ansible-core and tomlkit only: make demo, the tarball check
#   .build/venv-docs/      requirements-docs.txt      antsibull-docs, Sphinx, antsibull-changelog
#   .build/venv-compat/    requirements-compat.txt    the lowest ansible-core that meta/runtime.yml claims
#   .build/venv-newest/    requirements-newest.txt    the newest ansible-core, on Python 3.13 (PYTHON_NEWEST)
#   .build/venv-ee/        requirements-ee.txt        ansible-builder (make ee)
# Nothing is written outside the checkout except pip's cache and podman's images and containers
# (make molecule): Ansible's home, temporary files and tool caches all live under .build/ (make home checks
# make demo and make lint).
SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT := $(abspath .)
VENV ?= $(ROOT)/.venv
BUILD := $(ROOT)/.build
RUNTIME_VENV := $(BUILD)/venv-runtime
DOCS_VENV := $(BUILD)/venv-docs
COMPAT_VENV := $(BUILD)/venv-compat
NEWEST_VENV := $(BUILD)/venv-newest
# The newest ansible-core needs Python >= 3.12: pyenv's 3.13 (the CI image has it), else python3.13 on PATH.
PYTHON_NEWEST ?= $(or $(lastword $(wildcard $(or $(PYENV_ROOT),$(HOME)/.pyenv)/versions/3.13*/bin/python3.13)),python3.13)
# Ansible finds this collection through a symlinked ansible_collections tree.
COLLECTIONS := $(BUILD)/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/wso2ops/micro_integrator
# ansible-test and antsibull-changelog need a real copy whose path ends in ansible_collections/wso2ops/micro_integrator.
SANITY_COPY := $(BUILD)/sanity/ansible_collections/wso2ops/micro_integrator
CHANGELOG_COPY := $(BUILD)/changelog/ansible_collections/wso2ops/micro_integrator
# ansible-test keeps its cache in ~/.ansible/test: for that one command HOME is this folder.
SANITY_HOME := $(BUILD)/sanity-home
# The pip version ansible-test bootstraps in its sanity virtualenvs (see tests/sanity/get_pip_bootstrap.py).
ANSIBLE_TEST_PIP := 24_2
DOCS := $(BUILD)/docs
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
DIST := $(BUILD)/dist
# make dist builds from a copy of the tree at $(DIST_SRC)/$(COLLECTION_PATH), with the release notes folded in.
DIST_SRC := $(BUILD)/dist-src
COLLECTION_PATH := ansible_collections/wso2ops/micro_integrator
TARBALL := $(DIST)/wso2ops-micro_integrator-$(VERSION).tar.gz
# The built tarball installed into an empty collections path, and an empty folder to run it from as a user.
INSTALLED := $(BUILD)/installed
USER_DIR := $(BUILD)/user
AS_USER = cd $(USER_DIR) && env -u ANSIBLE_CONFIG -u PYTHONPATH ANSIBLE_COLLECTIONS_PATH=$(INSTALLED)
# pip's cache stays where pip keeps it, also for commands that get another HOME.
PIP_CACHE := $(or $(PIP_CACHE_DIR),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/pip)
TEST_STEPS := lint home changelog docs tarball newcomer ee unit compat compat-newest sanity molecule

export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PYTHONPATH := $(COLLECTIONS)
export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
export ANSIBLE_HOME := $(BUILD)/ansible-home
# Where modules run on localhost (the demo, the role test); make molecule unsets it for its podman hosts.
export ANSIBLE_REMOTE_TEMP := $(BUILD)/tmp/ansible-remote
export TMPDIR := $(BUILD)/tmp
export CONTAINERS_CONF := $(ROOT)/molecule/containers.conf
$(shell mkdir -p $(TMPDIR))
# pip runs `rustc --version` for its User-Agent. With rustup's proxy on PATH and no ~/.rustup, that call
# writes ~/.rustup/settings.toml; such a rustup has no toolchain to build with anyway, so its home is here.
ifeq ($(RUSTUP_HOME)$(wildcard $(HOME)/.rustup),)
export RUSTUP_HOME := $(BUILD)/rustup
endif

# Copies the tracked and new files of the tree (not .build/, not what .gitignore names) into $(1).
COPY_TREE = git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} cp --parents {} $(1)/

# python3 -m venv DIR, with the fix named when the venv module is missing (Debian: python3-venv).
NEW_VENV = python3 -m venv $(1) || { echo "make: python3 -m venv failed: install python3-venv (apt-get install python3-venv)" >&2; exit 1; }

.PHONY: help venv demo test lint home unit compat compat-newest sanity changelog changelog-release docs dist tarball newcomer ee molecule bench clean

help:
	@echo "make demo    - apply the collection to a sample MI home in a temp folder (no firewall change)"
	@echo "make test    - every check below, in order, with the time of each: $(TEST_STEPS)"
	@echo "make lint    - ansible-lint (production profile), the pins of the requirements files and requires_ansible, one licence"
	@echo "make home    - make demo and make lint in a copy of the tree with an empty HOME: nothing may appear in it"
	@echo "make unit    - pytest tests/unit (pure logic, filters) and tests/functional (modules, role, corpus, failure tests)"
	@echo "make changelog - lint the changelog fragments and check the release notes antsibull-changelog will write"
	@echo "make docs    - the HTML documentation site in .build/docs/html (antsibull-docs, Sphinx, warnings fail)"
	@echo "make dist    - the collection tarball in .build/dist, its CHANGELOG.rst with the release notes of its version"
	@echo "make tarball - make dist, check its files and release notes, install it and run its demo playbook"
	@echo "make newcomer - the README's Install block as written, in an empty HOME with a fresh copy of the checkout"
	@echo "make ee      - the execution environment definition (ee/): its build context (ansible-builder create) and the collection's dependencies"
	@echo "make compat  - unit tests and the demo playbook on the lowest ansible-core that meta/runtime.yml claims"
	@echo "make compat-newest - the same on the newest ansible-core (requirements-newest.txt), on Python 3.13"
	@echo "make sanity  - ansible-test sanity"
	@echo "make molecule - the role and the rollout on podman test hosts (root); scenarios side by side (MOLECULE_JOBS=2)"
	@echo "make bench   - engine, podman-host and fleet benchmarks, raw results in tests/bench/results (see README, Performance)"
	@echo "make changelog-release - fold pending fragments and new plugins into the release of galaxy.yml's version"

$(VENV)/.installed: requirements.txt
	$(call NEW_VENV,$(VENV))
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

# The build venvs are recreated whenever their requirements file changes. They hold no pip of their own
# when python3's pip can install into them (pip >= 22.3, --python): that saves make demo ~8 s of ensurepip.
$(BUILD)/venv-%/.installed: requirements-%.txt
	rm -rf $(@D)
	python3 -m venv --without-pip $(@D) && python3 -m pip --python $(@D)/bin/python install --quiet -r $< \
	  || { rm -rf $(@D); $(call NEW_VENV,$(@D)); $(@D)/bin/pip install --quiet -r $<; }
	touch $@

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(ROOT) $@

venv: $(VENV)/.installed $(COLLECTION_LINK)

# Runs with ansible-core and tomlkit only; the playbook removes its temporary MI home (under .build/tmp) in every case.
demo: $(RUNTIME_VENV)/.installed $(COLLECTION_LINK)
	$(RUNTIME_VENV)/bin/ansible-playbook playbooks/demo.yml

test:
	@mkdir -p $(BUILD) && : > $(BUILD)/test-times.txt
	@set -e; for step in $(TEST_STEPS); do \
	  start=$$SECONDS; $(MAKE) --no-print-directory $$step; \
	  echo "make $$step: $$((SECONDS - start)) s" >> $(BUILD)/test-times.txt; \
	done; echo "make test: every step passed"; cat $(BUILD)/test-times.txt

# --offline: ansible-lint must not install this collection into ~/.ansible/collections; it finds it
# through ANSIBLE_COLLECTIONS_PATH. galaxy[no-repository] is a warning until the project has a public
# repository URL to put in galaxy.yml (a placeholder would be false).
lint: venv
	python tests/packaging/check_requirements.py
	python tests/packaging/check_licence.py
	python tests/packaging/check_bench_figures.py
	ansible-lint --offline --profile production --warn-list 'galaxy[no-repository]'

unit: venv
	tests/install-packages.sh
	pytest tests/unit tests/functional

# The pinned ansible-core runs in make unit and make tarball (requirements.txt, requirements-runtime.txt).
# make compat runs what touches ansible-core on the lowest one that meta/runtime.yml claims: the filters, the
# plugin_utils and the modules run for real (tests/functional), less the engine's tests at scale (corpus, crash
# safety), the stand-in's own tests, the browser test, the firewall backends in namespaces (once, in make unit)
# and the ansible-runner test (ansible-runner is in the development venv only). The pure logic
# (tests/unit/plugins/module_utils) imports no ansible-core and runs once, in make unit.
COMPAT_TESTS := tests/unit/plugins/filter tests/unit/plugins/plugin_utils tests/functional
COMPAT_SKIP := test_crash_safety.py test_corpus.py test_audit_browser.py test_mi_standin.py test_firewall_namespaces.py \
  test_runner.py

# $(1): the venv to run the tests of make compat and the demo playbook with.
define COMPAT_RUN
	$(1)/bin/ansible --version | head -n 1
	$(1)/bin/python -m pytest $(COMPAT_TESTS) $(addprefix --ignore tests/functional/,$(COMPAT_SKIP))
	$(1)/bin/ansible-playbook playbooks/demo.yml
endef

compat: $(COMPAT_VENV)/.installed $(COLLECTION_LINK)
	$(call COMPAT_RUN,$(COMPAT_VENV))

# The same tests on the newest ansible-core, which the pinned one of requirements.txt trails.
$(NEWEST_VENV)/.installed: requirements-newest.txt
	@$(PYTHON_NEWEST) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null || { \
	  echo "make compat-newest: no Python 3.13 ('$(PYTHON_NEWEST)' is missing or older than 3.12): the newest" \
	       "ansible-core needs it. Install it (pyenv install 3.13) or name it: make compat-newest PYTHON_NEWEST=/path/to/python3.13" >&2; \
	  exit 1; }
	rm -rf $(@D)
	$(PYTHON_NEWEST) -m venv $(@D) && $(@D)/bin/pip install --quiet -r $<
	touch $@

compat-newest: $(NEWEST_VENV)/.installed $(COLLECTION_LINK)
	$(call COMPAT_RUN,$(NEWEST_VENV))

sanity: venv
	rm -rf $(SANITY_COPY) && mkdir -p $(SANITY_COPY)
	$(call COPY_TREE,$(SANITY_COPY))
	# The copy is a git repo of its own: ansible-test lists the files to check with git.
	cd $(SANITY_COPY) && git init -q && git add -A
	mkdir -p $(SANITY_HOME)/.ansible/test/cache
	cp tests/sanity/get_pip_bootstrap.py $(SANITY_HOME)/.ansible/test/cache/get_pip_$(ANSIBLE_TEST_PIP).py
	cd $(SANITY_COPY) && HOME=$(SANITY_HOME) PIP_CACHE_DIR=$(PIP_CACHE) ansible-test sanity --venv --python 3.11 --color no

# Fragments are linted; the release notes are checked on a copy (tests/packaging/check_changelog.py).
changelog: $(DOCS_VENV)/.installed
	$(DOCS_VENV)/bin/antsibull-changelog lint
	$(DOCS_VENV)/bin/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
	rm -rf $(CHANGELOG_COPY) && mkdir -p $(CHANGELOG_COPY)
	$(call COPY_TREE,$(CHANGELOG_COPY))
	cd $(CHANGELOG_COPY) && PATH=$(DOCS_VENV)/bin:$$PATH ANSIBLE_COLLECTIONS_PATH=$(BUILD)/changelog \
	  python $(ROOT)/tests/packaging/check_changelog.py .

# For the maintainer after merging and before tagging: folds the fragments and the new or renamed plugins into
# the release of galaxy.yml's version, writes changelogs/changelog.yaml and CHANGELOG.rst, removes the fragments.
changelog-release: $(DOCS_VENV)/.installed $(COLLECTION_LINK)
	PATH=$(DOCS_VENV)/bin:$$PATH antsibull-changelog release --version $(VERSION) --update-existing --refresh-plugins prevent-removal
	rm -f changelogs/.plugin-cache.yaml

# Every module, filter and role page from the collection's own docs, the guides of docs/docsite/, and
# Sphinx with warnings as errors.
docs: $(DOCS_VENV)/.installed $(COLLECTION_LINK)
	rm -rf $(DOCS) && mkdir -p $(DOCS)/rst && chmod og-w $(DOCS)/rst
	PATH=$(DOCS_VENV)/bin:$$PATH antsibull-docs --config-file docs/sphinx/antsibull-docs.cfg lint-collection-docs --plugin-docs --check-extra-docs-refs .
	PATH=$(DOCS_VENV)/bin:$$PATH antsibull-docs --config-file docs/sphinx/antsibull-docs.cfg \
	  collection --use-current --dest-dir $(DOCS)/rst wso2ops.micro_integrator
	cp docs/sphinx/index.rst $(DOCS)/rst/index.rst
	$(DOCS_VENV)/bin/sphinx-build -q -b html -c docs/sphinx -W --keep-going -n $(DOCS)/rst $(DOCS)/html
	@echo "make docs: $(DOCS)/html/index.html"

# The tarball is built from a copy of the tree in which antsibull-changelog has folded the pending fragments and
# new plugins into the release of galaxy.yml's version, as the maintainer's make changelog-release will: its
# CHANGELOG.rst always has a section for the version it is built as (a released version keeps its date).
dist: $(RUNTIME_VENV)/.installed $(DOCS_VENV)/.installed
	rm -rf $(DIST) $(DIST_SRC) && mkdir -p $(DIST) $(DIST_SRC)/$(COLLECTION_PATH)
	$(call COPY_TREE,$(DIST_SRC)/$(COLLECTION_PATH))
	cd $(DIST_SRC)/$(COLLECTION_PATH) && PATH=$(DOCS_VENV)/bin:$$PATH ANSIBLE_COLLECTIONS_PATH=$(DIST_SRC) \
	  $(DOCS_VENV)/bin/python $(ROOT)/tests/packaging/release.py .
	$(RUNTIME_VENV)/bin/ansible-galaxy collection build --output-path $(DIST) $(DIST_SRC)/$(COLLECTION_PATH)
	@echo "make dist: $(TARBALL)"

# Check the file list and the release notes, install into an empty collections path, and run the demo playbook
# by its FQCN from an empty folder with ansible-core and tomlkit only, as a user would. Then once more with a
# value the module refuses: the run fails and leaves no temporary MI home behind.
tarball: dist
	rm -rf $(INSTALLED) $(USER_DIR) && mkdir -p $(INSTALLED) $(USER_DIR)/tmp
	$(RUNTIME_VENV)/bin/python tests/packaging/check_tarball.py $(TARBALL)
	$(AS_USER) $(RUNTIME_VENV)/bin/ansible-galaxy collection install -p $(INSTALLED) $(TARBALL)
	$(AS_USER) $(RUNTIME_VENV)/bin/ansible-playbook wso2ops.micro_integrator.demo
	$(AS_USER) TMPDIR=$(USER_DIR)/tmp $(RUNTIME_VENV)/bin/ansible-playbook wso2ops.micro_integrator.demo \
	  -e '{"demo_ports": {"http": 70000}}' > $(USER_DIR)/failed-demo.log 2>&1; test $$? -ne 0
	grep -q 'Remove the temporary MI home' $(USER_DIR)/failed-demo.log
	@test -z "$$(ls -A $(USER_DIR)/tmp)" || { echo "the failed demo left $$(ls -A $(USER_DIR)/tmp)" >&2; exit 1; }
	@echo "make tarball: the failing demo run (port 70000) removed its temporary MI home"

# The README's Install block as it is written, in an empty HOME with a fresh copy of the checkout at ~/micro_integrator:
# make dist there (its own venvs), the install into ~/.ansible/collections from ~/my-project, the demo by its FQCN
# and ansible-doc, with the Ansible of requirements-runtime.txt on PATH (tests/packaging/check_newcomer.py).
newcomer: $(RUNTIME_VENV)/.installed
	python3 tests/packaging/check_newcomer.py $(BUILD)/newcomer $(RUNTIME_VENV) $(PIP_CACHE)

# The execution environment of ee/execution-environment.yml (ansible-builder version 3): its build context is
# written without a container engine and checked with what ansible-builder would install for the collection
# (tests/packaging/check_ee.py). It uses the tarball of make dist (make tarball, before it in make test).
EE_DIR := $(BUILD)/ee
ee: $(BUILD)/venv-ee/.installed $(RUNTIME_VENV)/.installed
	test -f $(TARBALL) || $(MAKE) --no-print-directory dist
	rm -rf $(EE_DIR) && mkdir -p $(EE_DIR)
	$(BUILD)/venv-ee/bin/ansible-builder create -f ee/execution-environment.yml -c $(EE_DIR)/context
	env -u ANSIBLE_CONFIG -u PYTHONPATH ANSIBLE_COLLECTIONS_PATH=$(EE_DIR)/collections \
	  $(RUNTIME_VENV)/bin/ansible-galaxy collection install -p $(EE_DIR)/collections $(TARBALL)
	PATH=$(BUILD)/venv-ee/bin:$$PATH $(BUILD)/venv-ee/bin/python tests/packaging/check_ee.py \
	  ee/execution-environment.yml $(EE_DIR)/context $(EE_DIR)/collections

# The image build keeps its own temporary folder (debootstrap needs a file system that allows device nodes).
# Ansible's remote temp is $HOME/.ansible/tmp, expanded by each host's shell: the podman test hosts keep
# their default, and the tasks molecule runs on localhost (or delegates there) keep theirs under .build/
# (Ansible would expand "~" to the user's home from the password database, not to $HOME).
# Without MOLECULE_ARGS the scenarios run side by side, MOLECULE_JOBS at a time, the longest (fleet) first
# (molecule/run-scenarios.sh: a log per scenario in .build/molecule-logs, its seconds in the output).
MOLECULE_JOBS ?= 2
MOLECULE_SCENARIOS ?= fleet $(filter-out fleet,$(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml)))))
molecule: venv
	env -u TMPDIR tests/hosts/build-image.sh
	mkdir -p $(BUILD)/molecule-home
	HOME=$(BUILD)/molecule-home ANSIBLE_REMOTE_TEMP='$$HOME/.ansible/tmp' \
	  $(if $(MOLECULE_ARGS),molecule test $(MOLECULE_ARGS),MOLECULE_LOGS=$(BUILD)/molecule-logs molecule/run-scenarios.sh $(MOLECULE_JOBS) $(MOLECULE_SCENARIOS))

# make demo and make lint as from a fresh clone with an empty HOME (a copy of the tree, the build venvs made
# anew, the development venv reused): nothing may appear in that HOME. pip's cache stays where pip keeps it.
HOME_CHECK := $(BUILD)/home-check
home: venv
	rm -rf $(HOME_CHECK) && mkdir -p $(HOME_CHECK)/home $(HOME_CHECK)/tree
	$(call COPY_TREE,$(HOME_CHECK)/tree)
	cd $(HOME_CHECK)/tree && git init -q && git add -A
	cd $(HOME_CHECK)/tree && env -u RUSTUP_HOME HOME=$(HOME_CHECK)/home PIP_CACHE_DIR=$(PIP_CACHE) \
	  $(MAKE) --no-print-directory demo lint VENV=$(VENV) > $(HOME_CHECK)/make.log 2>&1 \
	  || { tail -n 30 $(HOME_CHECK)/make.log; exit 1; }
	@written="$$(cd $(HOME_CHECK)/home && find . -mindepth 1 | head -n 20)"; \
	  test -z "$$written" || { echo "make home: make demo and make lint wrote under HOME: $$written" >&2; exit 1; }
	@echo "make home: make demo and make lint wrote nothing under an empty HOME (log: $(HOME_CHECK)/make.log)"

bench: venv
	$(if $(findstring --no-podman,$(BENCH_ARGS)),,env -u TMPDIR tests/hosts/build-image.sh)
	python tests/bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(BUILD)
