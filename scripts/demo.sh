#!/usr/bin/env bash
# Starts the panel on the embedded demo hypervisor (libvirt's test driver, in
# process): installs and builds what is missing first. Ctrl-C stops it.
# The address is 127.0.0.1:8000; set VMANGO_DEMO_LISTEN=HOST:PORT for another.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh demo
demo_dir=$(mktemp -d)
trap 'rm -rf "$demo_dir"' EXIT
# Run from an empty directory so no ./vmango.conf is picked up: that is what starts the demo.
cd "$demo_dir"
unset VMANGO_CONFIG
node "$OLDPWD/bin/vmango.js" "$@"
