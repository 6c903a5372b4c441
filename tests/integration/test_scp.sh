#!/usr/bin/env bash
# The built-in scp applet (legacy protocol, server side) with real clients:
# OpenSSH's `scp -O` (upload, download, -r -p trees with modes and mtimes,
# a sparse file over 4 GiB, names with spaces and newlines), PuTTY's
# `pscp -scp`, a hostile client that must not write outside the target,
# and InternalScp's auto/no choice inside a ChrootDirectory without scp.
. "$(dirname "$0")/lib.sh"
sshbox_setup
require_root

# the keyword: -T shows it, a bad value is an error with file and line
printf 'DataDirectory %s\nInternalScp yes\n' "$T/cfgdata" > "$T/cfg_scp"
check "InternalScp: sshd -T prints it" eval '"$SSHBOX" sshd -T -f "$T/cfg_scp" | grep -qx "internalscp yes"'
check "InternalScp: -o overrides the file" eval '"$SSHBOX" sshd -T -f "$T/cfg_scp" -o InternalScp=auto | grep -qx "internalscp auto"'
printf 'InternalScp sometimes\n' > "$T/cfg_bad"
check "InternalScp: a bad value is refused" eval \
	'! "$SSHBOX" sshd -t -f "$T/cfg_bad" 2>"$T/cfg_err" && grep -q "line 1: unsupported option" "$T/cfg_err"'

U=scpuser1
make_user "$U" >/dev/null
K=$(make_key "$U" ed25519)
H=$(user_home "$U")
SSHD_EXTRA_CONFIG="InternalScp yes" start_sshd || finish
SCP=(timeout -k 5 300 scp -O -q "${SSHC_OPTS[@]}" -i "$K" -P "$PORT")
R="$U@127.0.0.1"
as_user() { runuser -u "$U" -- "$@"; }

# ---- single files, both ways ----
head -c 300000 /dev/urandom > "$T/f1"
"${SCP[@]}" "$T/f1" "$R:up1" 2>"$T/err"
check "scp -O upload into home" cmp -s "$T/f1" "$H/up1"
"${SCP[@]}" "$R:up1" "$T/down1" 2>>"$T/err"
check "scp -O download" cmp -s "$T/f1" "$T/down1"
as_user mkdir "$H/dir"
"${SCP[@]}" "$T/f1" "$T/down1" "$R:dir" 2>>"$T/err"
check "scp -O two files into a directory" eval 'cmp -s "$T/f1" "$H/dir/f1" && cmp -s "$T/f1" "$H/dir/down1"'
"${SCP[@]}" "$T/f1" "$R:nodir/x" 2>"$T/err_nodir"; rc=$?
check "scp -O into a missing directory fails with the server's message" \
	eval '[ $rc -ne 0 ] && grep -q "nodir/x: No such file or directory" "$T/err_nodir"'
"${SCP[@]}" "$R:missing" "$T/m" 2>"$T/err_missing"; rc=$?
check "scp -O download of a missing file reports it" \
	eval '[ $rc -ne 0 ] && grep -q "missing: No such file or directory" "$T/err_missing"'
"${SCP[@]}" "$R:up*" "$T/" 2>>"$T/err"
check "scp -O download with a wildcard (expanded by the server)" cmp -s "$T/f1" "$T/up1"

# ---- -r -p tree: modes, mtimes, names with spaces and newlines ----
S="$T/tree"
mkdir -p "$S/sub dir/deeper"
echo one > "$S/a file"
echo two > "$S/sub dir/b"
printf 'three' > "$S/sub dir/deeper/c"
printf 'nl' > "$S/new
line"
chmod 0640 "$S/a file"; chmod 0751 "$S/sub dir"; chmod 0600 "$S/sub dir/deeper/c"
touch -d '2001-02-03 04:05:06' "$S/a file" "$S/sub dir/deeper/c" "$S/sub dir"
"${SCP[@]}" -r -p "$S" "$R:" 2>>"$T/err"
D="$H/tree"
check "scp -O -r -p: files arrive" eval 'cmp -s "$S/a file" "$D/a file" && cmp -s "$S/sub dir/deeper/c" "$D/sub dir/deeper/c"'
check "scp -O -r -p: modes kept (0640, 0751, 0600)" eval \
	'[ "$(stat -c %a "$D/a file") $(stat -c %a "$D/sub dir") $(stat -c %a "$D/sub dir/deeper/c")" = "640 751 600" ]'
