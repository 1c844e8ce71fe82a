#!/usr/bin/env bash
# Builds a small bootable Debian 12 cloud guest image from Debian's packages,
# without mounting a filesystem and without a bootloader (direct kernel boot):
#
#   OUTDIR/Debian-12_amd64_qcow2.img   ext4 root filesystem on the whole disk (/dev/vda), qcow2
#   OUTDIR/vmlinuz                     the guest's kernel
#   OUTDIR/initrd.img                  its initrd (virtio_blk, virtio_net, ext4, ata_piix, sr_mod, isofs)
#   OUTDIR/manifest.json               cache key, kernel version, sizes, sha256 sums, timings
#
# Results are cached under VMANGO_GUEST_IMAGE_CACHE (default .cache/guest-image
# in the repository), keyed by a hash of this script, packages.txt and the
# suite; a run whose key is cached returns at once. Without OUTDIR the files
# stay in the cache entry. The last line on stdout is the directory holding
# the outputs. See scripts/guest-image/README.md.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/../.." && pwd)
SCRIPT_PATH="$SCRIPT_DIR/$(basename "${BASH_SOURCE[0]}")"
readonly SCRIPT_DIR REPO_DIR SCRIPT_PATH
readonly PACKAGES_FILE="$SCRIPT_DIR/packages.txt"
readonly SUITE=bookworm
readonly IMAGE_NAME=Debian-12_amd64_qcow2.img
readonly CACHE_DIR=${VMANGO_GUEST_IMAGE_CACHE:-$REPO_DIR/.cache/guest-image}
# Modules the initrd must hold to find the root disk and, early, the config drive.
readonly INITRD_MODULES=(virtio_pci virtio_blk virtio_net virtio_scsi virtio_console ext4 crc32c_generic ata_piix sr_mod cdrom isofs)
# Modules lsinitramfs must list, or the build fails.
readonly INITRD_REQUIRED=(virtio_blk virtio_net ext4)

log() { printf 'guest-image: %s\n' "$*" >&2; }
die() { printf 'guest-image: error: %s\n' "$*" >&2; exit 1; }

usage() {
  cat >&2 <<'EOF'
usage: scripts/guest-image/build.sh [OUTDIR]
  Builds (or takes from the cache) Debian-12_amd64_qcow2.img, vmlinuz, initrd.img
  and manifest.json; copies them to OUTDIR when given. Needs root.
  env: VMANGO_GUEST_IMAGE_CACHE  cache directory (default: <repo>/.cache/guest-image)
       VMANGO_GUEST_IMAGE_MIRROR Debian mirror (default: the first bookworm URI in
                                 /etc/apt/sources.list.d/debian.sources, else deb.debian.org)
EOF
}

START_SECONDS=$(date +%s.%N)
PHASE_START=$START_SECONDS
TIMINGS=()

elapsed_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# Ends the current phase: logs its duration and records it for the manifest.
phase_done() {
  local seconds
  seconds=$(elapsed_since "$PHASE_START")
  log "$1: ${seconds}s"
  TIMINGS+=("\"$1\":$seconds")
  PHASE_START=$(date +%s.%N)
}

default_mirror() {
  local sources=/etc/apt/sources.list.d/debian.sources uri
  if [[ -r $sources ]]; then
    # The URIs of the first stanza whose Suites lists the bare suite.
    uri=$(awk -v suite="$SUITE" '
      /^[[:space:]]*$/ { if (uris != "" && found) { print uris; exit } uris = ""; found = 0; next }
      /^URIs:/ { uris = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) found = 1 }
      END { if (uris != "" && found) print uris }' "$sources" | head -n 1)
    [[ -n $uri ]] && { printf '%s\n' "$uri"; return; }
  fi
  printf 'http://deb.debian.org/debian\n'
}

package_list() { sed -e 's/#.*//' -e 's/[[:space:]]//g' "$PACKAGES_FILE" | grep -v '^$'; }

# A cache entry counts only with all its outputs (the manifest is written last).
entry_complete() {
  local file
  for file in "$IMAGE_NAME" vmlinuz initrd.img manifest.json; do
    [[ -s $1/$file ]] || return 1
  done
}

cache_key() {
  { printf 'suite=%s\n' "$SUITE"; sha256sum <"$SCRIPT_PATH"; sha256sum <"$PACKAGES_FILE"; } | sha256sum | cut -c1-16
}

