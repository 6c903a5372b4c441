#!/bin/bash
# Sessions end to end with OpenSSH's ssh against `sshbox sshd` (as root):
# privilege drop (uid/gid/groups), the exec applet from the memfd helper,
# fd hygiene, exit status, bulk data both ways, environment and AcceptEnv,
# ForceCommand / command= with SSH_ORIGINAL_COMMAND, home/shell fallbacks,
# an interactive pty driven by tmux (prompt, window size, Ctrl-C, exit 3),
# utmp/wtmp records read by who/last (also after the client is SIGKILLed),
# and the internal sftp subsystem.
. "$(dirname "$0")/lib.sh"
sshbox_setup
require_root

U=sbxsess
G1=sbxsg1
G2=sbxsg2
groupdel "$G1" >/dev/null 2>&1; groupdel "$G2" >/dev/null 2>&1
groupadd "$G1" && groupadd "$G2" || { fail "groupadd"; finish; }
_cleanup_groups() { groupdel "$G1" >/dev/null 2>&1; groupdel "$G2" >/dev/null 2>&1; }
TMUX_SOCK="sbxtest$$"
_cleanup_tmux() { tmux -L "$TMUX_SOCK" kill-server >/dev/null 2>&1; }
trap '_cleanup_tmux; _cleanup; _cleanup_groups' EXIT

make_user "$U" -G "$G1,$G2" || finish
KEY=$(make_key "$U" ed25519) || { fail "make_key"; finish; }
HOME_U=$(user_home "$U")

# Keys also outside the home, so home-directory tests can break the home.
mkdir -p "$T/ak"
cp "$HOME_U/.ssh/authorized_keys" "$T/ak/$U"
KEY2="$T/${U}_forced"
ssh-keygen -q -t ed25519 -N '' -C forced -f "$KEY2"
printf 'command="echo keycmd:$SSH_ORIGINAL_COMMAND" %s\n' "$(cat "$KEY2.pub")" >> "$T/ak/$U"
chmod 644 "$T/ak/$U"

export SSHD_EXTRA_CONFIG="AuthorizedKeysFile .ssh/authorized_keys $T/ak/%u
StrictModes no
Subsystem sftp internal-sftp"
start_sshd || finish

# ---- identity, helper, fds ----
out=$(sshc "$U" "$KEY" 'id -u; id -g; id -G | tr " " "\n" | sort -n | tr "\n" " "')
want="$(id -u "$U")
$(id -g "$U")
$(id -G "$U" | tr ' ' '\n' | sort -n | tr '\n' ' ')"
if [ "$out" = "$want" ]; then pass "id: uid, gid and supplementary groups"; else fail "id: got [$out] want [$want]"; fi

sshc "$U" "$KEY" 'sleep 3' &
bgpid=$!
EPID=
for i in $(seq 1 50); do
	EPID=$(pgrep -x sshbox-exec | while read -r p; do pgrep -P "$p" -u "$U" >/dev/null && echo "$p"; done | head -1)
	[ -n "$EPID" ] && break
	sleep 0.1
done
exe=$(readlink "/proc/$EPID/exe" 2>/dev/null)
euid=$(awk '/^Uid:/ {print $3}' "/proc/$EPID/status" 2>/dev/null)
if [ "$exe" = "/memfd:sshbox-helper (deleted)" ] && [ "$euid" = 0 ]; then
	pass "exec applet (comm sshbox-exec, root) runs from the memfd helper"
else
	fail "exec applet: pid [$EPID] exe [$exe] euid [$euid]"
fi
SHPID=$(pgrep -P "$EPID" | head -1)
euid=$(awk '/^Uid:/ {print $2 "/" $3 "/" $4}' "/proc/$SHPID/status" 2>/dev/null)
u=$(id -u "$U")
check "the command runs as the user (real/effective/saved uid)" [ "$euid" = "$u/$u/$u" ]
wait "$bgpid"

out=$(sshc "$U" "$KEY" 'ls /proc/self/fd | tr "\n" " "')
if [ "$out" = "0 1 2 3 " ]; then pass "no daemon fd leaks into the session"; else fail "fds in session: [$out]"; fi

# ---- exit status, data ----
sshc "$U" "$KEY" 'exit 7'; rc=$?
check "exit status 7 reaches the client" [ "$rc" -eq 7 ]
out=$(sshc "$U" "$KEY" -v -- 'kill -TERM $$' 2>&1); rc=$?
if [ "$rc" -eq 255 ] && grep -q "rtype exit-signal" <<<"$out"; then
	pass "exit-signal TERM reaches the client (ssh exits 255)"