check "scp -O -r -p: mtimes kept (files and directories)" eval \
	'[ "$(stat -c %Y "$D/a file")" = "$(stat -c %Y "$S/a file")" ] && [ "$(stat -c %Y "$D/sub dir")" = "$(stat -c %Y "$S/sub dir")" ]'
# OpenSSH's client sends a newline in a name as the 3 characters \^J
check "scp -O -r -p: the newline name arrives escaped, inside the tree" \
	eval '[ "$(cat "$D/new\\^Jline" 2>/dev/null)" = nl ]'
check "scp -O -r -p: owned by the user" eval '[ -z "$(find "$D" ! -user "$U")" ]'
rm -rf "$T/back"; mkdir "$T/back"
"${SCP[@]}" -r -p "$R:tree" "$T/back/" 2>>"$T/err"
mv "$S/new
line" "$S/new\^Jline" # what the server holds now
check "scp -O -r -p download: tree, modes and mtimes" eval \
	'diff -r "$S" "$T/back/tree" >/dev/null && [ "$(stat -c %a%Y "$T/back/tree/sub dir")" = "$(stat -c %a%Y "$S/sub dir")" ]'
printf 'x' > "$H/srv
nl"; chown "$U" "$H/srv
nl"
"${SCP[@]}" "$R:srv*" "$T/back/" 2>>"$T/err"
check "scp -O download of a name with a newline (sent escaped as \\^J)" eval '[ "$(cat "$T/back/srv\\^Jnl" 2>/dev/null)" = x ]'
"${SCP[@]}" "$T/f1" "$R:'with space'" 2>>"$T/err"
check "scp -O quoted remote name with a space" cmp -s "$T/f1" "$H/with space"

# ---- a sparse file over 4 GiB (SCP_SKIP_BIG=1 skips it while iterating) ----
if [ "${SCP_SKIP_BIG:-}" = 1 ]; then skip "scp -O > 4 GiB (SCP_SKIP_BIG=1)"; else
truncate -s 4097M "$T/big"; printf 'END' >> "$T/big"
start=$(date +%s.%N)
"${SCP[@]}" "$T/big" "$R:big" 2>>"$T/err"
mid=$(date +%s.%N)
check "scp -O upload > 4 GiB: size" eval '[ "$(stat -c %s "$H/big" 2>/dev/null)" = "$(stat -c %s "$T/big")" ]'
check "scp -O upload > 4 GiB: content (tail) and holes kept" eval \
	'[ "$(tail -c 3 "$H/big")" = END ] && [ "$(du -k "$H/big" | cut -f1)" -lt 1024 ]'
"${SCP[@]}" "$R:big" "$T/big2" 2>>"$T/err"
end=$(date +%s.%N)
check "scp -O download > 4 GiB: identical" cmp -s "$T/big" "$T/big2"
echo "  | 4.1 GiB: upload $(echo "$mid - $start" | bc) s, download $(echo "$end - $mid" | bc) s"
rm -f "$T/big" "$T/big2" "$H/big"
fi

# ---- PuTTY pscp -scp ----
if command -v pscp >/dev/null && command -v puttygen >/dev/null; then
	puttygen "$K" -O private -o "$T/k.ppk" 2>/dev/null
	HK=$(ssh-keygen -lf "$(host_pubkey)" | awk '{print $2}')
	PSCP=(timeout -k 5 60 pscp -scp -batch -q -P "$PORT" -i "$T/k.ppk" -hostkey "$HK")
	"${PSCP[@]}" "$T/f1" "$R:pscp_up" 2>"$T/perr"
	check "pscp -scp upload" cmp -s "$T/f1" "$H/pscp_up"
	"${PSCP[@]}" "$R:pscp_up" "$T/pscp_down" 2>>"$T/perr"
	check "pscp -scp download" cmp -s "$T/f1" "$T/pscp_down"
	rm -rf "$T/pback"; mkdir "$T/pback"
	"${PSCP[@]}" -r -p "$R:tree" "$T/pback" 2>>"$T/perr"
	check "pscp -scp -r -p download" eval \
		'cmp -s "$S/sub dir/deeper/c" "$T/pback/tree/sub dir/deeper/c" && [ "$(stat -c %Y "$T/pback/tree/a file")" = "$(stat -c %Y "$S/a file")" ]'
	[ -s "$T/perr" ] && sed 's/^/  | /' "$T/perr" | head -5
