#!/usr/bin/env bash
# Runs every benchmark in bench/ against the real-hypervisor harness and prints
# the figures (the README quotes the latest ones). Root only; sets up what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
harness=scripts/harness/harness.sh
started_here=0
if ! "$harness" status >/dev/null 2>&1; then
  "$harness" up
  started_here=1
fi
status=0
for bench in bench/*.ts; do
  echo "== $bench"
  "$harness" exec npx --no-install tsx "$bench" || status=$?
done
if ((started_here)); then "$harness" down; fi
exit "$status"
