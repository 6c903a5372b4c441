# lib.sh: shared helpers for every integration test. Source it:
#
#   . "$(dirname "$0")/lib.sh"
#   sshbox_setup                      # temp dir, trap, binary path
#   make_user alice                   # real user via useradd (+ home, ~/.ssh)
#   make_key alice ed25519            # client key $T/alice_ed25519, authorized
#   start_sshd [-o Keyword=value ...] # daemon on a free 127.0.0.1 port -> $PORT
#   sshc alice $T/alice_ed25519 'echo hi'   # OpenSSH client, batch mode
#   use_peers                         # today's peers (build/peers.sh) -> $PEERS
#   SSHC_BIN=$PEERS/bin/ssh sshc ...  # the same helpers with OpenSSH 10.0
#   plinkc alice KEY 'echo hi'        # PuTTY 0.83 plink (key converted to .ppk)
#   dbclientc alice KEY 'echo hi'     # Dropbear 2025.89 dbclient
#   pass name / fail name / skip name       # PASS:/FAIL:/SKIP: lines
#   finish                            # exits non-zero when any fail was printed
#
# Variables after sshbox_setup: T (temp dir, removed at exit), SSHBOX (binary),
# PY (a python3 with paramiko when available). After start_sshd: PORT,
# SSHD_PID, SSHD_LOG (daemon stderr), SSHD_CONFIG, SSHD_DATADIR.
# SSHC_BIN: the OpenSSH client sshc and sshc_pw run (default: Debian 12's
# ssh on PATH; $PEERS/bin/ssh after use_peers for OpenSSH 10.0).
# Users created with make_user are deleted at exit.

