#!/usr/bin/env bash
# The image's root filesystem (build/image/rootfs.sh) run with nothing else:
# unshare (mount, pid) + chroot, no /dev, no /proc, no shell. Logins, sftp,
# scp and -W work; a user whose shell is missing is refused with the path in
# the log; a helper that cannot start stops the daemon with the real cause.
. "$(dirname "$0")/lib.sh"
sshbox_setup
require_root
command -v unshare >/dev/null || { skip "distroless: unshare missing"; finish; }

R="$T/rootfs"
"$REPO_DIR/build/image/rootfs.sh" "$SSHBOX" "$R" || { fail "distroless: rootfs.sh"; finish; }
# One more account whose shell does not exist in the image.
echo "dlnosh:x:4216:4216::/home/dlnosh:/bin/bash" >> "$R/etc/passwd"
install -d -m 700 "$R/home/dlnosh"
ssh-keygen -q -t ed25519 -N '' -f "$T/dlkey"
install -d -m 700 "$R/home/dlnosh/.ssh"
cp "$T/dlkey.pub" "$R/home/dlnosh/.ssh/authorized_keys"
chown -R 4216:4216 "$R/home/dlnosh"
[ ! -e "$R/dev" ] && [ ! -e "$R/proc" ] && [ ! -e "$R/bin/sh" ]
check "distroless: rootfs has no /dev, /proc or shell" [ $? -eq 0 ]

PORT=$(free_port)
LOG="$T/chroot.log"
# start_chroot [sshd args...]: the daemon as pid 1 of a new pid namespace.
start_chroot() {
	: > "$LOG"
	SSHBOX_AUTHORIZED_KEYS="$(cat "$T/dlkey.pub")" unshare --mount --pid --fork --kill-child \
		chroot "$R" /usr/sbin/sshd -D -e -p "$PORT" -o ListenAddress=127.0.0.1 -o LogLevel=DEBUG \
		-o PerSourcePenalties=no "$@" >>"$LOG" 2>&1 &
	CHROOT_PID=$!
	_pids+=("$CHROOT_PID")
	local i
	for i in $(seq 1 100); do
		kill -0 "$CHROOT_PID" 2>/dev/null || return 1
		(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
SSHD_LOG=$LOG

if start_chroot; then pass "distroless: daemon starts in the bare rootfs"; else
	fail "distroless: daemon starts in the bare rootfs"; sed 's/^/  | /' "$LOG" | tail -20; finish; fi
check "distroless: host key created in the DataDirectory" test -s "$R/var/lib/sshbox/ssh_host_ed25519_key"
check "distroless: keys from SSHBOX_AUTHORIZED_KEYS written for root" \
	grep -q "$(cut -d' ' -f2 "$T/dlkey.pub")" "$R/var/lib/sshbox/authorized_keys/root"
check "distroless: log says children get a sealed memfd for stdio" log_has "children get a sealed memfd"

head -c 70000 /dev/urandom > "$T/up.bin"
out=$(printf 'put %s /root/up.bin\nget /root/up.bin %s\n' "$T/up.bin" "$T/down.bin" |
	timeout 30 sftp -b - "${SSHC_OPTS[@]}" -i "$T/dlkey" -P "$PORT" root@127.0.0.1 2>&1)
check "distroless: sftp upload and download" cmp -s "$T/up.bin" "$T/down.bin"
[ -f "$T/down.bin" ] || { echo "$out" | sed 's/^/  | /'; tail -20 "$LOG" | sed 's/^/  | /'; }
out=$(sshc root "$T/dlkey" 'echo hi' 2>&1); rc=$?
check "distroless: nologin shell refuses a command session (exit 1, message)" \
	eval '[ $rc -eq 1 ] && [ "$out" = "This account is currently not available." ]'
banner=$(sshc root "$T/dlkey" -W "127.0.0.1:$PORT" -- </dev/null 2>/dev/null | head -c 8)
check "distroless: ssh -W through the networking child" [ "$banner" = "SSH-2.0-" ]
sshc dlnosh "$T/dlkey" true >/dev/null 2>&1; rc=$?
check "distroless: user with a missing shell refused" [ $rc -eq 255 ]
check "distroless: the missing shell's path is logged" log_has "dlnosh .*shell /bin/bash does not exist"

kill -TERM "$(pgrep -P "$CHROOT_PID" | head -1)" 2>/dev/null
wait "$CHROOT_PID"; rc=$?
check "distroless: SIGTERM stops the daemon with status 0" [ $rc -eq 0 ]

# A helper that cannot work here (procself needs /proc): the daemon says
# why and does not start, instead of accepting logins that cannot run.
start_chroot -o HelperExecMethod=procself
for i in $(seq 1 100); do kill -0 "$CHROOT_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$CHROOT_PID" 2>/dev/null; then
	kill -TERM "$(pgrep -P "$CHROOT_PID" | head -1)" 2>/dev/null; rc=running
	wait "$CHROOT_PID"
else
	wait "$CHROOT_PID"; rc=$?
fi
check "distroless: no way to run children: daemon exits 255" [ $rc -eq 255 ]
check "distroless: ... naming the cause" log_has "procself .*failed: open /proc/self/exe: No such file or directory"
check "distroless: ... and saying it does not start" log_has "not starting"
finish
