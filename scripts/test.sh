#!/usr/bin/env bash
# The whole test suite: installs what it needs, type-checks, lints (scripts/lint.sh), starts the
# real-hypervisor harness (as root), runs every test inside its network
# namespace, and tears the harness down again.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh test
echo "== typecheck"
npx --no-install tsc -p tsconfig.json --noEmit
scripts/lint.sh

harness=scripts/harness/harness.sh
if [[ $(id -u) -eq 0 ]] && ip netns list >/dev/null 2>&1; then
  echo "== starting the real-hypervisor harness"
  trap '"$harness" down >/dev/null 2>&1 || true' EXIT
  "$harness" down >/dev/null 2>&1 || true
  "$harness" up
  echo "== tests (inside the harness namespace)"
  "$harness" exec env VMANGO_REQUIRE_HARNESS=1 npx --no-install vitest run "$@"
else
  echo "== tests (not root or no network namespaces: real-hypervisor tests will be skipped)"
  npx --no-install vitest run "$@"
fi
