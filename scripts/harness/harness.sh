#!/usr/bin/env bash
# Real-hypervisor test harness: libvirtd, virtlogd and sshd inside a network
# namespace, reached as qemu+ssh://root@127.0.0.1:220N/system on that
# namespace's loopback. See scripts/harness/README.md.
set -euo pipefail

readonly STATE_DIR=/run/vmango-harness
readonly LOG_DIR="$STATE_DIR/logs"
readonly SSH_DIR="$STATE_DIR/ssh"
readonly ENV_FILE="$STATE_DIR/env"
readonly CHANGES_FILE="$STATE_DIR/system-changes"
readonly LOCK_FILE=/run/vmango-harness.lock
readonly DATA_DIR=/var/lib/vmango-harness
readonly IMAGE_DIR="$DATA_DIR/images"
readonly ROOT_DIR="$DATA_DIR/roots"
readonly QEMU_CONF=/etc/libvirt/qemu.conf
readonly DEFAULT_NET_AUTOSTART=/etc/libvirt/qemu/networks/autostart/default.xml
readonly KNOWN_HOSTS=/root/.ssh/known_hosts
readonly MARKER_BEGIN="# BEGIN vmango-harness (scripts/harness/harness.sh): QEMU as root inside a container"
readonly MARKER_END="# END vmango-harness"
readonly PORTS=(2201 2202)
readonly NETWORK=vmango
readonly NETWORK_CIDR=192.168.150.0/24
readonly NETWORK_BRIDGE=virbr-vmango
readonly IMAGE_POOL=vmango-images
readonly ROOT_POOL=default
readonly LOCAL_URI=qemu:///system

# The namespace of a running harness wins over the default.
RUNNING_NS=$(sed -n 's/^VMANGO_HARNESS_NS=//p' "$ENV_FILE" 2>/dev/null | head -n 1 || true)
NS="${VMANGO_HARNESS_NS:-${RUNNING_NS:-vmango-h}}"

log() { printf 'harness: %s\n' "$*" >&2; }
die() { printf 'harness: error: %s\n' "$*" >&2; exit 1; }

usage() {
  cat >&2 <<'EOF'
usage: scripts/harness/harness.sh COMMAND
  up             start (or repair) the harness; prints the qemu+ssh URI
  exec CMD...    run CMD inside the harness namespace with the env file exported
  freeze N       drop all traffic to the hypervisor path on port 2200+N (N = 1 or 2)
  unfreeze N     restore that path
  status         show daemons, ports, network and pools; non-zero when not up
  down           remove everything the harness created
EOF
}

require_root() {
  [[ $EUID -eq 0 ]] || die "must run as root (it creates a network namespace and starts libvirtd); try: sudo $0 $*"
}

