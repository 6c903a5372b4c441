#!/usr/bin/env bash
# Foundation: both executables static, dispatch, --list/--install/--features,
# the helper embedded byte for byte, every helper exec method (and the
# fallbacks when memfd exec is refused), checkhomedir exit codes.
. "$(dirname "$0")/lib.sh"
sshbox_setup
HELPER=$OUT/sshbox-helper
SYSOUT=${SYSOUT:-build/out-system}
case "$SYSOUT" in /*) ;; *) SYSOUT="$REPO_DIR/$SYSOUT" ;; esac

# ---- static linking, sizes
for b in "$SSHBOX" "$HELPER"; do
	n=$(basename "$b")
	f=$(file -b "$b")
	if [[ "$f" == *"static-pie linked"* || "$f" == *"statically linked"* ]]; then pass "$n is static ($f)"; else fail "$n is static: file says: $f"; fi
	l=$(ldd "$b" 2>&1)
	if [[ "$l" == *"statically linked"* || "$l" == *"not a dynamic executable"* ]]; then pass "$n: ldd finds no deps"; else fail "$n: ldd: $l"; fi
done
[[ "$(file -b "$HELPER")" == *", stripped"* ]] && pass "helper is stripped" || fail "helper is stripped"
size_full=$(stat -c %s "$SSHBOX") size_helper=$(stat -c %s "$HELPER")
echo "sizes: sshbox $size_full bytes ($((size_full / 1024)) KiB), sshbox-helper $size_helper bytes ($((size_helper / 1024)) KiB)"
[ "$size_full" -le $((2 * 1024 * 1024)) ] && pass "sshbox <= 2 MiB ($size_full)" || fail "sshbox <= 2 MiB ($size_full)"
[ "$size_helper" -le $((512 * 1024)) ] && pass "sshbox-helper <= 512 KiB ($size_helper)" || fail "sshbox-helper <= 512 KiB ($size_helper)"
if readelf -lW "$SSHBOX" | grep -q GNU_RELRO && readelf -dW "$SSHBOX" | grep -q BIND_NOW; then pass "full RELRO"; else fail "full RELRO"; fi
if readelf -lW "$SSHBOX" | grep GNU_STACK | grep -q 'RW '; then pass "NX stack"; else fail "NX stack"; fi

# ---- the helper is embedded byte for byte
emb=$(python3 - "$SSHBOX" "$HELPER" <<'PY'
import sys, subprocess
full = open(sys.argv[1], 'rb').read(); helper = open(sys.argv[2], 'rb').read()
found = full.find(helper)
count = full.count(helper)
# Cross-check with the symbols when the full binary still has them.
sym = {}
for line in subprocess.run(['nm', sys.argv[1]], capture_output=True, text=True).stdout.splitlines():
    p = line.split()
    if len(p) == 3 and p[2] in ('sshbox_helper_blob', 'sshbox_helper_blob_end'):
        sym[p[2]] = int(p[0], 16)
symok = 'nosym'
if len(sym) == 2:
    out = subprocess.run(['readelf', '-SW', sys.argv[1]], capture_output=True, text=True).stdout
    for line in out.splitlines():
        p = line.replace('[ ', '[').split()
        if len(p) > 5 and p[0].startswith('[') and p[2] == 'PROGBITS':
            addr, off, size = int(p[3], 16), int(p[4], 16), int(p[5], 16)
            if addr <= sym['sshbox_helper_blob'] < addr + size:
                start = sym['sshbox_helper_blob'] - addr + off
                end = sym['sshbox_helper_blob_end'] - addr + off
                symok = 'symok' if full[start:end] == helper else 'symbad'
print(found, count, symok)
PY
)
read -r emb_off emb_count emb_sym <<<"$emb"
if [ "${emb_off:--1}" -ge 0 ] && [ "$emb_count" = 1 ]; then pass "full binary contains the helper byte for byte (once, at offset $emb_off)"; else fail "helper embedded: $emb"; fi
if [ "$emb_sym" = symok ]; then pass "sshbox_helper_blob..blob_end == sshbox-helper (cmp via symbols)";
elif [ "$emb_sym" = nosym ]; then skip "symbol cross-check (full binary stripped)"; else fail "sshbox_helper_blob bytes differ from sshbox-helper"; fi

# ---- the helper links no code of the daemon-side layers (docs/design.md,
# "Layers"): no global symbol defined by an object of shared/ssh, server,
# crypto or debug is in the unstripped helper. The same set must be found
# in the full sshbox, so the comparison itself is shown to work.
daemon_objs=$(ls "$OUT"/obj/shared/ssh/*.o "$OUT"/obj/shared/server/*.o "$OUT"/obj/shared/crypto/*.o \
	"$OUT"/obj/shared/debug/*.o 2>/dev/null)
if [ -n "$daemon_objs" ] && [ -f "$OUT/sshbox-helper.unstripped" ]; then
	# shellcheck disable=SC2086
	nm --defined-only -g $daemon_objs 2>/dev/null | awk 'NF == 3 && $2 ~ /[TDRB]/ {print $3}' | sort -u > "$T/daemon.syms"
	nm --defined-only "$OUT/sshbox-helper.unstripped" | awk 'NF == 3 {print $3}' | sort -u > "$T/helper.syms"
	nm --defined-only "$SSHBOX" 2>/dev/null | awk 'NF == 3 {print $3}' | sort -u > "$T/full.syms"
	leaked=$(comm -12 "$T/daemon.syms" "$T/helper.syms" | head -5 | tr '\n' ' ')
	in_full=$(comm -12 "$T/daemon.syms" "$T/full.syms" | wc -l)
	check "helper links no ssh/server/crypto/debug code (leaked: ${leaked:-none})" [ -z "$leaked" ]
	if [ -s "$T/full.syms" ]; then
		check "the same symbol comparison finds that code in sshbox ($in_full symbols)" [ "$in_full" -gt 50 ]
	else
		skip "symbol comparison control (full binary stripped)"
	fi
else
	fail "helper layer check: objects or $OUT/sshbox-helper.unstripped missing"
fi

# ---- --list, --help, --version, --features
got=$("$HELPER" --list | tr '\n' ' ')
[ "$got" = "checkhomedir exec keycmd networking scp sftp " ] && pass "helper --list = the 6 child applets" || fail "helper --list: $got"
got=$("$SSHBOX" --list | tr '\n' ' ')
[ "$got" = "checkhomedir debug exec keycmd networking nologin scp sftp sshd " ] && pass "sshbox --list = 9 applets, sorted" || fail "sshbox --list: $got"
"$SSHBOX" --help | grep -q "sftp-server" && pass "--help lists applets" || fail "--help"
"$SSHBOX" --version | grep -Eq '^sshbox [0-9]+\.[0-9]+' && pass "--version" || fail "--version"
"$SSHBOX" --help checkhomedir | grep -q "usage: checkhomedir" && pass "--help APPLET" || fail "--help APPLET"
"$SSHBOX" checkhomedir --help | grep -q "Exit status" && pass "APPLET --help" || fail "APPLET --help"
feat=$("$SSHBOX" --features)
if grep -q 'CONFIG_PAM=n' <<<"$feat" && grep -qi 'PAM: not available' <<<"$feat" && grep -q 'dlopen' <<<"$feat" \
	&& grep -q 'make FLAVOR=system' <<<"$feat" && grep -qi '/etc/passwd' <<<"$feat"; then
	pass "--features says why PAM/NSS are missing in the static flavour"
else
	fail "--features text: $feat"
fi
if grep -q 'CONFIG_SELINUX=y' <<<"$feat" && grep -q '^SELinux: yes (libselinux 3.8.1' <<<"$feat"; then
	pass "--features: the static flavour has SELinux (libselinux 3.8.1)"
else
	fail "--features SELinux text: $feat"
fi
"$HELPER" sshd >/dev/null 2>&1; rc=$?
[ "$rc" = 127 ] && pass "helper has no sshd applet (127)" || fail "helper sshd exit $rc"

# ---- unknown applet
err=$("$SSHBOX" nosuch 2>&1 >/dev/null); rc=$?
if [ "$rc" = 127 ] && grep -q "checkhomedir" <<<"$err" && grep -q "sshd" <<<"$err"; then pass "unknown applet: 127, names the applets"; else fail "unknown applet: rc=$rc err=$err"; fi
ln -s "$SSHBOX" "$T/nosuch"
"$T/nosuch" >/dev/null 2>&1; rc=$?
[ "$rc" = 127 ] && pass "unknown applet via link name: 127" || fail "unknown link name: rc=$rc"

# ---- symlink dispatch and the sftp-server alias
ln -s "$SSHBOX" "$T/checkhomedir"
out=$("$T/checkhomedir" --self-test </dev/null)
[[ "$out" == "self-test ok"* ]] && pass "symlink dispatch (checkhomedir)" || fail "symlink dispatch: $out"
out=$("$SSHBOX" checkhomedir --self-test </dev/null)
[[ "$out" == "self-test ok"* ]] && pass "sshbox APPLET dispatch" || fail "sshbox APPLET: $out"
ln -s "$SSHBOX" "$T/sftp-server"
err=$(timeout 5 "$T/sftp-server" </dev/null 2>&1 >/dev/null); rc=$?
if [ "$rc" != 127 ] && ! grep -q "unknown applet" <<<"$err"; then pass "sftp-server alias dispatches (exit $rc)"; else fail "sftp-server alias: rc=$rc $err"; fi

# ---- --install (hard links, then -s symlinks)
mkdir -p "$T/bin" "$T/inst" "$T/sinst"
cp "$SSHBOX" "$T/bin/sshbox"
ino=$(stat -c %i "$T/bin/sshbox")
if "$T/bin/sshbox" --install "$T/inst"; then
	ok=1
	for a in checkhomedir debug exec networking sftp sftp-server sshd; do
		[ "$(stat -c %i "$T/inst/$a" 2>/dev/null)" = "$ino" ] || { ok=0; echo "  missing/wrong $a"; }
	done
	[ $ok = 1 ] && pass "--install DIR: hard links for 6 applets + sftp-server" || fail "--install hard links"
	[ "$(ls "$T/inst" | wc -l)" = 10 ] && pass "--install creates exactly 10 entries" || fail "--install entries: $(ls "$T/inst")"
	out=$("$T/inst/checkhomedir" --self-test </dev/null)
	[[ "$out" == "self-test ok"* ]] && pass "installed hard link dispatches" || fail "installed link: $out"
	"$T/bin/sshbox" --install "$T/inst" && pass "--install is idempotent" || fail "--install twice"
else
	fail "--install DIR exit status"
fi
if "$T/bin/sshbox" --install -s "$T/sinst"; then
	ok=1
	for a in checkhomedir debug exec networking sftp sftp-server sshd; do
		[ -L "$T/sinst/$a" ] && [ "$(readlink "$T/sinst/$a")" = "$T/bin/sshbox" ] || { ok=0; echo "  bad symlink $a"; }
	done
	[ $ok = 1 ] && pass "--install -s DIR: symlinks" || fail "--install -s symlinks"
else
	fail "--install -s DIR exit status"
fi
echo precious > "$T/sinst2"; mkdir -p "$T/foreign"; echo precious > "$T/foreign/sshd"
"$T/bin/sshbox" --install "$T/foreign" 2>/dev/null; rc=$?
if [ "$rc" = 1 ] && [ "$(cat "$T/foreign/sshd")" = precious ] && [ -e "$T/foreign/exec" ]; then
	pass "--install leaves a foreign file alone (exit 1) and installs the rest"
else
	fail "--install foreign file: rc=$rc"
fi

# ---- checkhomedir exit codes (254 missing, 253 not accessible, 255 other)
mkdir -p "$T/home/ok" "$T/home/locked"
chmod 755 "$T/home" "$T/home/ok"; chmod 700 "$T/home/locked"
"$SSHBOX" checkhomedir -q "$T/home/ok"; rc=$?; [ "$rc" = 0 ] && pass "checkhomedir ok -> 0" || fail "checkhomedir ok: $rc"
"$SSHBOX" checkhomedir -q "$T/home/none"; rc=$?; [ "$rc" = 254 ] && pass "checkhomedir missing -> 254" || fail "checkhomedir missing: $rc"
touch "$T/home/file"
"$SSHBOX" checkhomedir -q "$T/home/file"; rc=$?; [ "$rc" = 254 ] && pass "checkhomedir non-directory -> 254" || fail "checkhomedir file: $rc"
"$SSHBOX" checkhomedir -q relative/path; rc=$?; [ "$rc" = 255 ] && pass "checkhomedir relative path -> 255" || fail "checkhomedir relative: $rc"
HOME="$T/home/ok" "$SSHBOX" checkhomedir -q; rc=$?; [ "$rc" = 0 ] && pass "checkhomedir uses \$HOME" || fail "checkhomedir \$HOME: $rc"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	nob=$(id -u nobody 2>/dev/null || echo 65534)
	as_nobody() { setpriv --reuid="$nob" --regid="$nob" --clear-groups "$T/bin/sshbox" checkhomedir -q "$@"; }
	as_nobody "$T/home/locked"; rc=$?; [ "$rc" = 253 ] && pass "checkhomedir as another user, 0700 dir -> 253" || fail "checkhomedir locked: $rc"
	as_nobody "$T/home/locked/sub"; rc=$?; [ "$rc" = 253 ] && pass "checkhomedir below an unsearchable dir -> 253" || fail "checkhomedir locked/sub: $rc"
	as_nobody "$T/home/ok"; rc=$?; [ "$rc" = 0 ] && pass "checkhomedir as another user, 0755 dir -> 0" || fail "checkhomedir ok as nobody: $rc"
else
	skip "checkhomedir 253 (needs root and setpriv)"
fi

# ---- helper exec methods: sshbox --spawn-selftest [METHOD]
selftest() { "$SSHBOX" --spawn-selftest "$@" 2>"$T/st.err"; }
field() { sed -n "s/^$1=//p" <<<"$2" | head -1; }
for m in memfd tmpfile mkstemp procself; do
	out=$(selftest "$m"); rc=$?
	meth=$(field method "$out") exe=$(field exe "$out") comm=$(field comm "$out") child=$(field child "$out")
	case $m in
	memfd) want='/memfd:sshbox-helper (deleted)' ;;
	tmpfile) want='/#* (deleted)' ;;
	mkstemp) want='/.sshbox-helper-?????? (deleted)' ;;
	procself) want=$(readlink -f "$SSHBOX") ;;
	esac
	# shellcheck disable=SC2053
	if [ "$rc" = 0 ] && [ "$meth" = "$m" ] && [[ "$exe" == *$want ]]; then pass "method $m runs the helper (exe=$exe)"; else fail "method $m: rc=$rc out=$out err=$(cat "$T/st.err")"; fi
	[ "$comm" = checkhomedir ] && pass "method $m: process name is the applet" || fail "method $m comm=$comm"
	[[ "$child" == *" fds=0,1,2,3" ]] && pass "method $m: child has exactly fds 0-3" || fail "method $m child fds: $child"
	grep -q "exec method $m" "$T/st.err" && pass "method $m logged" || fail "method $m log: $(cat "$T/st.err")"
done
out=$(selftest memfd)
seals=$(field seals "$out")
if [ -n "$seals" ] && [ $(( seals & 0xf )) = 15 ]; then pass "memfd seals SEAL|SHRINK|GROW|WRITE present ($seals)"; else fail "memfd seals: $seals"; fi
out=$(SSHBOX_HELPER_METHOD=mkstemp "$SSHBOX" --spawn-selftest 2>/dev/null)
[ "$(field method "$out")" = mkstemp ] && pass "SSHBOX_HELPER_METHOD forces the method" || fail "SSHBOX_HELPER_METHOD: $out"
SSHBOX_HELPER_METHOD=bogus "$SSHBOX" --spawn-selftest >/dev/null 2>&1; rc=$?
[ "$rc" != 0 ] && pass "unknown SSHBOX_HELPER_METHOD is an error" || fail "bogus method accepted"
out=$(selftest); [ "$(field method "$out")" = memfd ] && pass "auto picks memfd" || fail "auto: $out"

# Simulated refusals.
out=$(selftest --deny-memfd); rc=$?
if [ "$rc" = 0 ] && [ "$(field method "$out")" = tmpfile ] && grep -q "method memfd refused" "$T/st.err"; then
	pass "memfd_create refused (seccomp EACCES): falls back to tmpfile and logs why"
else
	fail "deny-memfd fallback: rc=$rc $out $(cat "$T/st.err")"
fi
out=$(selftest --deny-execveat memfd); rc=$?
if [ "$rc" = 0 ] && [ "$(field exe "$out")" = "/memfd:sshbox-helper (deleted)" ]; then
	pass "execveat ENOSYS (seccomp): execve(/proc/self/fd/N) fallback runs the memfd"
else
	fail "deny-execveat: rc=$rc $out $(cat "$T/st.err")"
fi
if [ "$(id -u)" = 0 ] && unshare --pid --fork true 2>/dev/null; then
	# vm.memfd_noexec is per pid namespace (Linux 6.6+): set 2 in a new one only.
	out=$(unshare --pid --fork sh -c 'echo 2 > /proc/sys/vm/memfd_noexec || exit 99; exec "$0" --spawn-selftest' "$SSHBOX" 2>"$T/st.err"); rc=$?
	if [ "$rc" = 99 ]; then
		skip "vm.memfd_noexec=2 (not settable here)"
	elif [ "$rc" = 0 ] && [ "$(field method "$out")" = tmpfile ] && grep -q "memfd refused" "$T/st.err"; then
		pass "vm.memfd_noexec=2: memfd refused, falls back to tmpfile"
	else
		fail "memfd_noexec=2: rc=$rc $out $(cat "$T/st.err")"
	fi
	# Every candidate dir noexec and memfd refused: /proc/self/exe.
	# The binary is run through fd 9, opened before the mounts: the checkout
	# itself may live under one of the directories hidden here (e.g. /tmp).
	out=$(unshare --mount --propagation private bash -c '
		for d in /dev/shm /tmp /var/tmp /run; do mount -t tmpfs -o noexec,size=4m tmpfs "$d" || exit 99; done
		unset TMPDIR; exec -a sshbox /proc/self/fd/9 --spawn-selftest --deny-memfd' 9<"$SSHBOX" 2>"$T/st.err"); rc=$?
	if [ "$rc" = 99 ]; then
		skip "noexec mounts (mount failed)"
	elif [ "$rc" = 0 ] && [ "$(field method "$out")" = procself ] && grep -q "noexec" "$T/st.err" \
		&& grep -q "method tmpfile refused" "$T/st.err" && grep -q "method mkstemp refused" "$T/st.err"; then
		pass "noexec temp dirs + memfd refused: falls back to procself, reasons logged"
	else
		fail "procself fallback: rc=$rc $out $(cat "$T/st.err")"
	fi
else
	skip "namespace-based refusals (need root and unshare)"
fi

# ---- the daemon creates the memfd once and says so (when sshd exists)
daemon_check() { # METHOD_ENV EXPECTED_METHOD
	local port log pid i
	port=$(free_port) || { fail "no free port"; return; }
	log=$T/sshd-$2.log
	mkdir -p "$T/data-$2"
	env ${1:+SSHBOX_HELPER_METHOD=$1} "$SSHBOX" sshd -D -e -p "$port" -o ListenAddress=127.0.0.1 \
		-o "DataDirectory=$T/data-$2" >"$log" 2>&1 &
	pid=$!
	_pids+=("$pid")
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.05
	done
	if ! kill -0 "$pid" 2>/dev/null; then
		if grep -q "not implemented" "$log"; then skip "daemon helper checks (sshd applet not implemented yet)"; return; fi
		fail "sshd ($2) exited at startup: $(tail -5 "$log")"; return
	fi
	SSHD_REAL=1
	sleep 0.2
	if grep -q "helper exec method $2" "$log" && grep -q "flavour=" "$log" &&
		grep -Eq "crypto aes-[a-z0-9]+ ghash-[a-z0-9]+ chacha20-[a-z0-9]+ sha256-" "$log"; then
		pass "sshd startup log names the helper method ($2), the features and the crypto implementations"
	else
		fail "sshd startup log ($2): $(head -5 "$log")"
	fi
	if [ "$2" = memfd ]; then
		local n
		n=$(for f in /proc/"$pid"/fd/*; do readlink "$f"; done 2>/dev/null | grep -c '^/memfd:sshbox-helper')
		[ "$n" = 1 ] && pass "sshd holds exactly one helper memfd" || fail "sshd helper memfds: $n"
	fi
	kill "$pid" 2>/dev/null
	for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
if [ "$(id -u)" = 0 ]; then
	daemon_check "" memfd
	daemon_check tmpfile tmpfile
else
	skip "daemon helper checks (need root)"
fi

# ---- `make run` (build/run.sh) as an ordinary user: key generated, ssh works
run_sh_check() {
	local u=sbxrun port log key i out
	make_user "$u" || return
	port=$(free_port) || { fail "no free port"; return; }
	log=$T/run.log
	su "$u" -s /bin/sh -c "SSHBOX_PORT=$port exec $REPO_DIR/build/run.sh $SSHBOX" >"$log" 2>&1 &
	local supid=$!
	_pids+=("$supid")
	for i in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.05
	done
	key=$(user_home "$u")/.local/state/sshbox/client_ed25519
	if grep -q "Generated client key $key" "$log" && grep -q "ssh -p $port -i $key" "$log"; then
		pass "run.sh generates a client key and prints the ssh command"
	else
		fail "run.sh output: $(head -8 "$log")"
	fi
	out=$(timeout 30 ssh "${SSHC_OPTS[@]}" -i "$key" -p "$port" "$u@127.0.0.1" 'id -un; readlink /proc/$PPID/exe' 2>&1)
	if [ "$(head -1 <<<"$out")" = "$u" ]; then pass "make run server accepts the generated key"; else fail "run.sh ssh: $out $(tail -5 "$log")"; fi
	[ -f "$(user_home "$u")/.local/state/sshbox/ssh_host_ed25519_key" ] && pass "run.sh data dir holds the host key" || fail "run.sh host key"
	kill "$supid" 2>/dev/null # su passes SIGTERM on to the daemon
	for i in $(seq 1 50); do kill -0 "$supid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$supid" 2>/dev/null
	wait "$supid" 2>/dev/null
}
if [ "${SSHD_REAL:-0}" = 1 ] && command -v ssh >/dev/null; then
	run_sh_check
else
	skip "run.sh check (needs root, ssh and a working sshd applet)"
fi

# ---- the system (glibc) flavour, when built
if [ -x "$SYSOUT/sshbox" ]; then
	l=$(ldd "$SYSOUT/sshbox" 2>&1)
	grep -q libpam <<<"$l" && pass "system flavour links libpam dynamically" || fail "system ldd: $l"
	"$SYSOUT/sshbox" --features | grep -q 'CONFIG_PAM=y' && pass "system flavour --features: PAM" || fail "system --features"
	out=$("$SYSOUT/sshbox" --spawn-selftest 2>/dev/null)
	[ "$(field exe "$out")" = '/memfd:sshbox-helper (deleted)' ] && pass "system flavour runs its helper from memfd" || fail "system selftest: $out"
	got=$("$SYSOUT/sshbox-helper" --list | tr '\n' ' ')
	[ "$got" = "checkhomedir exec keycmd networking scp sftp " ] && pass "system helper --list" || fail "system helper --list: $got"
else
	skip "system flavour checks ($SYSOUT/sshbox not built)"
fi
finish
