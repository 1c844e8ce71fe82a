#!/usr/bin/env bash
# Installs everything the panel needs, then builds it. Safe to run again: each
# step is skipped when its inputs have not changed.
#   scripts/setup.sh demo   what the demo needs (libvirt client library, build tools)
#   scripts/setup.sh test   also the real-hypervisor test tier (libvirtd, qemu, sshd, …)
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-demo}

demo_packages=(libvirt-dev libvirt0 pkg-config build-essential python3 genisoimage xorriso)
test_packages=(libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86
  qemu-utils dnsmasq-base iptables openssh-server openssh-client iproute2 procps
  golang-go golang-golang-x-crypto-dev chromium debootstrap e2fsprogs debian-archive-keyring util-linux tini haproxy)

case "$profile" in
  demo) packages=("${demo_packages[@]}") ;;
  test) packages=("${demo_packages[@]}" "${test_packages[@]}") ;;
  *) echo "usage: scripts/setup.sh [demo|test]" >&2; exit 2 ;;
esac
# Extra Debian packages a site wants checked too (space-separated).
read -r -a extra_packages <<<"${VMANGO_SETUP_EXTRA_PACKAGES:-}"
packages+=("${extra_packages[@]}")

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages. Install them as root, then run this again:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

stamp_dir=.cache/setup
mkdir -p "$stamp_dir"
# Runs "$@" only when the hash of the named inputs changed since the last success.
step() {
  local name=$1 inputs=$2; shift 2
  local sum; sum=$({ eval "$inputs" 2>/dev/null || true; } | sha256sum | cut -d' ' -f1)
  if [[ -f $stamp_dir/$name && $(cat "$stamp_dir/$name") == "$sum" ]]; then return 0; fi
  say "$name"
  "$@"
  echo "$sum" >"$stamp_dir/$name"
}

# Not `npm ci`: the registry served here lacks other platforms' optional packages
# (e.g. rollup's darwin builds), which npm ci insists on finding in the lock file.
# `npm install --no-save` installs the locked versions and leaves the lock as it is.
# --ignore-scripts: npm would otherwise build the addon (binding.gyp) itself, and the step below
# builds it again; no dependency needs an install script of its own.
step "npm-install" "cat package-lock.json; node --version; [ -d node_modules ] && echo present" \
  npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel=error
# `npx vmango` in the checkout: npm links only dependencies' commands, not the package's own.
mkdir -p node_modules/.bin
ln -sfn ../../bin/vmango.js node_modules/.bin/vmango
step "native-build" "cat binding.gyp native/* 2>/dev/null; node --version; [ -f build/Release/vmango_libvirt.node ] && echo built" \
  npx --no-install node-gyp rebuild --loglevel=error
step "typescript-build" "find server -name '*.ts' -print0 | sort -z | xargs -0 cat; cat tsconfig*.json; [ -d dist ] && echo built" \
  bash -c "rm -rf dist && npx --no-install tsc -p tsconfig.build.json"
