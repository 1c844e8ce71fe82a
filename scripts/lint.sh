#!/usr/bin/env bash
# Lint, format check and the layer rule; part of scripts/test.sh. Fix formatting with
# `npx prettier --write .` and most lint findings with `npx eslint --fix .`.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== lint (typescript-eslint)"
npx --no-install eslint --max-warnings 0 server test bench static bin
echo "== format (prettier)"
npx --no-install prettier --check --log-level warn .
echo "== layers (dependency-cruiser: no upward imports, no circles)"
npx --no-install depcruise --config .dependency-cruiser.cjs --output-type err server
