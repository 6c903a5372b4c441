#!/usr/bin/env bash
# sftp applet with real clients:
#  1. OpenSSH `sftp -D` straight to `sshbox sftp-server` (no daemon): batch
#     put/get 64 MiB with sha256, ls -l, mkdir, rename, chmod, ln -s, df -h,
#     reput/reget; -R read-only, -P deny list, -Q requests, bad flags.
#  2. OpenSSH's own sshd with `Subsystem sftp <sshbox sftp-server>` (root):
#     the same batch, scp both ways (SFTP protocol), rsync, paramiko.
#  3. sshbox sshd's sftp subsystem, the same (once the sshd applet exists).
. "$(dirname "$0")/lib.sh"
sshbox_setup

mkdir -p "$T/bin"
SFTPS="$T/bin/sftp-server"
# Private copies: immune to a concurrent rebuild of build/out.
cp "$SSHBOX" "$T/bin/sshbox"
SSHBOX=$T/bin/sshbox
cp "$SSHBOX" "$SFTPS"
head -c 64M /dev/urandom > "$T/src.bin"
chmod 644 "$T/src.bin"
sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }
SRC_SHA=$(sha "$T/src.bin")
RESUME10_SHA=$({ head -c 10M /dev/zero; tail -c +$((10 * 1048576 + 1)) "$T/src.bin"; } | sha256sum | cut -d' ' -f1)
RESUME20_SHA=$({ head -c 20M /dev/zero; tail -c +$((20 * 1048576 + 1)) "$T/src.bin"; } | sha256sum | cut -d' ' -f1)

SFTP_CMD=()
SFTP_DEST=()
run_sftp() { timeout -k 5 120 "${SFTP_CMD[@]}" -b "$1" "${SFTP_DEST[@]}" > "$T/sftp.out" 2>&1; }
show_out() { sed 's/^/  | /' "$T/sftp.out" | tail -n 15; }

# suite LABEL DIR OWNER: DIR is where the server's "." is; OWNER owns files we plant there.
suite() {
	local L=$1 R=$2 O=$3 B="$T/batch.$1"
	cat > "$B" <<EOF
put $T/src.bin up.bin
get up.bin $T/got.$L
ls -l
mkdir d1
rename up.bin d1/moved.bin
chmod 600 d1/moved.bin
ln -s d1/moved.bin lnk
df -h
EOF
	if run_sftp "$B"; then pass "$L: sftp -b batch"; else fail "$L: sftp -b batch"; show_out; fi
	check "$L: put 64 MiB sha256" [ "$(sha "$R/d1/moved.bin")" = "$SRC_SHA" ]
	check "$L: get 64 MiB sha256" [ "$(sha "$T/got.$L")" = "$SRC_SHA" ]
	check "$L: ls -l long listing" grep -Eq '^-rw-[-rwx]{6} +[0-9?]+ +[^ ]+ +[^ ]+ +67108864 .* up\.bin$' "$T/sftp.out"
	check "$L: mkdir" test -d "$R/d1"
	check "$L: rename" eval "[ ! -e '$R/up.bin' ] && [ -f '$R/d1/moved.bin' ]"
	check "$L: chmod" [ "$(stat -c %a "$R/d1/moved.bin" 2>/dev/null)" = 600 ]
	check "$L: ln -s" [ "$(readlink "$R/lnk")" = d1/moved.bin ]
	check "$L: df -h (statvfs)" grep -Eq '^ +Size +Used +Avail' "$T/sftp.out"

	# Resume: the partial files hold zeros, so only a real resume (append
	# after the existing bytes) gives zeros + the rest of the source.
	head -c 10M /dev/zero > "$R/part.bin"
	chown "$O" "$R/part.bin"
	head -c 20M /dev/zero > "$T/localpart.$L"
	cat > "$B" <<EOF
reput $T/src.bin part.bin
reget d1/moved.bin $T/localpart.$L
EOF
	if run_sftp "$B"; then pass "$L: reput/reget batch"; else fail "$L: reput/reget batch"; show_out; fi
	check "$L: reput resumed (sha256)" [ "$(sha "$R/part.bin")" = "$RESUME10_SHA" ]
	check "$L: reget resumed (sha256)" [ "$(sha "$T/localpart.$L")" = "$RESUME20_SHA" ]
	cat > "$B" <<EOF
rm lnk
rm d1/moved.bin
rmdir d1
rm part.bin
EOF
	if run_sftp "$B" && [ ! -e "$R/d1" ] && [ ! -e "$R/part.bin" ] && [ ! -L "$R/lnk" ]; then
		pass "$L: rm/rmdir"
	else
		fail "$L: rm/rmdir"; show_out
	fi
	rm -f "$T/got.$L" "$T/localpart.$L"
}