else
	fail "exit-signal: rc $rc $(grep -i exit <<<"$out" | head -3)"
fi

# several sessions multiplexed over one connection (ControlMaster)
CM="$T/cm.sock"
timeout 60 ssh "${SSHC_OPTS[@]}" -i "$KEY" -p "$PORT" -o ControlMaster=yes -o ControlPath="$CM" -N -f "$U@127.0.0.1" >/dev/null 2>&1 </dev/null
muxpids=()
for i in 1 2 3 4 5; do
	timeout 30 ssh "${SSHC_OPTS[@]}" -o ControlPath="$CM" -p "$PORT" "$U@127.0.0.1" "sleep 0.5; echo s$i; exit $i" > "$T/mux$i" 2>&1 &
	muxpids+=($!)
done
wait_ok=1
for j in "${muxpids[@]}"; do wait "$j" 2>/dev/null; done
for i in 1 2 3 4 5; do [ "$(cat "$T/mux$i")" = "s$i" ] || wait_ok=0; done
check "5 concurrent sessions on one connection (ControlMaster)" [ "$wait_ok" = 1 ]
ssh -o ControlPath="$CM" -O exit "$U@127.0.0.1" >/dev/null 2>&1

n=$(sshc "$U" "$KEY" 'seq 1 100000' | wc -l)
check "seq 1 100000 gives every line" [ "$n" = 100000 ]
n=$(sshc "$U" "$KEY" 'seq 1 50000; seq 1 50000 >&2' 2>&1 >/dev/null | wc -l)
check "stderr of a command arrives complete" [ "$n" = 50000 ]

head -c $((32 * 1024 * 1024)) /dev/urandom > "$T/big"
a=$(sha256sum < "$T/big" | cut -d' ' -f1)
b=$(sshc "$U" "$KEY" cat < "$T/big" | sha256sum | cut -d' ' -f1)
check "32 MiB through cat round-trips exactly" [ "$a" = "$b" ]
b=$(sshc "$U" "$KEY" 'sha256sum' < "$T/big" | cut -d' ' -f1)
check "32 MiB to a command's stdin arrives exactly" [ "$a" = "$b" ]

# ---- environment ----
out=$(sshc "$U" "$KEY" 'echo "$USER|$LOGNAME|$HOME|$SHELL|$MAIL|$PATH"')
want="$U|$U|$HOME_U|/bin/sh|/var/mail/$U|/usr/local/bin:/usr/bin:/bin:/usr/games"
if [ "$out" = "$want" ]; then pass "USER LOGNAME HOME SHELL MAIL PATH"; else fail "env: [$out] want [$want]"; fi
out=$(sshc "$U" "$KEY" 'echo "$SSH_CLIENT|$SSH_CONNECTION|${SSH_TTY-unset}"')
case "$out" in
"127.0.0.1 "[0-9]*" $PORT|127.0.0.1 "[0-9]*" 127.0.0.1 $PORT|unset") pass "SSH_CLIENT SSH_CONNECTION (no SSH_TTY without pty)" ;;
*) fail "SSH_* env: [$out]" ;;
esac
out=$(LANG=sbx.LANG FOO=sbxfoo LC_SBX=lcval sshc "$U" "$KEY" -o SendEnv=LANG -o SendEnv=FOO -o SendEnv=LC_SBX -- 'echo "${LANG-unset}|${FOO-unset}|${LC_SBX-unset}"')
if [ "$out" = "sbx.LANG|unset|lcval" ]; then pass "AcceptEnv: LANG and LC_* pass, FOO does not"; else fail "AcceptEnv: [$out]"; fi
out=$(sshc "$U" "$KEY" -tt -- 'echo "T=$TERM S=$SSH_TTY"' 2>/dev/null | tr -d '\r')
case "$out" in
"T=xterm S=/dev/pts/"[0-9]*|"T="*" S=/dev/pts/"[0-9]*) pass "pty session has TERM and SSH_TTY ($out)" ;;
*) fail "pty env: [$out]" ;;
esac

# ---- forced commands ----
out=$(sshc "$U" "$KEY2" 'hello world')
check "authorized_keys command= runs with SSH_ORIGINAL_COMMAND" [ "$out" = "keycmd:hello world" ]
SSHD_EXTRA_CONFIG="$SSHD_EXTRA_CONFIG
ForceCommand echo forced:\$SSH_ORIGINAL_COMMAND" start_sshd || finish
out=$(sshc "$U" "$KEY" 'ls -l /')
check "ForceCommand with SSH_ORIGINAL_COMMAND" [ "$out" = "forced:ls -l /" ]
start_sshd || finish