else
	skip "pscp: putty-tools not installed"
fi

# ---- a hostile client: nothing outside the target ----
as_user mkdir -p "$H/target/inner"
rm -f /tmp/sshbox-scp-hostile-abs
"$PY" "$LIB_DIR/scp_hostile.py" 127.0.0.1 "$PORT" "$U" "$K" "$H/target/inner" > "$T/hostile" 2>&1
ans() { grep "^CASE $1 " "$T/hostile" | awk '{print $3}'; }
for c in dotdot_file dotdot_dir dot_dir abs_name abs_writable slash_in_name nul_in_name empty_name dir_without_r \
	end_at_top bad_mode size_overflow long_line dotdot_in_subdir; do
	check "hostile scp client: $c refused (fatal)" [ "$(ans $c)" = fatal ]
done
check "hostile scp client: a good record is still accepted" eval '[ "$(ans good_file)" = ok ] && [ "$(cat "$H/target/inner/good")" = hello ]'
# Only "good" and the directory "sub" (created before its bad entry) exist.
check "hostile scp client: nothing written outside the target" eval \
	'[ "$(cd "$H/target" && find . | sort | tr "\n" " ")" = ". ./inner ./inner/good ./inner/sub " ] && [ ! -e "$H/x" ] && [ ! -e /x ] && [ ! -e "$H/passwd" ]'
check "hostile scp client: an absolute name the user could write is not created" [ ! -e /tmp/sshbox-scp-hostile-abs ]
[ "$(ans good_file)" = ok ] || sed 's/^/  | /' "$T/hostile"
[ "$(ans good_file)" = ok ] && [ -e "$H/target/inner/sub" ] || (cd "$H/target" && find . | sed 's/^/  | /')

# ---- ChrootDirectory without an scp binary: auto serves it, no does not ----
JAIL=
trap '[ -n "$JAIL" ] && rm -rf "$JAIL"; _cleanup' EXIT
JAIL=$(mktemp -d /run/sshbox-scpjail.XXXXXX)
chmod 755 "$JAIL"
install -d -o "$U" -m 755 "$JAIL/in"
SSHD_EXTRA_CONFIG=$(printf 'Match User %s\n\tChrootDirectory %s' "$U" "$JAIL") start_sshd || finish
SCP=(timeout -k 5 60 scp -O -q "${SSHC_OPTS[@]}" -i "$K" -P "$PORT")
"${SCP[@]}" "$T/f1" "$R:/in/jailed" 2>"$T/jerr"
check "InternalScp auto: served in a chroot without scp" cmp -s "$T/f1" "$JAIL/in/jailed"
"${SCP[@]}" "$R:/in/jailed" "$T/jdown" 2>>"$T/jerr"
check "InternalScp auto: download in the chroot" cmp -s "$T/f1" "$T/jdown"
"${SCP[@]}" "$R:$H/up1" "$T/jleak" 2>>"$T/jerr"
check "InternalScp auto: the chroot hides the rest of the system" eval '[ ! -e "$T/jleak" ]'
SSHD_EXTRA_CONFIG=$(printf 'InternalScp no\nMatch User %s\n\tChrootDirectory %s' "$U" "$JAIL") start_sshd || finish
SCP=(timeout -k 5 60 scp -O -q "${SSHC_OPTS[@]}" -i "$K" -P "$PORT")
"${SCP[@]}" "$T/f1" "$R:/in/jailed2" 2>"$T/jerr2"; rc=$?
check "InternalScp no: the shell runs it (none in the chroot: fails)" eval '[ $rc -ne 0 ] && [ ! -e "$JAIL/in/jailed2" ]'
finish