copy_outputs() {
  local from=$1 to=$2 file
  mkdir -p "$to"
  for file in "$IMAGE_NAME" vmlinuz initrd.img manifest.json; do
    cp --reflink=auto -f "$from/$file" "$to/$file.tmp.$$"
    mv -f "$to/$file.tmp.$$" "$to/$file"
  done
}

finish() {
  local entry=$1 outdir=$2
  if [[ -n $outdir ]]; then
    copy_outputs "$entry" "$outdir"
    log "outputs copied to $outdir ($(elapsed_since "$START_SECONDS")s in total)"
    printf '%s\n' "$(cd "$outdir" && pwd)"
  else
    printf '%s\n' "$entry"
  fi
}

# ------------------------------------------------------------------- build

# Unmounts whatever an interrupted debootstrap left mounted under DIR (its
# chroot's /proc, /sys, …), deepest first, then removes DIR without crossing
# into any mount that is still there.
remove_build_dir() {
  local dir=$1 mounts
  [[ -e $dir ]] || return 0
  mapfile -t mounts < <(awk -v prefix="$dir/" 'index($2, prefix) == 1 { print $2 }' /proc/mounts | sort -r)
  if ((${#mounts[@]} > 0)); then
    umount -l "${mounts[@]}" || die "could not unmount ${mounts[*]}"
  fi
  rm -rf --one-file-system "$dir"
}

# Keeps the newest KEEP cache entries; older keys come from earlier inputs.
prune_cache() {
  local keep=$1 old
  mapfile -t old < <(find "$CACHE_DIR" -mindepth 2 -maxdepth 2 -name manifest.json -printf '%T@ %h\n' | sort -rn | tail -n +"$((keep + 1))" | cut -d' ' -f2-)
  if ((${#old[@]} > 0)); then
    log "removing older cache entries: ${old[*]##*/}"
    rm -rf "${old[@]}"
  fi
}

write_guest_config() {
  local root=$1

  printf 'debian\n' >"$root/etc/hostname"
  cat >"$root/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1		localhost ip6-localhost ip6-loopback
ff02::1		ip6-allnodes
ff02::2		ip6-allrouters
EOF
  # The whole disk is the ext4 root (no partition table); the kernel mounts it rw.
  cat >"$root/etc/fstab" <<'EOF'
# <file system>	<mount point>	<type>	<options>		<dump>	<pass>
/dev/vda	/		ext4	defaults,errors=remount-ro	0	0
EOF

  # cloud-init: config drive (OpenStack config-2) or NoCloud (cidata), nothing else.
  cat >"$root/etc/cloud/cloud.cfg.d/90_vmango.cfg" <<'EOF'
# vmango guest image (scripts/guest-image/build.sh)
datasource_list: [ ConfigDrive, NoCloud, None ]
disable_root: true
ssh_pwauth: false
ssh_deletekeys: true
# No RSA host key: generating it takes about 20 s under TCG.
ssh_genkeytypes: [ecdsa, ed25519]
# /etc/hosts names the machine (sudo looks its hostname up).
manage_etc_hosts: true
# The root filesystem is the whole disk: growpart finds no partition to grow,
# resize_rootfs grows ext4 to the disk's size.
growpart:
  mode: auto
  devices: ['/']
resize_rootfs: true
# No locales are generated in this image; C.UTF-8 is built into glibc and
# already in /etc/default/locale, so cloud-init's locale module has nothing to do.
locale: C.UTF-8
system_info:
  default_user:
    name: debian
    lock_passwd: true
    gecos: Debian
    groups: [adm, sudo]
    sudo: ["ALL=(ALL) NOPASSWD:ALL"]
    shell: /bin/bash
EOF
  # ds-identify runs before udev has probed every device; never let it turn cloud-init off.
  printf 'policy: search,found=all,maybe=all,notfound=enabled\n' >"$root/etc/cloud/ds-identify.cfg"

  # Key logins only.
  mkdir -p "$root/etc/ssh/sshd_config.d"
  cat >"$root/etc/ssh/sshd_config.d/90-vmango.conf" <<'EOF'
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
EOF
  # Also in the main file, where cloud-init's set-passwords module looks: it
  # finds the setting in place and does not restart sshd under a first login.
  printf '\n# vmango guest image: key logins only\nPasswordAuthentication no\n' >>"$root/etc/ssh/sshd_config"
  printf 'LANG=C.UTF-8\n' >"$root/etc/default/locale"
  # Every machine gets its own host keys (cloud-init's ssh module generates them).
  rm -f "$root"/etc/ssh/ssh_host_*

  # DHCP on the first NIC even if cloud-init wrote no network config; cloud-init's
  # own file (10-cloud-init-*.network) sorts first and wins. The lease is matched
  # by MAC address, as libvirt's DHCP host entries are.
  mkdir -p "$root/etc/systemd/network"
  cat >"$root/etc/systemd/network/90-vmango-dhcp.network" <<'EOF'
[Match]
Name=eth* en*

[Network]
DHCP=ipv4

[DHCPv4]
ClientIdentifier=mac
EOF
  chroot "$root" systemctl enable systemd-networkd.service >&2
  # systemd 252's networkd sends a DHCPRELEASE when it stops, but without the
  # server identifier (option 54), and dnsmasq (libvirt's DHCP server) silently
  # ignores such a release: the lease would outlive a clean shutdown and keep the
  # reserved address from a new MAC. This unit sends a complete release for each
  # networkd lease; it stops before systemd-networkd (After=), at shutdown.
  mkdir -p "$root/usr/local/lib/vmango"
  cat >"$root/usr/local/lib/vmango/dhcp-release" <<'EOF'
#!/usr/bin/python3
# Sends a DHCPRELEASE for every DHCPv4 lease systemd-networkd holds, with the
# server identifier (option 54) that systemd 252's own RELEASE lacks and without
# which dnsmasq ignores it. Run at shutdown before systemd-networkd stops.
import os, random, socket, struct, sys

LEASES = '/run/systemd/netif/leases'
status = 0
for ifindex in sorted(os.listdir(LEASES)) if os.path.isdir(LEASES) else []:
    try:
        fields = dict(line.rstrip('\n').split('=', 1) for line in open(os.path.join(LEASES, ifindex)) if '=' in line)
        address, server = fields['ADDRESS'], fields['SERVER_ADDRESS']
        ifname = socket.if_indextoname(int(ifindex))
        mac = bytes.fromhex(open(f'/sys/class/net/{ifname}/address').read().strip().replace(':', ''))
        options = bytes([53, 1, 7]) + bytes([54, 4]) + socket.inet_aton(server)
        if fields.get('CLIENTID'):
            clid = bytes.fromhex(fields['CLIENTID'])
            options += bytes([61, len(clid)]) + clid
        packet = struct.pack('!BBBBIHH4s4s4s4s16s64s128sI', 1, 1, 6, 0, random.getrandbits(32), 0, 0,
                             socket.inet_aton(address), bytes(4), bytes(4), bytes(4), mac.ljust(16, b'\0'),
                             bytes(64), bytes(128), 0x63825363) + options + bytes([255])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
            try:
                sock.bind((address, 68))
            except OSError:
                sock.bind((address, 0))
            sock.sendto(packet, (server, 67))
        print(f'{ifname}: released {address} to {server}')
    except Exception as error:  # never block the shutdown
        print(f'ifindex {ifindex}: {error}', file=sys.stderr)
        status = 1
sys.exit(status)
EOF
  chmod 0755 "$root/usr/local/lib/vmango/dhcp-release"
  cat >"$root/etc/systemd/system/vmango-dhcp-release.service" <<'EOF'
[Unit]
Description=Release DHCPv4 leases (with server identifier) at shutdown
After=systemd-networkd.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
ExecStop=/usr/local/lib/vmango/dhcp-release

[Install]
WantedBy=multi-user.target
EOF
  chroot "$root" systemctl enable vmango-dhcp-release.service >&2
  # Background jobs that only cost CPU in a short-lived, emulated test guest.
  chroot "$root" systemctl disable e2scrub_reap.service e2scrub_all.timer apt-daily.timer apt-daily-upgrade.timer >&2
  # Logins on both consoles the panel shows: the serial one (a getty comes from console=ttyS0 on
  # the kernel command line) and the VGA text console of the VNC display (tty1).
  chroot "$root" systemctl enable getty@tty1.service >&2

  # initrd: just the modules a libvirt/QEMU guest needs, compressed with zstd.
  cat >"$root/etc/initramfs-tools/conf.d/vmango.conf" <<'EOF'
MODULES=list
COMPRESS=zstd
EOF
  printf '%s\n' "${INITRD_MODULES[@]}" >>"$root/etc/initramfs-tools/modules"

  # Future package installs skip documentation and translations too.
  cat >"$root/etc/dpkg/dpkg.cfg.d/90-vmango-nodoc" <<'EOF'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
EOF
}

rebuild_initrd() {
  local root=$1 kversion=$2 listing missing=() module
  # update-initramfs needs /proc and /dev only for MODULES=dep; none is mounted.
  chroot "$root" update-initramfs -u -k "$kversion" >&2
  listing=$(chroot "$root" lsinitramfs "/boot/initrd.img-$kversion")
  for module in "${INITRD_REQUIRED[@]}"; do
    grep -qE "/${module}\.ko(\.[a-z]+)?$" <<<"$listing" || missing+=("$module")
  done
  ((${#missing[@]} == 0)) || die "initrd lacks modules: ${missing[*]} (lsinitramfs $root/boot/initrd.img-$kversion)"
}

# Hardware a libvirt/QEMU guest never has; removing these modules takes about
# 300 MiB off the root filesystem. What remains (virtio, block, SCSI/ATA,
# filesystems, netfilter, crypto, input, …) is re-indexed with depmod.
readonly PRUNED_MODULE_DIRS=(
  drivers/gpu drivers/media drivers/net/wireless drivers/net/ethernet drivers/infiniband
  drivers/staging drivers/iio drivers/bluetooth drivers/isdn drivers/mtd drivers/usb/gadget
  drivers/net/can drivers/net/usb drivers/hwmon drivers/thunderbolt drivers/platform/chrome
  drivers/input/touchscreen drivers/input/joystick drivers/nfc drivers/comedi drivers/w1
  sound net/bluetooth net/mac80211 net/wireless net/nfc
)

prune_modules() {
  local root=$1 kversion=$2 dir
  for dir in "${PRUNED_MODULE_DIRS[@]}"; do
    rm -rf "$root/lib/modules/$kversion/kernel/$dir"
  done
  chroot "$root" depmod -a "$kversion"
  # The floppy controller of the 'pc' machine is probed by every blkid scan.
  printf 'blacklist floppy\n' >"$root/etc/modprobe.d/vmango-blacklist.conf"
}

strip_rootfs() {
  local root=$1
  chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin \
    "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old \
    "$root"/usr/share/man/* "$root"/usr/share/info/* \
    "$root"/usr/share/lintian "$root"/usr/share/linda \
    "$root"/var/lib/cloud/* "$root"/tmp/* "$root"/var/tmp/*
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  find "$root/var/log" -type f -delete
  # A fresh machine-id on every first boot.
  : >"$root/etc/machine-id"
  rm -f "$root/var/lib/dbus/machine-id"
}

build() {
  local entry=$1 key=$2 mirror work root kversion packages size_mib
  work=$(mktemp -d "$CACHE_DIR/build.$key.XXXXXX")
  # shellcheck disable=SC2064 # the path is fixed now
  trap "remove_build_dir '$work'" EXIT
  root="$work/rootfs"
  mirror=${VMANGO_GUEST_IMAGE_MIRROR:-$(default_mirror)}
  mapfile -t packages < <(package_list)
  ((${#packages[@]} > 0)) || die "$PACKAGES_FILE lists no packages"
  mkdir -p "$CACHE_DIR/debs"

  log "debootstrap --variant=minbase $SUITE from $mirror with ${#packages[@]} extra packages"
  debootstrap --variant=minbase --cache-dir="$CACHE_DIR/debs" \
    --include="$(IFS=,; printf '%s' "${packages[*]}")" \
    "$SUITE" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
      tail -n 30 "$work/debootstrap.log" >&2
      die "debootstrap failed (log above)"
    }
  # debootstrap leaves /proc and /sys mounted on failure paths only; make sure.
  ! grep -q " $root/" /proc/mounts || die "something is still mounted under $root"
  phase_done debootstrap

  kversion=$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
  [[ -n $kversion ]] || die "no kernel in $root/boot"
  write_guest_config "$root"
  prune_modules "$root" "$kversion"
  rebuild_initrd "$root" "$kversion"
  phase_done configure

  strip_rootfs "$root"
  (cd "$root" && du -x --block-size=1M -d 3 . 2>/dev/null | sort -n | tail -n 15) >"$work/du.txt"
  install -m 0644 "$root/boot/vmlinuz-$kversion" "$work/vmlinuz"
  install -m 0644 "$root/boot/initrd.img-$kversion" "$work/initrd.img"
  phase_done strip

  # ext4 sized to the content plus a quarter and 64 MiB; cloud-init grows it to the disk.
  size_mib=$(du -s --block-size=1M "$root" | cut -f1)
  size_mib=$((size_mib + size_mib / 4 + 64))
  truncate -s "${size_mib}M" "$work/rootfs.ext4"
  mkfs.ext4 -q -F -L rootfs -m 1 -E root_owner=0:0 -d "$root" "$work/rootfs.ext4" >&2
  e2fsck -fn "$work/rootfs.ext4" >&2 || die "the new filesystem does not check clean"
  phase_done mkfs

  qemu-img convert -c -O qcow2 "$work/rootfs.ext4" "$work/$IMAGE_NAME"
  rm -f "$work/rootfs.ext4"
  phase_done qcow2

  write_manifest "$work" "$key" "$mirror" "$kversion" "$size_mib" "${packages[@]}"
  rm -rf "$root"
  mv "$work/$IMAGE_NAME" "$work/vmlinuz" "$work/initrd.img" "$work/manifest.json" "$work/debootstrap.log" "$work/du.txt" "$entry.new/"
  trap - EXIT
  remove_build_dir "$work"
}

json_string() { printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"; }

write_manifest() {
  local dir=$1 key=$2 mirror=$3 kversion=$4 size_mib=$5
  shift 5
  local pkgs=() p file sums=()
  for p in "$@"; do pkgs+=("$(json_string "$p")"); done
  for file in "$IMAGE_NAME" vmlinuz initrd.img; do
    sums+=("$(json_string "$file"):{\"bytes\":$(stat -c %s "$dir/$file"),\"sha256\":\"$(sha256sum "$dir/$file" | cut -d' ' -f1)\"}")
  done
  cat >"$dir/manifest.json" <<EOF
{
  "key": "$key",
  "suite": "$SUITE",
  "mirror": $(json_string "$mirror"),
  "kernel": $(json_string "$kversion"),
  "image": "$IMAGE_NAME",
  "format": "qcow2",
  "arch": "x86_64",
  "filesystemMiB": $size_mib,
  "virtualBytes": $(qemu-img info --output=json "$dir/$IMAGE_NAME" | sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p' | head -n 1),
  "cmdline": "root=/dev/vda rw console=tty0 console=ttyS0 net.ifnames=0",
  "packages": [$(IFS=,; printf '%s' "${pkgs[*]}")],
  "files": {$(IFS=,; printf '%s' "${sums[*]}")},
  "built": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "timings": {$(IFS=,; printf '%s' "${TIMINGS[*]}")}
}
EOF
}

main() {
  local outdir="" key entry
  case "${1:-}" in
    -h | --help) usage; exit 0 ;;
    -*) usage; exit 2 ;;
    '') ;;
    *) outdir=$1 ;;
  esac
  (($# <= 1)) || { usage; exit 2; }

  key=$(cache_key)
  entry="$CACHE_DIR/$key"
  if entry_complete "$entry"; then
    log "cached: $entry (key $key)"
    finish "$entry" "$outdir"
    return
  fi

  [[ $EUID -eq 0 ]] || die "must run as root (debootstrap and chroot)"
  local cmd missing=()
  for cmd in debootstrap chroot mkfs.ext4 e2fsck qemu-img sha256sum flock; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
  done
  ((${#missing[@]} == 0)) || die "missing commands: ${missing[*]}; install with: apt-get install debootstrap e2fsprogs qemu-utils coreutils util-linux"

  mkdir -p "$CACHE_DIR"
  # One build per cache directory at a time; a waiting run finds the entry built.
  exec 8>"$CACHE_DIR/.lock"
  flock -w 1800 8 || die "another build held $CACHE_DIR/.lock for 30 minutes"
  if entry_complete "$entry"; then
    log "cached (built by a concurrent run): $entry"
    finish "$entry" "$outdir"
    return
  fi
  # Leftovers of interrupted builds (no build runs while we hold the lock).
  local stale
  for stale in "$CACHE_DIR"/build.*; do
    [[ -e $stale ]] && remove_build_dir "$stale"
  done
  rm -rf "$entry.new"
  mkdir -p "$entry.new"
  log "building key $key into $entry"
  build "$entry" "$key"
  rm -rf "$entry"
  mv "$entry.new" "$entry"
  prune_cache 3
  log "built in $(elapsed_since "$START_SECONDS")s: $(du -h --apparent-size "$entry/$IMAGE_NAME" | cut -f1) image, kernel $(sed -n 's/.*"kernel": "\(.*\)".*/\1/p' "$entry/manifest.json")"
  finish "$entry" "$outdir"
}

main "$@"