# ---- sftp subsystem (internal) ----
echo hello-sftp > "$HOME_U/sftp-probe"; chown "$U" "$HOME_U/sftp-probe"
out=$(printf 'pwd\nget sftp-probe %s\n' "$T/sftp-got" | timeout 20 sftp -F /dev/null -o StrictHostKeyChecking=no \
	-o UserKnownHostsFile=/dev/null -o BatchMode=yes -o IdentitiesOnly=yes -i "$KEY" -P "$PORT" -b - "$U@127.0.0.1" 2>&1)
if grep -q "Remote working directory: $HOME_U" <<<"$out" && [ "$(cat "$T/sftp-got" 2>/dev/null)" = hello-sftp ]; then
	pass "subsystem sftp runs as the user in the home directory"
else
	fail "sftp subsystem: $out"
fi

# ---- ChrootDirectory + ForceCommand internal-sftp (root-owned jail) ----
JAIL="/var/lib/sbxjail.$$"
mkdir -p "$JAIL/pub" && chmod 755 "$JAIL" && echo in-jail > "$JAIL/pub/file"
SSHD_EXTRA_CONFIG="$SSHD_EXTRA_CONFIG
ChrootDirectory $JAIL
ForceCommand internal-sftp" start_sshd || finish
out=$(printf 'pwd\nls /\nget /pub/file %s\nget /etc/passwd %s\n' "$T/jail-got" "$T/jail-passwd" | timeout 20 sftp -F /dev/null \
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o IdentitiesOnly=yes -i "$KEY" \
	-P "$PORT" -b - "$U@127.0.0.1" 2>&1)
if grep -q "Remote working directory: /$" <<<"$out" && [ "$(cat "$T/jail-got" 2>/dev/null)" = in-jail ] && [ ! -s "$T/jail-passwd" ]; then
	pass "ChrootDirectory + internal-sftp: jailed at /, cannot read outside"
else
	fail "chroot sftp: $out"
fi
SSHD_EXTRA_CONFIG="$SSHD_EXTRA_CONFIG
ChrootDirectory $T" start_sshd || finish
out=$(sshc "$U" "$KEY" 'echo escaped' 2>&1)
if ! grep -q '^escaped$' <<<"$out" && grep -q "bad ownership or modes for chroot directory" <<<"$out"; then
	pass "ChrootDirectory with a group/world-writable component is refused"
else
	fail "unsafe chroot: [$out]"
fi
rm -rf "$JAIL"
start_sshd || finish

# ---- no-pty, PermitTTY, PrintMotd ----
KEY3="$T/${U}_nopty"
ssh-keygen -q -t ed25519 -N '' -C nopty -f "$KEY3"
printf 'no-pty %s\n' "$(cat "$KEY3.pub")" >> "$T/ak/$U"
out=$(sshc "$U" "$KEY3" -tt -- 'tty; echo done' 2>&1 | tr -d '\r')
# (OpenSSH's client closes the channel itself when an explicit -tt fails)
if grep -q "PTY allocation request failed" <<<"$out" && log_has "pty refused for $U \(no-pty key option\)"; then
	pass "no-pty key option refuses the pty"
else
	fail "no-pty: [$out]"
fi
if [ -w /etc/motd ] || [ ! -e /etc/motd ]; then
	cp -a /etc/motd "$T/motd.orig" 2>/dev/null
	trap 'if [ -e "$T/motd.orig" ]; then cp -a "$T/motd.orig" /etc/motd; else rm -f /etc/motd; fi; _cleanup_tmux; _cleanup; _cleanup_groups' EXIT
	echo "sbx-motd-marker-$$" > /etc/motd
	SSHD_EXTRA_CONFIG="$SSHD_EXTRA_CONFIG
PrintMotd yes" start_sshd || finish
	out=$(printf 'exit 0\n' | sshc "$U" "$KEY" -tt 2>/dev/null | tr -d '\r')
	out2=$(sshc "$U" "$KEY" -tt -- true 2>/dev/null | tr -d '\r')
	if grep -q "sbx-motd-marker-$$" <<<"$out" && ! grep -q "sbx-motd-marker" <<<"$out2"; then
		pass "PrintMotd: /etc/motd for interactive login shells only"
	else
		fail "PrintMotd: shell [$out] command [$out2]"
	fi
	SSHD_EXTRA_CONFIG="$SSHD_EXTRA_CONFIG