set -u

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$LIB_DIR/../.." && pwd)
OUT=${OUT:-build/out}
case "$OUT" in /*) ;; *) OUT="$REPO_DIR/$OUT" ;; esac
SSHBOX=${SSHBOX:-$OUT/sshbox}

_fails=0
_users=()
_pids=()

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; _fails=$((_fails + 1)); }
skip() { echo "SKIP: $*"; }
# check NAME CMD...: PASS when CMD succeeds, FAIL otherwise.
check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n"; fi; }
finish() { [ "$_fails" -eq 0 ]; exit $?; }

_cleanup() {
	local p u
	for p in "${_pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${_pids[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	for u in "${_users[@]}"; do
		pkill -KILL -u "$u" 2>/dev/null
		userdel -r "$u" >/dev/null 2>&1 || userdel "$u" >/dev/null 2>&1
	done
	[ -n "${T:-}" ] && [ -d "$T" ] && [ -z "${KEEP_TMP:-}" ] && rm -rf "$T"
}

# sshbox_setup: must be called first. Skips the whole file (exit 0 with a
# SKIP line) when the binary is missing or we are not root and need_root=1.
sshbox_setup() {
	# Test files create real users with fixed names: two runs of the same
	# file at once (two checkouts on one machine) would delete each other's
	# users. One run per file at a time, machine-wide (not needed in CI,
	# which runs one suite; there a leaked daemon holding fd 8 must not
	# stall the next file).
	if [ -z "${CI:-}" ]; then
		exec 8>"/tmp/sshbox-testlock.$(basename "$0")"
		flock -w 900 8 || { echo "FAIL: $(basename "$0"): another run holds its lock"; exit 1; }
	fi
	T=$(mktemp -d /tmp/sshbox-test.XXXXXX)
	chmod 755 "$T"
	trap _cleanup EXIT
	trap 'exit 130' INT TERM
	if [ ! -x "$SSHBOX" ]; then
		skip "$(basename "$0"): $SSHBOX not built"
		exit 0
	fi
	PY=/usr/bin/python3
	/usr/bin/python3 -c 'import paramiko' 2>/dev/null || PY=python3
	# A file whose checks cannot fail (`check N [ a ] && [ b ]`) is refused
	# outright, whoever runs it (tests/gates/vacuous_checks.py says why).
	if ! "$(dirname "${BASH_SOURCE[0]}")/../gates/vacuous_checks.py" "$0" >"$T/gate.out"; then
		fail "$(basename "$0"): refused by the vacuous-check gate"
		sed 's/^/  /' "$T/gate.out"
		exit 1
	fi
}

require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		skip "$(basename "$0"): needs root"
		exit 0
	fi
}

# free_port: prints a currently unused 127.0.0.1 TCP port in a high range.
free_port() {
	local p i lo
	# Below the kernel's ephemeral range: a port from that range can be taken
	# as the source port of any outgoing connection between this check and
	# the moment the test binds it.
	lo=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	[ "${lo:-0}" -gt 12000 ] || lo=32768
	for i in $(seq 1 200); do
		p=$((10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000)))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			# also make sure nobody listens on it on any address
			if ! ss -ltnH "sport = :$p" 2>/dev/null | grep -q .; then
				echo "$p"; return 0
			fi
		fi
	done
	return 1
}

# make_user NAME [useradd args...]: creates a real user with a home dir and
# ~/.ssh (0700). A random password "pw-NAME-<rand>" is set and exported as
# PW_<NAME>. Users are removed at exit.
make_user() {
	local u=$1; shift
	pkill -KILL -u "$u" 2>/dev/null
	userdel -r "$u" >/dev/null 2>&1
	useradd -m -s /bin/sh "$@" "$u" || { fail "useradd $u"; return 1; }
	_users+=("$u")
	local home; home=$(getent passwd "$u" | cut -d: -f6)
	install -d -m 700 -o "$u" -g "$(id -gn "$u")" "$home/.ssh"
	local pw="pw-$u-$RANDOM$RANDOM"
	echo "$u:$pw" | chpasswd
	printf -v "PW_${u//[^A-Za-z0-9_]/_}" '%s' "$pw"
	export "PW_${u//[^A-Za-z0-9_]/_}"
}

# user_home NAME
user_home() { getent passwd "$1" | cut -d: -f6; }

# make_key USER TYPE [BITS]: creates $T/USER_TYPE (no passphrase) and
# appends its .pub to ~USER/.ssh/authorized_keys (0600, owned by USER).
# TYPE: ed25519 | rsa | ecdsa (BITS: 256/384/521 for ecdsa, 2048+ for rsa).
make_key() {
	local u=$1 type=$2 bits=${3:-}
	local f="$T/${u}_${type}${bits}"
	rm -f "$f" "$f.pub"
	ssh-keygen -q -t "$type" ${bits:+-b "$bits"} -N '' -C "$u-$type$bits" -f "$f" || return 1
	authorize_key "$u" "$f.pub"
	echo "$f"
}

# make_unauthorized_key NAME TYPE: a key that is not in any authorized_keys.
make_unauthorized_key() {
	local f="$T/unauth_$1_$2"
	rm -f "$f" "$f.pub"
	ssh-keygen -q -t "$2" -N '' -C "unauth" -f "$f" || return 1
	echo "$f"
}

# authorize_key USER PUBFILE [OPTIONS]: appends (with optional options prefix).
authorize_key() {
	local u=$1 pub=$2 opts=${3:-}
	local home; home=$(user_home "$u")
	local ak="$home/.ssh/authorized_keys"
	if [ -n "$opts" ]; then printf '%s %s\n' "$opts" "$(cat "$pub")" >> "$ak"; else cat "$pub" >> "$ak"; fi
	chown "$u:$(id -gn "$u")" "$ak"; chmod 600 "$ak"
}

# start_sshd [-o K=V ...] [other sshd flags]: writes $T/sshd_config (from
# SSHD_EXTRA_CONFIG lines if set), starts `sshbox sshd -D -e` on a free port
# with a temp DataDirectory, waits until it listens. Sets PORT, SSHD_PID,
# SSHD_LOG. A second call stops the previous daemon first.
start_sshd() {
	[ -n "${SSHD_PID:-}" ] && stop_sshd
	PORT=$(free_port) || { fail "no free port"; return 1; }
	SSHD_DATADIR="$T/data"
	mkdir -p "$SSHD_DATADIR"
	SSHD_CONFIG="$T/sshd_config"
	{
		echo "Port $PORT"
		echo "ListenAddress 127.0.0.1"
		echo "DataDirectory $SSHD_DATADIR"
		echo "LogLevel ${SSHD_LOGLEVEL:-DEBUG}"
		# Tests fail logins on purpose; per-source penalties would then
		# refuse 127.0.0.1. SSHD_PENALTIES=1 keeps the default (on).
		[ -z "${SSHD_PENALTIES:-}" ] && echo "PerSourcePenalties no"
		[ -n "${SSHD_EXTRA_CONFIG:-}" ] && printf '%s\n' "$SSHD_EXTRA_CONFIG"
	} > "$SSHD_CONFIG"
	SSHD_LOG="$T/sshd.log"
	: >> "$SSHD_LOG"
	"$SSHBOX" sshd -D -e -f "$SSHD_CONFIG" -p "$PORT" "$@" >>"$SSHD_LOG" 2>&1 &
	SSHD_PID=$!
	# Not a job of the test shell: a test that waits for its own background
	# jobs (`wait`, `jobs -p`) must not wait for the daemon. Bash still
	# reaps it, so kill -0 tells when it has exited.
	disown "$SSHD_PID" 2>/dev/null
	_pids+=("$SSHD_PID")
	local i
	for i in $(seq 1 100); do
		if ! kill -0 "$SSHD_PID" 2>/dev/null; then
			fail "sshd exited at startup (log follows)"; sed 's/^/  | /' "$SSHD_LOG" | tail -30
			SSHD_PID=; return 1
		fi
		if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	fail "sshd did not listen on port $PORT"
	sed 's/^/  | /' "$SSHD_LOG" | tail -30
	return 1
}

stop_sshd() {
	[ -n "${SSHD_PID:-}" ] || return 0
	kill "$SSHD_PID" 2>/dev/null
	local i
	for i in $(seq 1 50); do kill -0 "$SSHD_PID" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$SSHD_PID" 2>/dev/null
	wait "$SSHD_PID" 2>/dev/null
	SSHD_PID=
}

# host_pubkey: path of the daemon's auto-created ed25519 host public key.
host_pubkey() { echo "$SSHD_DATADIR/ssh_host_ed25519_key.pub"; }

# sshc USER KEY [ssh options...] -- CMD...  or  sshc USER KEY CMD...
# Runs OpenSSH ssh in batch mode against $PORT. Extra ssh options may come
# before the command when followed by "--".
SSHC_OPTS=(-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=10 -o IdentitiesOnly=yes)
sshc() {
	local u=$1 key=$2; shift 2
	local opts=()
	if printf '%s\n' "$@" | grep -qx -- '--'; then
		while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
		shift
	fi
	timeout -k 5 "${SSHC_TIMEOUT:-60}" "${SSHC_BIN:-ssh}" "${SSHC_OPTS[@]}" -i "$key" -p "$PORT" "${opts[@]}" \
		"$u@127.0.0.1" "$@"
}

# sshc_pw USER PASSWORD CMD...: password login via sshpass-free SSH_ASKPASS.
sshc_pw() {
	local u=$1 pw=$2; shift 2
	local ap="$T/askpass.$$"
	printf '#!/bin/sh\necho %q\n' "$pw" > "$ap"; chmod 700 "$ap"
	SSH_ASKPASS="$ap" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
		timeout -k 5 "${SSHC_TIMEOUT:-60}" "${SSHC_BIN:-ssh}" -F /dev/null -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10 \
		-o PubkeyAuthentication=no -o PreferredAuthentications=password,keyboard-interactive \
		-o NumberOfPasswordPrompts=1 -p "$PORT" "$u@127.0.0.1" "$@" </dev/null
}

# log_has REGEX: the daemon log contains a line matching REGEX (ERE); waits
# up to 3 s because the log line may be written after the client exits.
log_has() {
	local i
	for i in $(seq 1 30); do
		grep -Eq -- "$1" "$SSHD_LOG" && return 0
		sleep 0.1
	done
	return 1
}

# sshd_children: number of live descendants of the listener.
sshd_children() {
	[ -n "${SSHD_PID:-}" ] || { echo 0; return; }
	local n=0 p
	for p in $(pgrep -P "$SSHD_PID"); do n=$((n + 1 + $(pgrep -P "$p" | wc -l))); done
	echo "$n"
}

# wait_children N [SECONDS]: waits until the listener has at most N descendants.
wait_children() {
	local want=$1 secs=${2:-5} i
	for i in $(seq 1 $((secs * 10))); do
		[ "$(sshd_children)" -le "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

# sshd_alive: the listener process still runs and accepts connections.
sshd_alive() {
	kill -0 "$SSHD_PID" 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

# use_peers: sets PEERS to the prefix of today's peers (OpenSSH 10.0p1,
# PuTTY 0.83, Dropbear 2025.89; see build/peers.sh), building them when the
# cache is missing. When that fails it prints a FAIL line and returns 1:
# a test that needs the peers fails, it never skips silently.
use_peers() {
	[ -n "${PEERS:-}" ] && [ -f "$PEERS/.complete" ] && return 0
	PEERS=$("$REPO_DIR/build/peers.sh" | tail -n 1)
	if [ -z "$PEERS" ] || [ ! -f "$PEERS/.complete" ]; then
		fail "build/peers.sh could not build today's peers"
		PEERS=
		return 1
	fi
	export PEERS
}

# peer_hostkey_fp: SHA256 fingerprint of the daemon's ed25519 host key
# (PuTTY's -hostkey takes it, so plink never asks).
peer_hostkey_fp() { ssh-keygen -l -E sha256 -f "$(host_pubkey)" | awk '{print $2}'; }

# putty_kex LIST: PuTTY's key exchange preference (its KEX setting, e.g.
# mlkem-curve25519,ntru-curve25519,ecdh,WARN) for plinkc and pscpc, kept in
# PuTTY's Default Settings under $T/putty (PuTTY has no command-line option
# for it). PuTTY 0.83's own default puts ntru-curve25519 (sntrup761) first.
putty_kex() {
	mkdir -p "$T/putty/.putty/sessions"
	printf 'KEX=%s\n' "$1" > "$T/putty/.putty/sessions/Default%20Settings"
}

# plinkc USER KEY [plink options...] -- CMD...  or  plinkc USER KEY CMD...
# PuTTY 0.83's plink in batch mode against $PORT; KEY (an OpenSSH private
# key) is converted once to KEY.ppk with PuTTY's puttygen. PuTTY's HOME is
# $T/putty: root's own PuTTY settings and host key cache stay untouched.
plinkc() {
	local u=$1 key=$2; shift 2
	local opts=()
	if printf '%s\n' "$@" | grep -qx -- '--'; then
		while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
		shift
	fi
	if [ ! -f "$key.ppk" ]; then
		"$PEERS/bin/puttygen" "$key" -O private -o "$key.ppk" </dev/null || return 1
	fi
	mkdir -p "$T/putty"
	HOME="$T/putty" timeout -k 5 "${SSHC_TIMEOUT:-60}" "$PEERS/bin/plink" -ssh -batch -noagent -P "$PORT" \
		-l "$u" -i "$key.ppk" -hostkey "$(peer_hostkey_fp)" "${opts[@]}" 127.0.0.1 "$@" </dev/null
}

# pscpc USER KEY.ppk [pscp options...] SRC... DST: PuTTY 0.83's pscp
# against $PORT (DST or SRC as 127.0.0.1:PATH), batch mode, as plinkc.
pscpc() {
	local u=$1 ppk=$2; shift 2
	mkdir -p "$T/putty"
	HOME="$T/putty" timeout -k 5 "${SSHC_TIMEOUT:-60}" "$PEERS/bin/pscp" -batch -noagent -P "$PORT" -l "$u" \
		-i "$ppk" -hostkey "$(peer_hostkey_fp)" "$@" </dev/null
}

# make_dropbear_key USER: a Dropbear-format ed25519 key $T/USER_dropbear
# (made with Dropbear's dropbearkey: dbclient does not read OpenSSH's
# format), authorized for USER; prints its path.
make_dropbear_key() {
	local u=$1 f="$T/$1_dropbear"
	rm -f "$f"
	"$PEERS/bin/dropbearkey" -t ed25519 -f "$f" >/dev/null 2>&1 || return 1
	"$PEERS/bin/dropbearkey" -y -f "$f" 2>/dev/null | grep '^ssh-ed25519 ' > "$f.pub" || return 1
	authorize_key "$u" "$f.pub"
	echo "$f"
}

# dbclientc USER KEY [dbclient options...] -- CMD...  or  dbclientc USER KEY CMD...
# Dropbear 2025.89's dbclient against $PORT with a key from
# make_dropbear_key, host key not checked (-yy: nothing is written to
# known_hosts).
dbclientc() {
	local u=$1 key=$2; shift 2
	local opts=()
	if printf '%s\n' "$@" | grep -qx -- '--'; then
		while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
		shift
	fi
	timeout -k 5 "${SSHC_TIMEOUT:-60}" "$PEERS/bin/dbclient" -yy -i "$key" -p "$PORT" "${opts[@]}" \
		"$u@127.0.0.1" "$@" </dev/null
}