# ---------------------------------------------------------------- 1. sftp -D
D="$T/dsrv"
mkdir -p "$D"
SFTP_CMD=(sftp -q -D "$SFTPS -d $D")
suite direct "$D" "$(id -un)"

SFTP_CMD=(sftp -q -D "$SSHBOX sftp -e -l debug -d $D")
printf 'pwd\n' > "$T/b1"
run_sftp "$T/b1"
check "direct: -d start dir and 'sshbox sftp' applet name" grep -q "Remote working directory: $D\$" "$T/sftp.out"
check "direct: -e -l debug logs to stderr" grep -q 'client version 3' "$T/sftp.out"

head -c 1000 /dev/urandom > "$T/small"
echo keep > "$D/keep"
printf 'put %s ro_new\n' "$T/small" > "$T/b1"
SFTP_CMD=(sftp -q -D "$SFTPS -R -d $D")
if run_sftp "$T/b1"; then fail "read-only: put refused"; else
	check "read-only: put refused with permission denied" eval "grep -qi 'permission denied' '$T/sftp.out' && [ ! -e '$D/ro_new' ]"
fi
printf 'rm keep\n' > "$T/b1"
if run_sftp "$T/b1"; then fail "read-only: rm refused"; else check "read-only: rm refused" test -f "$D/keep"; fi
printf 'get keep %s\n' "$T/keep.got" > "$T/b1"
check "read-only: get still works" eval "run_sftp '$T/b1' && [ \"\$(cat '$T/keep.got')\" = keep ]"
SFTP_CMD=(sftp -q -D "$SFTPS -P remove,rmdir -d $D")
printf 'rm keep\n' > "$T/b1"
if run_sftp "$T/b1"; then fail "-P remove: rm refused"; else check "-P remove: rm refused" test -f "$D/keep"; fi
check "-Q requests lists request names" eval "'$SFTPS' -Q requests | grep -qx posix-rename && '$SFTPS' -Q requests | grep -qx open"
check "bad flag exits non-zero" eval "! '$SFTPS' -X </dev/null >/dev/null 2>&1"
check "bad umask exits non-zero" eval "! '$SFTPS' -u 99x </dev/null >/dev/null 2>&1"
check "-h prints usage" eval "'$SFTPS' -h | grep -q usage"
# umask: -u 077 makes a put file 0600 even though the source is 0644
SFTP_CMD=(sftp -q -D "$SFTPS -u 077 -d $D")
printf 'put %s um\n' "$T/small" > "$T/b1"
check "-u 077 umask applies" eval "run_sftp '$T/b1' && [ \"\$(stat -c %a '$D/um')\" = 600 ]"
# Differential: raw requests to both servers, same replies and status codes
if [ -x /usr/lib/openssh/sftp-server ]; then
	mkdir -p "$T/diff"
	timeout 60 python3 "$LIB_DIR/sftp_diff.py" "$SFTPS" /usr/lib/openssh/sftp-server "$T/diff" ||
		fail "sftp_diff.py exit status"
else
	skip "differential test: /usr/lib/openssh/sftp-server missing"
fi
# -l INFO logs transfers as OpenSSH's sftp-server does
SFTP_CMD=(sftp -q -D "$SFTPS -e -l INFO -d $D")
printf 'put %s logged\n' "$T/small" > "$T/b1"
run_sftp "$T/b1"
check "-l INFO logs open/close with byte counts" eval "grep -q 'open \"$D/logged\" flags WRITE,CREATE,TRUNCATE' '$T/sftp.out' && grep -q 'close \"$D/logged\" bytes read 0 written 1000' '$T/sftp.out'"
# Garbage on stdin: clean non-zero exit, no crash signal.
head -c 300 /dev/urandom | { printf '\0\0\0\5\1\0\0\0\3'; cat; printf '\xff\xff\xff\xff'; } | "$SFTPS" >/dev/null 2>&1
rc=$?
check "garbage input: clean exit (rc=$rc)" [ "$rc" -lt 128 ]

