# Shared setup of the benchmark scripts (sourced by run.sh, sftp.sh,
# forward.sh; benchmarks are not tests).
#
# bench_init NAME USER [WORKDIR]: must run as root with sshbox built; makes
#   the work dir W (mktemp under WORKDIR's parent pattern, default
#   /tmp/sshbox-NAME.XXXXXX), user USER with a usable account and the
#   client key $W/id authorized, host key $W/hostkey. The EXIT trap stops
#   every pid in PIDS, removes the user, W and any dir in BENCH_CLEAN_DIRS.
# bench_openssh [config lines...]: starts OpenSSH sshd on a free port (P_OSSH).
# bench_sshbox [sshd args...]: starts `sshbox sshd` on a free port (P_SB).
# free_port, wait_port PORT, median, ratio A B: helpers.
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
OUT=${OUT:-build/out}
SSHBOX=$PWD/$OUT/sshbox
PIDS=()
BENCH_CLEAN_DIRS=()

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
median() { python3 -c 'import sys,statistics;v=[float(x) for x in sys.stdin.read().split() if x!="n/a"];print("%.1f"%statistics.median(v) if v else "n/a")'; }
ratio() { python3 -c "import sys;a,b=sys.argv[1],sys.argv[2];print('n/a' if 'n/a' in (a,b) or float(b)==0 else '%.2f'%(float(a)/float(b)))" "$1" "$2"; }

bench_cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.3
	pkill -KILL -u "$BENCH_USER" 2>/dev/null
	userdel -r "$BENCH_USER" >/dev/null 2>&1
	rm -rf "$W" "${BENCH_CLEAN_DIRS[@]}"
}

bench_init() {
	local name=$1 workdir=${3:-/tmp/sshbox-$1.XXXXXX}
	BENCH_USER=$2
	[ "$(id -u)" -eq 0 ] || { echo "$name: run as root (creates a user, starts daemons)"; exit 1; }
	[ -x "$SSHBOX" ] || { echo "$name: build first ($SSHBOX)"; exit 1; }
	W=$(mktemp -d "$workdir" 2>/dev/null || mktemp -d "/tmp/sshbox-$name.XXXXXX")
	chmod 755 "$W"
	trap bench_cleanup EXIT
	id "$BENCH_USER" >/dev/null 2>&1 || useradd -m -s /bin/sh "$BENCH_USER"
	# a useradd account is locked ("!"): OpenSSH and sshbox refuse it even for keys
	echo "$BENCH_USER:pw-$RANDOM$RANDOM$RANDOM" | chpasswd
	H=$(getent passwd "$BENCH_USER" | cut -d: -f6)
	mkdir -p "$H/.ssh"
	ssh-keygen -q -t ed25519 -N '' -f "$W/id"
	cp "$W/id.pub" "$H/.ssh/authorized_keys"
	chown -R "$BENCH_USER:" "$H/.ssh"
	chmod 700 "$H/.ssh"
	chmod 600 "$H/.ssh/authorized_keys"
	ssh-keygen -q -t ed25519 -N '' -f "$W/hostkey"
}

bench_openssh() {
	P_OSSH=$(free_port)
	mkdir -p /run/sshd
	{
		printf '%s\n' "Port $P_OSSH" "ListenAddress 127.0.0.1" "HostKey $W/hostkey" "PidFile none" "UsePAM no" \
			"PasswordAuthentication no" "KbdInteractiveAuthentication no"
		printf '%s\n' "$@"
	} > "$W/sshd_config"
	/usr/sbin/sshd -D -e -f "$W/sshd_config" 2>"$W/ossh.log" & PIDS+=($!)
}

bench_sshbox() {
	P_SB=$(free_port)
	mkdir -p "$W/sbdata"
	"$SSHBOX" sshd -D -e -p "$P_SB" -h "$W/hostkey" -o ListenAddress=127.0.0.1 -o DataDirectory="$W/sbdata" \
		-o LogLevel=ERROR "$@" 2>"$W/sb.log" & PIDS+=($!)
}