PermitTTY no" start_sshd || finish
	out=$(sshc "$U" "$KEY" -tt -- 'tty' 2>&1 | tr -d '\r')
	if grep -q "PTY allocation request failed" <<<"$out" && log_has "pty refused for $U \(PermitTTY no\)"; then
		pass "PermitTTY no refuses ptys"
	else
		fail "PermitTTY no: [$out]"
	fi
	if [ -e "$T/motd.orig" ]; then cp -a "$T/motd.orig" /etc/motd; else rm -f /etc/motd; fi
	start_sshd || finish
fi

# ---- home and shell fallbacks ----
chmod 000 "$HOME_U"
out=$(sshc "$U" "$KEY" pwd 2>"$T/err")
if [ "$out" = "/" ] && grep -q "Could not chdir to home directory $HOME_U: Permission denied" "$T/err"; then
	pass "mode-000 home: session starts in / with a warning"
else
	fail "mode-000 home: out [$out] err [$(cat "$T/err")]"
fi
chmod 755 "$HOME_U"
usermod -d /nonexistent/sbxhome "$U"
out=$(sshc "$U" "$KEY" pwd 2>"$T/err")
if [ "$out" = "/" ] && grep -q "Could not chdir to home directory /nonexistent/sbxhome: No such file or directory" "$T/err"; then
	pass "missing home: session starts in / with a warning"
else
	fail "missing home: out [$out] err [$(cat "$T/err")]"
fi
usermod -d "$HOME_U" "$U"
usermod -s /nonexistent/shell "$U"
start_sshd || finish
out=$(SSHC_TIMEOUT=20 sshc "$U" "$KEY" 'echo should-not-run' 2>&1); rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && ! grep -q should-not-run <<<"$out"; then
	pass "missing shell: clean refusal/error (rc $rc: $(echo "$out" | head -1))"
else
	fail "missing shell: rc $rc out [$out]"
fi
usermod -s /bin/sh "$U"
start_sshd || finish

# ---- non-root daemon: only its own user, no setgroups/utmp/audit/PAM ----
stop_sshd
NR="$T/nonroot"
mkdir -p "$NR"
NRPORT=$(free_port)
printf 'Port %s\nListenAddress 127.0.0.1\nDataDirectory %s\nLogLevel DEBUG\nAuthorizedKeysFile .ssh/authorized_keys\n' \
	"$NRPORT" "$NR" > "$NR/sshd_config"
chown -R "$U" "$NR"
runuser -u "$U" -- "$SSHBOX" sshd -D -e -f "$NR/sshd_config" -p "$NRPORT" > "$T/nonroot.log" 2>&1 &
NRPID=$!
_pids+=("$NRPID")
for i in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$NRPORT") 2>/dev/null && break; sleep 0.05; done
out=$(PORT=$NRPORT sshc "$U" "$KEY" 'id -u; id -G | wc -w; pwd' 2>&1 | tr '\n' ' ')
want="$(id -u "$U") $(id -G "$U" | wc -w) $HOME_U "
if [ "$out" = "$want" ]; then pass "non-root daemon: its own user logs in (uid, groups, home)"; else fail "non-root daemon: [$out] want [$want]"; fi
PORT=$NRPORT sshc root "$KEY" true >/dev/null 2>&1; rc=$?
check "non-root daemon: another user (root) cannot log in" [ "$rc" -ne 0 ]
if grep -q "exec: not root .*setgroups, utmp/wtmp, audit, loginuid and PAM are skipped" "$T/nonroot.log"; then
	pass "non-root daemon: skips are logged at debug level"
else
	fail "non-root daemon log: $(grep -i exec "$T/nonroot.log" | head -5)"
fi
kill "$NRPID" 2>/dev/null; wait "$NRPID" 2>/dev/null
start_sshd || finish

# ---- interactive pty through tmux ----
if ! command -v tmux >/dev/null; then
	skip "interactive pty tests: tmux not installed"
	finish
