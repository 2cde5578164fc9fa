#!/usr/bin/env bash
# Run molecule scenarios side by side, JOBS at a time, as `make molecule` does (its environment set):
#   molecule/run-scenarios.sh JOBS SCENARIO...
# Each scenario has its own containers and network, so independent scenarios overlap; most of a scenario's time is
# waiting (systemd, restarts, health gates, timeouts), which the other one fills. Each one's output goes to
# $MOLECULE_LOGS/<scenario>.log (default .build/molecule-logs); a line per scenario gives its result and seconds,
# and a failing one's log tail follows. Exits non-zero when any scenario failed.
set -uo pipefail
jobs=$1
shift
export MOLECULE_LOGS="${MOLECULE_LOGS:-.build/molecule-logs}"
mkdir -p "$MOLECULE_LOGS"

run_one() {
  local scenario=$1 start=$SECONDS log="$MOLECULE_LOGS/$1.log"
  # An Ansible home of its own: molecule's prerun copies the collection there, and two copies must not overlap.
  if ANSIBLE_HOME="${ANSIBLE_HOME:-$HOME/.ansible}/scenario-$scenario" molecule test -s "$scenario" >"$log" 2>&1; then
    echo "molecule $scenario: passed in $((SECONDS - start)) s"
  else
    echo "molecule $scenario: FAILED after $((SECONDS - start)) s (log: $log)"
    tail -n 80 "$log"
    return 1
  fi
}
export -f run_one

printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c 'run_one "$1"' _ {}