# --------------------------------------------------- 2. OpenSSH sshd + sshbox sftp-server
if [ "$(id -u)" -ne 0 ]; then
	skip "OpenSSH sshd with sshbox sftp-server: needs root"
	finish
fi
U=sbsftp$$
make_user "$U" >/dev/null
KEY=$(make_key "$U" ed25519)
H=$(user_home "$U")
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
mkdir -p /run/sshd
OPORT=$(free_port)
cat > "$T/ossh_config" <<EOF
Port $OPORT
ListenAddress 127.0.0.1
HostKey $T/hostkey
PidFile none
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
Subsystem sftp $SFTPS -l INFO -P hardlink
EOF
/usr/sbin/sshd -D -e -f "$T/ossh_config" > "$T/ossh.log" 2>&1 &
_pids+=($!)
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$OPORT") 2>/dev/null && break; sleep 0.05; done

over_ssh_suite() { # LABEL PORT
	local L=$1 P=$2
	SFTP_CMD=(sftp -q "${SSHC_OPTS[@]}" -i "$KEY" -P "$P")
	SFTP_DEST=("$U@127.0.0.1")
	suite "$L" "$H" "$U"
	# scp (SFTP protocol by default in OpenSSH 9) both ways
	rm -f "$H/scp.bin" "$T/scp.back"
	if timeout 120 scp -q "${SSHC_OPTS[@]}" -i "$KEY" -P "$P" "$T/src.bin" "$U@127.0.0.1:scp.bin" &&
		timeout 120 scp -q "${SSHC_OPTS[@]}" -i "$KEY" -P "$P" "$U@127.0.0.1:scp.bin" "$T/scp.back"; then
		check "$L: scp up+down sha256" eval "[ \"\$(sha '$H/scp.bin')\" = '$SRC_SHA' ] && [ \"\$(sha '$T/scp.back')\" = '$SRC_SHA' ]"
	else
		fail "$L: scp up+down"
	fi
	# rsync over ssh (exec path)
	rm -rf "$H/rs"
	if timeout 120 rsync -a -e "ssh ${SSHC_OPTS[*]} -i $KEY -p $P" "$T/small" "$U@127.0.0.1:rs/" 2>"$T/rsync.err" &&
		cmp -s "$T/small" "$H/rs/small"; then
		pass "$L: rsync over ssh"
	else
		fail "$L: rsync over ssh"; sed 's/^/  | /' "$T/rsync.err" | tail -5
	fi
	# paramiko SFTPClient
	if "$PY" -c 'import paramiko' 2>/dev/null; then
		mkdir -p "$T/pm"
		timeout 120 "$PY" "$LIB_DIR/sftp_paramiko.py" "$P" "$U" "$KEY" "$T/pm" "$L" ||
			fail "$L: paramiko suite exit status"
	else
		skip "$L: paramiko not installed"
	fi
}

if (exec 3<>"/dev/tcp/127.0.0.1/$OPORT") 2>/dev/null; then
	over_ssh_suite openssh-sshd "$OPORT"
	# the subsystem really is ours, with its flags: -P hardlink refuses `ln`
	printf 'put %s hsrc\n-ln hsrc hl\n' "$T/small" > "$T/b1"
	run_sftp "$T/b1"
	check "openssh-sshd: subsystem is sshbox sftp-server (-P hardlink)" eval "[ -f '$H/hsrc' ] && [ ! -e '$H/hl' ] && grep -qi 'permission denied' '$T/sftp.out'"
else
	fail "OpenSSH sshd did not start"; sed 's/^/  | /' "$T/ossh.log" | tail -10
fi