fi
tm() { tmux -L "$TMUX_SOCK" "$@"; }
pane() { tm capture-pane -p -t s 2>/dev/null; }
# wait_pane REGEX [SECONDS]
wait_pane() {
	local i
	for i in $(seq 1 $((${2:-10} * 10))); do pane | grep -Eq -- "$1" && return 0; sleep 0.1; done
	return 1
}
SSHCMD="ssh ${SSHC_OPTS[*]} -i $KEY -p $PORT -tt $U@127.0.0.1"
tm -f /dev/null new-session -d -s s -x 100 -y 30 "$SSHCMD; echo EXIT=\$? > $T/tmux-exit; sleep 60"
tm set-option -g status off >/dev/null
if wait_pane '\$ ?$' 15; then pass "interactive: prompt appears"; else fail "interactive: no prompt: $(pane | tail -3)"; fi
tm send-keys -t s 'stty size' Enter
if wait_pane '^30 100' 5; then pass "interactive: stty size is the client's 30x100"; else fail "interactive: stty size: $(pane | tail -3)"; fi
tm resize-window -t s -x 120 -y 40 2>/dev/null || tm resize-pane -t s -x 120 -y 40
sleep 0.5
tm send-keys -t s 'stty size' Enter
if wait_pane '^40 120' 5; then pass "interactive: stty size follows a window change (40x120)"; else fail "interactive: window change: $(pane | tail -3)"; fi
tm send-keys -t s 'tty > /tmp/sbx-tty.'"$$" Enter
sleep 0.5
TTY=$(cat /tmp/sbx-tty.$$ 2>/dev/null); rm -f /tmp/sbx-tty.$$
TTYL=${TTY#/dev/}
if [ -n "$TTYL" ] && who | grep -Eq "^$U +$TTYL "; then pass "utmp: who shows $U on $TTYL"; else fail "utmp: who: [$(who)] tty [$TTY]"; fi
if last -w -f /var/log/wtmp | grep -E "^$U +$TTYL " | head -1 | grep -q "still logged in"; then
	pass "wtmp: last shows the session as logged in"
else
	fail "wtmp: last: $(last -w -f /var/log/wtmp | head -3)"
fi
tm send-keys -t s 'sleep 100; echo slept-$((40+2))' Enter
sleep 1
tm send-keys -t s C-c
tm send-keys -t s 'echo after-int-$((1+1))' Enter
if wait_pane 'after-int-2' 5 && ! pane | grep -q slept-42; then pass "interactive: Ctrl-C interrupts sleep"; else fail "interactive: Ctrl-C: $(pane | tail -4)"; fi
tm send-keys -t s 'exit 3' Enter
for i in $(seq 1 50); do [ -s "$T/tmux-exit" ] && break; sleep 0.1; done
if [ "$(cat "$T/tmux-exit" 2>/dev/null)" = "EXIT=3" ]; then pass "interactive: exit 3 returns 3 to the client"; else fail "interactive: exit: [$(cat "$T/tmux-exit" 2>/dev/null)]"; fi
sleep 1.1 # last prints "still running" for a logout in the current second
if ! who | grep -Eq "^$U +$TTYL "; then pass "utmp: entry gone after logout"; else fail "utmp: still in who after logout"; fi
if last -w -f /var/log/wtmp | grep -E "^$U +$TTYL " | head -1 | grep -Eq -- "- [0-9]{2}:[0-9]{2} "; then
	pass "wtmp: last shows the logout"
else
	fail "wtmp: no logout: $(last -w -f /var/log/wtmp | head -3)"
fi
tm kill-session -t s 2>/dev/null

# client killed with SIGKILL: logout record still written
rm -f "$T/tmux-exit"
tm -f /dev/null new-session -d -s s -x 80 -y 24 "$SSHCMD; sleep 60"
tm set-option -g status off >/dev/null
wait_pane '\$ ?$' 15 || fail "second interactive session: no prompt"
tm send-keys -t s 'tty > /tmp/sbx-tty.'"$$" Enter
sleep 0.5
TTY=$(cat /tmp/sbx-tty.$$ 2>/dev/null); rm -f /tmp/sbx-tty.$$
TTYL=${TTY#/dev/}
CPID=$(pgrep -f -- "-p $PORT -tt $U@127.0.0.1" | head -1)
if [ -n "$CPID" ] && [ -n "$TTYL" ] && who | grep -Eq "^$U +$TTYL "; then
	kill -9 "$CPID"
	ok=0
	for i in $(seq 1 50); do
		if ! who | grep -Eq "^$U +$TTYL "; then ok=1; break; fi
		sleep 0.1
	done
	check "client SIGKILLed: utmp entry removed" [ "$ok" = 1 ]
	sleep 1.1
	if last -w -f /var/log/wtmp | grep -E "^$U +$TTYL " | head -1 | grep -Eq -- "- [0-9]{2}:[0-9]{2} "; then
		pass "client SIGKILLed: wtmp logout recorded"
	else
		fail "client SIGKILLed: last: $(last -w -f /var/log/wtmp | head -3)"
	fi
	if ! pgrep -u "$U" >/dev/null; then pass "client SIGKILLed: no process of the user is left"; else fail "client SIGKILLed: left: $(pgrep -a -u "$U")"; fi
else
	fail "SIGKILL test setup: client pid [$CPID] tty [$TTY]"
fi
tm kill-server 2>/dev/null
finish