require_commands() {
  local missing=() cmd
  for cmd in ip iptables virsh qemu-img ssh ssh-keygen timeout flock ss tini setsid \
    /usr/sbin/libvirtd /usr/sbin/virtlogd /usr/sbin/sshd /usr/sbin/dnsmasq; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
  done
  ((${#missing[@]} == 0)) || die "missing commands: ${missing[*]}; install with: apt-get install libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils dnsmasq-base iptables openssh-server openssh-client iproute2 tini util-linux"
}

take_lock() {
  exec 9>"$LOCK_FILE"
  flock -w 300 9 || die "another harness.sh command held $LOCK_FILE for 5 minutes; check for a stuck process with: fuser $LOCK_FILE"
}

in_ns() { ip netns exec "$NS" "$@"; }

uri_for_port() {
  printf 'qemu+ssh://root@127.0.0.1:%s/system?keyfile=%s/id_ed25519&no_verify=1' "$1" "$SSH_DIR"
}

# Polls "$@" every 0.1 s until it succeeds or TRIES attempts are used up.
wait_until() {
  local tries=$1; shift
  local attempt
  for ((attempt = 0; attempt < tries; attempt++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

show_log_and_die() {
  local logfile=$1 message=$2
  if [[ -s $logfile ]]; then
    printf -- '--- last lines of %s ---\n' "$logfile" >&2
    tail -n 40 "$logfile" >&2
    printf -- '--- end of %s ---\n' "$logfile" >&2
  fi
  die "$message (full log: $logfile)"
}

record_change() {
  grep -qxF "$1" "$CHANGES_FILE" 2>/dev/null || printf '%s\n' "$1" >>"$CHANGES_FILE"
}

has_change() { grep -qxF "$1" "$CHANGES_FILE" 2>/dev/null; }

# ---------------------------------------------------------------- namespace

ns_inode() { stat -L -c %i "/run/netns/$NS" 2>/dev/null; }

ns_usable() { [[ -e /run/netns/$NS ]] && ip netns exec "$NS" true 2>/dev/null; }

# Processes left in a namespace that was deleted or replaced: their sockets
# and bridges are unreachable, so libvirtd would report a dead network active.
# Only the harness's own daemons and what libvirtd spawned are stopped; other
# processes (someone's test run) are reported, never killed.
is_harness_process() {
  case "$(cat "/proc/$1/comm" 2>/dev/null)" in
    libvirtd | virtlogd | sshd | dnsmasq | qemu-system-* | virt-ssh-helper) return 0 ;;
    *) return 1 ;;
  esac
}

stop_harness_processes_in() {
  local description=$1 pid others=()
  shift
  for pid in "$@"; do
    process_alive "$pid" || continue
    if is_harness_process "$pid"; then
      log "stopping $(cat "/proc/$pid/comm" 2>/dev/null) (pid $pid) in $description"
      stop_pid "$pid" "process $pid"
    else
      others+=("$pid ($(cat "/proc/$pid/comm" 2>/dev/null))")
    fi
  done
  if ((${#others[@]} > 0)); then
    log "left running in $description (not started by the harness): ${others[*]}"
  fi
}

processes_in_netns_inode() {
  local inode=$1 link pid
  for link in /proc/[0-9]*/ns/net; do
    pid=${link#/proc/}; pid=${pid%%/*}
    [[ "$(stat -L -c %i "$link" 2>/dev/null)" == "$inode" ]] && printf '%s\n' "$pid"
  done
}

stop_processes_in_netns_inode() {
  local pids
  mapfile -t pids < <(processes_in_netns_inode "$1")
  stop_harness_processes_in "the previous namespace" "${pids[@]}"
}

ensure_namespace() {
  local old_inodes=() name pid inode
  [[ -s $STATE_DIR/ns-inode ]] && old_inodes+=("$(<"$STATE_DIR/ns-inode")")
  for name in libvirtd virtlogd sshd; do
    pid=$(cat "$STATE_DIR/$name.pid" 2>/dev/null || true)
    if ! [[ $pid =~ ^[0-9]+$ ]] || ! process_alive "$pid"; then continue; fi
    inode=$(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null) && old_inodes+=("$inode")
  done
  if ! ns_usable; then
    if [[ -e /run/netns/$NS ]]; then
      log "namespace $NS is stale; recreating it"
      ip netns delete "$NS" 2>/dev/null || rm -f "/run/netns/$NS"
    fi
    ip netns add "$NS" || die "could not create network namespace $NS (is CAP_SYS_ADMIN available in this container?)"
  fi
  for inode in $(printf '%s\n' "${old_inodes[@]}" | sort -u); do
    [[ $inode != "$(ns_inode)" ]] && stop_processes_in_netns_inode "$inode"
  done
  ns_inode >"$STATE_DIR/ns-inode"
  in_ns ip link set lo up
}

inside_namespace() {
  local ours
  ours=$(ns_inode) || return 1
  [[ "$(stat -L -c %i /proc/self/ns/net)" == "$ours" ]]
}

# ---------------------------------------------------------------- daemons

# Zombies count as dead: PID 1 of a container often never reaps daemonized
# processes, so a killed daemon can stay in the process table for good.
process_alive() {
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

# A pid file counts only if its process is alive, is the expected program and
# lives in the current namespace (a crashed run can leave any of these wrong).
daemon_pid() {
  local pidfile=$1 comm=$2 pid
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  process_alive "$pid" || return 1
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$comm" ]] || return 1
  [[ "$(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null)" == "$(ns_inode)" ]] || return 1
  printf '%s\n' "$pid"
}

any_live_process() {
  local pid
  for pid in $(pgrep -x "$1" || true); do
    process_alive "$pid" && return 0
  done
  return 1
}

process_dead() { ! process_alive "$1"; }

stop_pid() {
  local pid=$1 name=$2
  process_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  if ! wait_until 100 process_dead "$pid"; then
    log "$name (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_until 50 process_dead "$pid" || log "$name (pid $pid) is still alive"
  fi
}

# Stops the program named in a pid file even when it is in another namespace
# (left over by a crashed run), but never an unrelated process reusing the pid.
stop_pidfile_daemon() {
  local pidfile=$1 comm=$2 pid
  [[ -s $pidfile ]] || return 0
  pid=$(<"$pidfile")
  if [[ $pid =~ ^[0-9]+$ ]] && process_alive "$pid" && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$comm" ]]; then
    stop_pid "$pid" "$comm"
  fi
  rm -f "$pidfile"
}

libvirtd_answers() { in_ns timeout 10 virsh -c "$LOCAL_URI" -q version >/dev/null 2>&1; }

ensure_virtlogd() {
  local pidfile="$STATE_DIR/virtlogd.pid" logfile="$LOG_DIR/virtlogd.log"
  if daemon_pid "$pidfile" virtlogd >/dev/null && [[ -S /run/libvirt/virtlogd-sock ]]; then return 0; fi
  stop_pidfile_daemon "$pidfile" virtlogd
  cat >"$STATE_DIR/virtlogd.conf" <<EOF
log_outputs = "3:file:$logfile"
EOF
  log "starting virtlogd"
  in_ns /usr/sbin/virtlogd -d -f "$STATE_DIR/virtlogd.conf" -p "$pidfile" >>"$logfile" 2>&1 9>&- ||
    show_log_and_die "$logfile" "virtlogd failed to start"
  wait_until 100 test -S /run/libvirt/virtlogd-sock ||
    show_log_and_die "$logfile" "virtlogd did not create /run/libvirt/virtlogd-sock within 10 s"
}

ensure_libvirtd() {
  local restart=$1 pidfile="$STATE_DIR/libvirtd.pid" logfile="$LOG_DIR/libvirtd.log" pid
  if pid=$(daemon_pid "$pidfile" libvirtd); then
    if [[ $restart == no ]] && libvirtd_answers; then return 0; fi
    log "restarting libvirtd (pid $pid)"
    stop_pid "$pid" libvirtd
  fi
  stop_pidfile_daemon "$pidfile" libvirtd
  cat >"$STATE_DIR/libvirtd.conf" <<EOF
# Only root may use the read-write socket; no polkit inside a container.
auth_unix_rw = "none"
auth_unix_ro = "none"
unix_sock_rw_perms = "0700"
log_outputs = "3:file:$logfile"
EOF
  log "starting libvirtd"
  # QEMU and dnsmasq daemonize, so they are re-parented to the nearest subreaper, else to PID 1, and
  # libvirt's destroy waits (polling every 200 ms) until the killed QEMU has been reaped. systemd
  # reaps at once; some container inits reap orphans only every ~1.7 s, which made every destroy
  # here take 1.6-1.8 s. tini -s makes the harness reap at once, as a systemd host does.
  in_ns setsid tini -s -- /usr/sbin/libvirtd -f "$STATE_DIR/libvirtd.conf" -p "$pidfile" \
    </dev/null >>"$logfile" 2>&1 9>&- &
  disown
  wait_until 600 libvirtd_answers ||
    show_log_and_die "$logfile" "libvirtd did not answer on /run/libvirt/libvirt-sock within 60 s"
}

port_listening() { in_ns ss -Hltn "sport = :$1" | grep -q .; }

ensure_sshd() {
  local pidfile="$STATE_DIR/sshd.pid" logfile="$LOG_DIR/sshd.log" port all_listening=yes
  for port in "${PORTS[@]}"; do port_listening "$port" || all_listening=no; done
  if daemon_pid "$pidfile" sshd >/dev/null && [[ $all_listening == yes ]]; then return 0; fi
  stop_pidfile_daemon "$pidfile" sshd
  if [[ ! -d /run/sshd ]]; then
    mkdir -m 0755 /run/sshd
    record_change created-run-sshd
  fi
  {
    for port in "${PORTS[@]}"; do printf 'Port %s\n' "$port"; done
    cat <<EOF
ListenAddress 127.0.0.1
HostKey $SSH_DIR/ssh_host_ed25519_key
PidFile $pidfile
PermitRootLogin prohibit-password
AuthorizedKeysFile $SSH_DIR/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
X11Forwarding no
# Tests and benchmarks open many connections at once.
MaxStartups 200:30:400
MaxSessions 200
LogLevel VERBOSE
EOF
  } >"$STATE_DIR/sshd_config"
  in_ns /usr/sbin/sshd -t -f "$STATE_DIR/sshd_config" 2>>"$logfile" ||
    show_log_and_die "$logfile" "sshd rejected its config $STATE_DIR/sshd_config"
  log "starting sshd on 127.0.0.1:${PORTS[*]}"
  in_ns /usr/sbin/sshd -f "$STATE_DIR/sshd_config" -E "$logfile" 9>&- ||
    show_log_and_die "$logfile" "sshd failed to start"
  for port in "${PORTS[@]}"; do
    wait_until 100 port_listening "$port" ||
      show_log_and_die "$logfile" "sshd is not listening on 127.0.0.1:$port inside namespace $NS after 10 s"
  done
}

# libvirtd's sockets live in the shared /run/libvirt, so a second daemon (for
# example a systemd-started one) would steal or break them.
refuse_foreign_daemons() {
  local name pid ours
  for name in libvirtd virtqemud virtlogd; do
    # Our own daemon from a replaced namespace is restarted later, not refused.
    ours=$(cat "$STATE_DIR/$name.pid" 2>/dev/null || true)
    for pid in $(pgrep -x "$name" || true); do
      [[ $pid == "$ours" ]] && continue
      process_alive "$pid" || continue
      if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$STATE_DIR/"; then
        log "stopping $name (pid $pid) left by an earlier harness run whose pid file is gone"
        stop_pid "$pid" "$name"
        continue
      fi
      die "a $name outside the harness is running (pid $pid, $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)); it shares /run/libvirt with the harness. Stop it first (systemctl stop libvirtd.service libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket virtlogd.service virtlogd.socket, or kill $pid if it is left over from a crashed harness run)"
    done
  done
}

# ---------------------------------------------------------------- system config

ensure_qemu_conf() {
  [[ -f $QEMU_CONF ]] || die "$QEMU_CONF is missing; install libvirt-daemon-driver-qemu"
  if grep -qxF "$MARKER_BEGIN" "$QEMU_CONF"; then
    echo unchanged
    return 0
  fi
  local key
  for key in user group security_driver cgroup_controllers namespaces remember_owner; do
    if grep -qE "^[[:space:]]*${key}[[:space:]]*=" "$QEMU_CONF"; then
      die "$QEMU_CONF already sets '$key' outside the harness block; comment it out so the harness can run QEMU as root"
    fi
  done
  cat >>"$QEMU_CONF" <<EOF
$MARKER_BEGIN
# Removed again by 'harness.sh down'. A container has no usable cgroup
# delegation, no security modules and cannot give QEMU its own mount namespace.
user = "root"
group = "root"
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
remember_owner = 0
$MARKER_END
EOF
  echo changed
}

remove_qemu_conf_block() {
  [[ -f $QEMU_CONF ]] && grep -qxF "$MARKER_BEGIN" "$QEMU_CONF" || return 0
  local tmp
  tmp=$(mktemp "$QEMU_CONF.XXXXXX")
  awk -v begin="$MARKER_BEGIN" -v end="$MARKER_END" '
    $0 == begin { skipping = 1; next }
    skipping && $0 == end { skipping = 0; next }
    !skipping { print }' "$QEMU_CONF" >"$tmp"
  chmod --reference="$QEMU_CONF" "$tmp"
  mv "$tmp" "$QEMU_CONF"
}

ensure_qemu_accounts() {
  if ! getent group kvm >/dev/null; then
    groupadd --system kvm
    log "created group kvm (left in place by down, as the packages would)"
  fi
  if ! getent passwd libvirt-qemu >/dev/null; then
    useradd --system --no-create-home --home-dir /var/lib/libvirt --shell /usr/sbin/nologin --gid kvm libvirt-qemu
    log "created user libvirt-qemu (left in place by down, as the packages would)"
  fi
}

# Debian's 'default' network would bring up NAT and iptables rules in the
# namespace at every libvirtd start.
disable_default_network_autostart() {
  if [[ -L $DEFAULT_NET_AUTOSTART || -e $DEFAULT_NET_AUTOSTART ]]; then
    printf '%s\n' "$(readlink "$DEFAULT_NET_AUTOSTART")" >"$STATE_DIR/default-network-autostart-target"
    rm -f "$DEFAULT_NET_AUTOSTART"
    record_change removed-default-network-autostart
    log "disabled autostart of libvirt's 'default' NAT network (restored by down)"
  fi
}

ensure_keys() {
  mkdir -p "$SSH_DIR" && chmod 0700 "$SSH_DIR"
  [[ -s $SSH_DIR/ssh_host_ed25519_key ]] ||
    ssh-keygen -q -t ed25519 -N '' -C vmango-harness-host -f "$SSH_DIR/ssh_host_ed25519_key"
  [[ -s $SSH_DIR/id_ed25519 ]] ||
    ssh-keygen -q -t ed25519 -N '' -C vmango-harness-client -f "$SSH_DIR/id_ed25519"
  if ! cmp -s "$SSH_DIR/id_ed25519.pub" "$SSH_DIR/authorized_keys"; then
    cp "$SSH_DIR/id_ed25519.pub" "$SSH_DIR/authorized_keys"
    chmod 0600 "$SSH_DIR/authorized_keys"
  fi

  local host_key wanted=() port
  host_key=$(cut -d' ' -f1,2 "$SSH_DIR/ssh_host_ed25519_key.pub")
  for port in "${PORTS[@]}"; do wanted+=("[127.0.0.1]:$port $host_key"); done
  if [[ -f $KNOWN_HOSTS ]] && all_lines_present "$KNOWN_HOSTS" "${wanted[@]}"; then return 0; fi
  [[ -d $(dirname "$KNOWN_HOSTS") ]] || record_change created-root-ssh-dir
  [[ -e $KNOWN_HOSTS ]] || record_change created-known-hosts
  mkdir -p "$(dirname "$KNOWN_HOSTS")" && chmod 0700 "$(dirname "$KNOWN_HOSTS")"
  remove_known_hosts_entries
  printf '%s\n' "${wanted[@]}" >>"$KNOWN_HOSTS"
  chmod 0600 "$KNOWN_HOSTS"
}

all_lines_present() {
  local file=$1 line; shift
  for line in "$@"; do grep -qxF "$line" "$file" || return 1; done
}

remove_known_hosts_entries() {
  [[ -f $KNOWN_HOSTS ]] || return 0
  local port pattern='' tmp
  for port in "${PORTS[@]}"; do pattern+="${pattern:+|}^\\[127\\.0\\.0\\.1\\]:$port "; done
  grep -qE "$pattern" "$KNOWN_HOSTS" || return 0
  tmp=$(mktemp "$KNOWN_HOSTS.XXXXXX")
  grep -vE "$pattern" "$KNOWN_HOSTS" >"$tmp" || true
  chmod 0600 "$tmp"
  mv "$tmp" "$KNOWN_HOSTS"
}

# ---------------------------------------------------------------- libvirt objects

virsh_uri() { in_ns timeout 60 virsh -q -c "$(uri_for_port "${PORTS[0]}")" "$@"; }

pool_path_matches() {
  local file="/etc/libvirt/storage/$1.xml" path=$2
  [[ -f $file ]] && grep -qF "<path>$path</path>" "$file"
}

ensure_network() {
  local net_list=$1 state autostart
  read -r state autostart < <(awk -v n="$NETWORK" '$1 == n { print $2, $3 }' <<<"$net_list") || true
  if [[ -z ${state:-} ]]; then
    log "defining network $NETWORK ($NETWORK_CIDR, isolated, DHCP .10-.250)"
    cat >"$STATE_DIR/network-$NETWORK.xml" <<EOF
<network>
  <name>$NETWORK</name>
  <bridge name='$NETWORK_BRIDGE' stp='on' delay='0'/>
  <ip address='192.168.150.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.150.10' end='192.168.150.250'/>
    </dhcp>
  </ip>
</network>
EOF
    virsh_uri net-define "$STATE_DIR/network-$NETWORK.xml" >/dev/null
    state=inactive autostart=no
  fi
  [[ $state == active ]] || virsh_uri net-start "$NETWORK" >/dev/null ||
    show_log_and_die "$LOG_DIR/libvirtd.log" "could not start network $NETWORK"
  [[ $autostart == yes ]] || virsh_uri net-autostart "$NETWORK" >/dev/null
}

ensure_pool() {
  local pool_list=$1 name=$2 path=$3 state autostart
  read -r state autostart < <(awk -v n="$name" '$1 == n { print $2, $3 }' <<<"$pool_list") || true
  if [[ -n ${state:-} ]] && ! pool_path_matches "$name" "$path"; then
    log "pool $name exists with another target path; redefining it at $path"
    [[ $state == active ]] && virsh_uri pool-destroy "$name" >/dev/null
    virsh_uri pool-undefine "$name" >/dev/null
    state=''
  fi
  if [[ -z ${state:-} ]]; then
    log "defining dir pool $name at $path"
    virsh_uri pool-define-as "$name" dir --target "$path" >/dev/null
    state=inactive autostart=no
  fi
  mkdir -p "$path"
  [[ $state == active ]] || virsh_uri pool-start "$name" >/dev/null ||
    show_log_and_die "$LOG_DIR/libvirtd.log" "could not start pool $name"
  [[ $autostart == yes ]] || virsh_uri pool-autostart "$name" >/dev/null
}

# Image names follow vmango's OS_ARCH_FORMAT.img convention; the text file is a
# stray volume that vmango must skip.
ensure_images() {
  local created=no
  create_image() {
    local file="$IMAGE_DIR/$1" format=$2
    [[ -f $file ]] && return 0
    qemu-img create -q -f "$format" "$file" 64M
    created=yes
  }
  create_image Cirros-0.6_amd64_qcow2.img qcow2
  create_image Ubuntu-22.04_amd64_qcow2.img qcow2
  create_image Debian-12_amd64_raw.img raw
  if [[ ! -f $IMAGE_DIR/not-an-image.txt ]]; then
    printf 'not a disk image; vmango must skip this volume\n' >"$IMAGE_DIR/not-an-image.txt"
    created=yes
  fi
  echo "$created"
}

write_env_file() {
  local domain_type=$1 tmp
  tmp=$(mktemp "$ENV_FILE.XXXXXX")
  cat >"$tmp" <<EOF
VMANGO_HARNESS_NS=$NS
VMANGO_HARNESS_URI=$(uri_for_port "${PORTS[0]}")
VMANGO_HARNESS_URI2=$(uri_for_port "${PORTS[1]}")
VMANGO_HARNESS_KEYFILE=$SSH_DIR/id_ed25519
VMANGO_HARNESS_NETWORK=$NETWORK
VMANGO_HARNESS_NETWORK_CIDR=$NETWORK_CIDR
VMANGO_HARNESS_IMAGE_POOL=$IMAGE_POOL
VMANGO_HARNESS_ROOT_POOL=$ROOT_POOL
VMANGO_HARNESS_IMAGE_DIR=$IMAGE_DIR
VMANGO_HARNESS_ROOT_DIR=$ROOT_DIR
VMANGO_HARNESS_DOMAIN_TYPE=$domain_type
EOF
  chmod 0644 "$tmp"
  if [[ -f $ENV_FILE ]] && cmp -s "$tmp" "$ENV_FILE"; then rm -f "$tmp"; else mv "$tmp" "$ENV_FILE"; fi
}

env_value() {
  local key=$1
  [[ -f $ENV_FILE ]] || return 1
  sed -n "s/^$key=//p" "$ENV_FILE" | head -n 1
}

resolve_domain_type() {
  local requested=${VMANGO_HARNESS_DOMAIN_TYPE:-}
  [[ -n $requested ]] || requested=$(env_value VMANGO_HARNESS_DOMAIN_TYPE 2>/dev/null || true)
  requested=${requested:-qemu}
  case $requested in
    qemu) ;;
    kvm) [[ -c /dev/kvm ]] || die "VMANGO_HARNESS_DOMAIN_TYPE=kvm but /dev/kvm does not exist; use qemu (TCG)" ;;
    *) die "VMANGO_HARNESS_DOMAIN_TYPE must be 'qemu' or 'kvm', got '$requested'" ;;
  esac
  echo "$requested"
}

# ---------------------------------------------------------------- commands

cmd_up() {
  require_root up
  require_commands
  take_lock
  local domain_type qemu_conf_state
  if [[ -n $RUNNING_NS && $RUNNING_NS != "$NS" && -e /run/netns/$RUNNING_NS ]]; then
    die "the harness is already up in namespace $RUNNING_NS; take it down first (VMANGO_HARNESS_NS=$RUNNING_NS $0 down) or use that name"
  fi
  domain_type=$(resolve_domain_type)
  mkdir -p "$STATE_DIR" "$LOG_DIR" && chmod 0755 "$STATE_DIR"
  if [[ ! -d /run/libvirt ]]; then record_change created-run-libvirt; fi
  mkdir -p "$IMAGE_DIR" "$ROOT_DIR"

  qemu_conf_state=$(ensure_qemu_conf)
  ensure_qemu_accounts
  disable_default_network_autostart
  ensure_namespace
  refuse_foreign_daemons
  ensure_keys
  ensure_virtlogd
  if [[ $qemu_conf_state == changed ]]; then ensure_libvirtd yes; else ensure_libvirtd no; fi
  ensure_sshd

  local listing net_list pool_list
  listing=$(virsh_uri "net-list --all; echo ==pools==; pool-list --all") ||
    show_log_and_die "$LOG_DIR/sshd.log" "virsh could not reach libvirtd over $(uri_for_port "${PORTS[0]}")"
  # virsh prints the echo marker without a preceding newline.
  net_list=$(awk '/==pools==/ { exit } { print }' <<<"$listing")
  pool_list=$(awk 'found { print } /==pools==/ { found = 1; sub(/.*==pools==/, ""); print }' <<<"$listing")
  ensure_network "$net_list"
  ensure_pool "$pool_list" "$IMAGE_POOL" "$IMAGE_DIR"
  ensure_pool "$pool_list" "$ROOT_POOL" "$ROOT_DIR"
  if [[ "$(ensure_images)" == yes ]]; then virsh_uri pool-refresh "$IMAGE_POOL" >/dev/null; fi

  release_lapsed_freezes
  write_env_file "$domain_type"
  uri_for_port "${PORTS[0]}"
  echo
}

cmd_exec() {
  (($# > 0)) || die "exec needs a command, e.g.: $0 exec npx vitest run"
  require_root exec
  [[ -f $ENV_FILE ]] || die "harness is not up ($ENV_FILE missing); start it with: $0 up"
  local key value
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line =~ ^([A-Z0-9_]+)=(.*)$ ]] || continue
    key=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
    export "$key=$value"
  done <"$ENV_FILE"
  NS=$VMANGO_HARNESS_NS
  ns_usable || die "namespace $NS is gone; repair the harness with: $0 up"
  exec ip netns exec "$NS" "$@"
}

freeze_port() {
  local n=${1:-}
  [[ $n == 1 || $n == 2 ]] || die "expected 1 or 2 (the hypervisor on port 2201 or 2202), got '${n}'"
  echo $((2200 + n))
}

# Dropping (not rejecting) makes open TCP connections hang like a dead host.
freeze_rules() {
  local port=$1
  printf '%s\n' "INPUT -p tcp --dport $port -j DROP" "INPUT -p tcp --sport $port -j DROP"
}

apply_freeze_rules() {
  local rule
  while IFS= read -r rule; do
    # shellcheck disable=SC2086 # the rule is a fixed list of iptables words
    in_ns iptables -w -C $rule 2>/dev/null || in_ns iptables -w -I $rule
  done < <(freeze_rules "$1")
}

remove_freeze_rules() {
  local rule
  while IFS= read -r rule; do
    # shellcheck disable=SC2086 # the rule is a fixed list of iptables words
    while in_ns iptables -w -C $rule 2>/dev/null; do in_ns iptables -w -D $rule; done
  done < <(freeze_rules "$1")
}

# Test files run in parallel and several freeze port 2202. A freeze made with
# VMANGO_HARNESS_FREEZE_OWNER=<pid> (harnessCommand sets it) is a lease: other
# owners' freezes wait for it, their unfreezes leave it alone, and it lapses
# when the owner process exits. A freeze without an owner (by hand) is held
# until an unfreeze without an owner.
freeze_owner_file() { echo "$STATE_DIR/freeze-$1.owner"; }

freeze_holder() {
  local holder
  holder=$(cat "$(freeze_owner_file "$1")" 2>/dev/null || true)
  if [[ $holder =~ ^[0-9]+$ ]] && ! process_alive "$holder"; then holder=''; fi
  echo "$holder"
}

# A test process that froze a port and died without unfreezing leaves the
# rules behind; nobody else would lift them.
release_lapsed_freezes() {
  local port
  for port in "${PORTS[@]}"; do
    [[ -f $(freeze_owner_file "$port") && -z $(freeze_holder "$port") ]] || continue
    log "unfreezing port $port: the process that froze it has exited"
    remove_freeze_rules "$port"
    rm -f "$(freeze_owner_file "$port")"
  done
}

cmd_freeze() {
  local port owner=${VMANGO_HARNESS_FREEZE_OWNER:-manual} holder waited=no deadline
  port=$(freeze_port "${1:-}")
  require_root freeze
  ns_usable || die "namespace $NS does not exist; start the harness with: $0 up"
  exec 8>"$STATE_DIR/freeze-$port.lock"
  deadline=$((SECONDS + 120))
  while :; do
    flock 8
    holder=$(freeze_holder "$port")
    if [[ -z $holder || $holder == "$owner" ]]; then break; fi
    flock -u 8
    if ((SECONDS >= deadline)); then
      die "port $port has been frozen by ${holder/#manual/hand (harness.sh freeze without an owner)} for 120 s; release it with: $0 unfreeze ${1}"
    fi
    if [[ $waited == no ]]; then
      log "port $port is frozen by pid $holder; waiting for it to unfreeze"
      waited=yes
    fi
    sleep 0.2
  done
  apply_freeze_rules "$port"
  echo "$owner" >"$(freeze_owner_file "$port")"
  flock -u 8
}

cmd_unfreeze() {
  local port owner=${VMANGO_HARNESS_FREEZE_OWNER:-manual} holder
  port=$(freeze_port "${1:-}")
  require_root unfreeze
  ns_usable || die "namespace $NS does not exist; start the harness with: $0 up"
  exec 8>"$STATE_DIR/freeze-$port.lock"
  flock 8
  holder=$(freeze_holder "$port")
  if [[ $owner != manual && -n $holder && $holder != "$owner" ]]; then
    log "port $port stays frozen: pid $holder froze it and is still running"
    return 0
  fi
  remove_freeze_rules "$port"
  rm -f "$(freeze_owner_file "$port")"
}

cmd_status() {
  require_root status
  local healthy=yes name pidfile pid port
  if ns_usable; then echo "namespace: $NS"; else echo "namespace: $NS MISSING"; healthy=no; fi
  for name in virtlogd libvirtd sshd; do
    pidfile="$STATE_DIR/$name.pid"
    if ns_usable && pid=$(daemon_pid "$pidfile" "$name"); then
      echo "$name: running (pid $pid)"
    else
      echo "$name: NOT RUNNING"
      healthy=no
    fi
  done
  if ns_usable; then
    for port in "${PORTS[@]}"; do
      if port_listening "$port"; then
        if in_ns iptables -w -C INPUT -p tcp --dport "$port" -j DROP 2>/dev/null; then
          echo "port 127.0.0.1:$port: listening, FROZEN"
        else
          echo "port 127.0.0.1:$port: listening"
        fi
      else
        echo "port 127.0.0.1:$port: NOT LISTENING"
        healthy=no
      fi
    done
  fi
  if [[ $healthy == yes ]]; then
    echo "uri: $(uri_for_port "${PORTS[0]}")"
    local listing
    if listing=$(virsh_uri "net-list --all; pool-list --all; list --all" 2>&1); then
      printf '%s\n' "$listing" | sed 's/^/  /'
      grep -qE "^ *$NETWORK +active" <<<"$listing" || { echo "network $NETWORK: NOT ACTIVE"; healthy=no; }
      for name in "$IMAGE_POOL" "$ROOT_POOL"; do
        grep -qE "^ *$name +active" <<<"$listing" || { echo "pool $name: NOT ACTIVE"; healthy=no; }
      done
    else
      echo "virsh over the URI failed: $listing"
      healthy=no
    fi
  fi
  [[ -f $ENV_FILE ]] || { echo "env file $ENV_FILE: MISSING"; healthy=no; }
  if [[ $healthy == yes ]]; then echo "harness: up"; return 0; fi
  echo "harness: NOT UP (repair with: $0 up)"
  return 1
}

local_virsh() { in_ns timeout 60 virsh -q -c "$LOCAL_URI" "$@"; }

clean_libvirt_objects() {
  local name vol
  for name in $(local_virsh list --all --name); do
    local_virsh destroy "$name" >/dev/null 2>&1 || true
    local_virsh undefine --managed-save --snapshots-metadata --checkpoints-metadata --nvram "$name" >/dev/null 2>&1 ||
      local_virsh undefine "$name" >/dev/null || log "could not undefine domain $name"
  done
  for name in $(local_virsh net-list --all --name); do
    local_virsh net-destroy "$name" >/dev/null 2>&1 || true
    # Debian ships the 'default' network definition; keep its file.
    [[ $name == default ]] || local_virsh net-undefine "$name" >/dev/null || log "could not undefine network $name"
  done
  for name in $(local_virsh pool-list --all --name); do
    local_virsh pool-start "$name" >/dev/null 2>&1 || true
    local_virsh pool-refresh "$name" >/dev/null 2>&1 || true
    while IFS= read -r vol; do
      [[ -n $vol ]] || continue
      local_virsh vol-delete --pool "$name" "$vol" >/dev/null || log "could not delete volume $vol in pool $name"
    done < <(local_virsh vol-list "$name" 2>/dev/null | awk '{ print $1 }')
    local_virsh pool-destroy "$name" >/dev/null 2>&1 || true
    local_virsh pool-undefine "$name" >/dev/null || log "could not undefine pool $name"
  done
}

cmd_down() {
  require_root down
  take_lock
  if inside_namespace; then
    die "down cannot run inside namespace $NS (it would kill itself); run it from the host"
  fi
  if ns_usable; then
    if daemon_pid "$STATE_DIR/libvirtd.pid" libvirtd >/dev/null && libvirtd_answers; then
      clean_libvirt_objects
    elif [[ -d $STATE_DIR ]]; then
      log "libvirtd is not answering; skipping cleanup of its domains, networks and pools"
    fi
  fi
  stop_pidfile_daemon "$STATE_DIR/sshd.pid" sshd
  stop_pidfile_daemon "$STATE_DIR/libvirtd.pid" libvirtd
  stop_pidfile_daemon "$STATE_DIR/virtlogd.pid" virtlogd
  # The recorded namespace may already be unlinked, with dnsmasq or QEMU still in it.
  if [[ -s $STATE_DIR/ns-inode && "$(<"$STATE_DIR/ns-inode")" != "$(ns_inode || true)" ]]; then
    stop_processes_in_netns_inode "$(<"$STATE_DIR/ns-inode")"
  fi
  if [[ -e /run/netns/$NS ]]; then
    local pids
    mapfile -t pids < <(ip netns pids "$NS" 2>/dev/null)
    stop_harness_processes_in "namespace $NS" "${pids[@]}"
    ip netns delete "$NS" 2>/dev/null || rm -f "/run/netns/$NS"
  fi

  remove_qemu_conf_block
  remove_known_hosts_entries
  if has_change created-known-hosts && [[ ! -s $KNOWN_HOSTS ]]; then rm -f "$KNOWN_HOSTS"; fi
  if has_change created-root-ssh-dir; then rmdir "$(dirname "$KNOWN_HOSTS")" 2>/dev/null || true; fi
  if has_change removed-default-network-autostart; then
    ln -sfn "$(cat "$STATE_DIR/default-network-autostart-target")" "$DEFAULT_NET_AUTOSTART"
  fi
  if has_change created-run-sshd && ! any_live_process sshd; then rmdir /run/sshd 2>/dev/null || true; fi
  if has_change created-run-libvirt; then rm -rf /run/libvirt; fi
  rm -rf "$DATA_DIR" "$STATE_DIR"
  log "down: namespace, daemons, libvirt objects and $DATA_DIR removed"
}

main() {
  local command=${1:-}
  (($# > 0)) && shift
  case $command in
    up) cmd_up ;;
    exec) cmd_exec "$@" ;;
    freeze) cmd_freeze "$@" ;;
    unfreeze) cmd_unfreeze "$@" ;;
    status) cmd_status ;;
    down) cmd_down ;;
    -h | --help | help) usage ;;
    *) usage; die "unknown command '${command}'" ;;
  esac
}

main "$@"
