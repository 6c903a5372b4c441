#!/usr/bin/env bash
# The zero-configuration experience an operator expects: a daemon started
# with nothing but a port and a data directory creates an ed25519 host key
# that ssh-keygen reads, and serves shell, sftp and scp (which speaks sftp)
# to a real user with no Subsystem line anywhere.
. "$(dirname "$0")/lib.sh"
require_root
sshbox_setup
make_user sbdef
make_key sbdef ed25519
K=$T/sbdef_ed25519
start_sshd || finish

check "host key auto-created on first start" test -s "$SSHD_DATADIR/ssh_host_ed25519_key"
fp=$(ssh-keygen -l -f "$SSHD_DATADIR/ssh_host_ed25519_key" 2>/dev/null)
check "ssh-keygen reads the auto-created host key" grep -q 'SHA256:.*(ED25519)' <<<"$fp"
check "host key file is private (0600)" test "$(stat -c %a "$SSHD_DATADIR/ssh_host_ed25519_key")" = 600
check "startup log names the host key fingerprint" grep -q "$(awk '{print $2}' <<<"$fp")" "$SSHD_LOG"
check "sshd -T shows the default sftp subsystem" grep -qx 'subsystem sftp internal-sftp' \
	< <("$SSHBOX" sshd -T -f "$SSHD_CONFIG" 2>/dev/null)

out=$(sshc sbdef "$K" 'echo "$USER"')
check "shell command as the user" test "$out" = sbdef

H=$(user_home sbdef)
head -c 3000000 /dev/urandom > "$T/payload"
printf 'put %s up.bin\nget up.bin %s\n' "$T/payload" "$T/back.bin" > "$T/batch"
sftp -q "${SSHC_OPTS[@]}" -i "$K" -P "$PORT" -b "$T/batch" sbdef@127.0.0.1 >/dev/null 2>&1
check "sftp with no Subsystem configured: put" cmp -s "$T/payload" "$H/up.bin"
check "sftp with no Subsystem configured: get" cmp -s "$T/payload" "$T/back.bin"
check "uploaded file belongs to the user" test "$(stat -c %U "$H/up.bin")" = sbdef

scp -q "${SSHC_OPTS[@]}" -i "$K" -P "$PORT" "$T/payload" sbdef@127.0.0.1:scp.bin >/dev/null 2>&1
check "scp (sftp protocol) upload" cmp -s "$T/payload" "$H/scp.bin"
rm -f "$T/back.bin"
scp -q "${SSHC_OPTS[@]}" -i "$K" -P "$PORT" sbdef@127.0.0.1:scp.bin "$T/back.bin" >/dev/null 2>&1
check "scp (sftp protocol) download" cmp -s "$T/payload" "$T/back.bin"
finish