# ------------------------------------------------------------- chroot jails
# JAIL under /run: every component root-owned and not group/world writable,
# as ChrootDirectory demands. Outside it: $T/secret.txt.
JAIL=
trap '[ -n "$JAIL" ] && rm -rf "$JAIL"; _cleanup' EXIT
JAIL=$(mktemp -d /run/sshbox-sftpjail.XXXXXX)
chmod 755 "$JAIL"
echo SECRET > "$T/secret.txt"
UJ=sbjail$$
make_user "$UJ" >/dev/null
JKEY=$(make_key "$UJ" ed25519)
install -d -o "$UJ" -m 755 "$JAIL/upload"

# jail_suite LABEL PORT: the jailed user sees only the jail.
jail_suite() {
	local L=$1 P=$2
	rm -f "$T"/leak* "$JAIL/upload/ok"
	SFTP_CMD=(sftp -q "${SSHC_OPTS[@]}" -i "$JKEY" -P "$P")
	SFTP_DEST=("$UJ@127.0.0.1")
	cat > "$T/bj" <<EOF
cd /upload
put $T/small ok
ls -la /
-get /etc/passwd $T/leak1
-get ../../../../../etc/passwd $T/leak2
-get $T/secret.txt $T/leak3
-ln -s / rootlink
-get rootlink/etc/passwd $T/leak4
-get /proc/self/environ $T/leak5
EOF
	if run_sftp "$T/bj"; then pass "$L chroot: session works"; else fail "$L chroot: session works"; show_out; fi
	check "$L chroot: upload inside the jail" cmp -s "$T/small" "$JAIL/upload/ok"
	check "$L chroot: / is the jail" eval "grep -Eq '/upload$' '$T/sftp.out' && ! grep -Eq '/(etc|usr|home)$' '$T/sftp.out'"
	check "$L chroot: nothing outside is readable" eval "! ls '$T'/leak* >/dev/null 2>&1"
	rm -f "$JAIL/upload/rootlink"
}

# OpenSSH: the jailed user's shell is sftp-server (its -c ignores the
# command, as OpenSSH's does), present at the same path inside the jail.
mkdir -p "$JAIL$T/bin"
cp "$SFTPS" "$JAIL$T/bin/sftp-server"
chmod 755 "$JAIL$T/bin/sftp-server"
usermod -s "$SFTPS" "$UJ"
JPORT=$(free_port)
cat "$T/ossh_config" | sed "s/^Port .*/Port $JPORT/" > "$T/ossh_jail_config"
printf 'Match User %s\n\tChrootDirectory %s\n' "$UJ" "$JAIL" >> "$T/ossh_jail_config"
/usr/sbin/sshd -D -e -f "$T/ossh_jail_config" > "$T/ossh_jail.log" 2>&1 &
_pids+=($!)
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$JPORT") 2>/dev/null && break; sleep 0.05; done
jail_suite openssh-sshd "$JPORT"
usermod -s /bin/sh "$UJ"

# ---------------------------------------------------- 3. sshbox sshd sftp subsystem
if "$SSHBOX" sshd -h 2>&1 | grep -q 'not implemented'; then
	skip "sshbox sshd sftp subsystem: sshd applet not implemented yet"
else
	SSHD_EXTRA_CONFIG="Subsystem sftp $SFTPS"
	if start_sshd; then
		over_ssh_suite sshbox-sshd "$PORT"
		SSHD_EXTRA_CONFIG="Subsystem sftp internal-sftp"
		if start_sshd; then
			SFTP_CMD=(sftp -q "${SSHC_OPTS[@]}" -i "$KEY" -P "$PORT")
			SFTP_DEST=("$U@127.0.0.1")
			printf 'put %s isftp.bin\nget isftp.bin %s\n' "$T/src.bin" "$T/isftp.back" > "$T/b1"
			check "sshbox-sshd internal-sftp: put/get sha256" eval "run_sftp '$T/b1' && [ \"\$(sha '$H/isftp.bin')\" = '$SRC_SHA' ] && [ \"\$(sha '$T/isftp.back')\" = '$SRC_SHA' ]"
		fi
		SSHD_EXTRA_CONFIG=$(printf 'Subsystem sftp internal-sftp\nMatch User %s\n\tChrootDirectory %s\n\tForceCommand internal-sftp' "$UJ" "$JAIL")
		start_sshd && jail_suite sshbox-sshd "$PORT"
	fi
fi
finish
