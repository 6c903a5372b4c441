#!/usr/bin/env bash
# Today's clients against sshbox: OpenSSH 10.0p1 (ssh, sftp, scp), PuTTY 0.83
# (plink, pscp) and Dropbear 2025.89 (dbclient), built from Debian trixie's
# source packages by build/peers.sh (built here when the cache is missing;
# a failed build is a FAIL, never a skip). Each logs in with the ML-KEM
# hybrid and shows mlkem768x25519-sha256 in its own verbose output (ssh -v,
# plink -v, pscp -v) and in the server log; the files copied arrive intact.
# OpenSSH 10 picks ML-KEM by default. PuTTY 0.83 and Dropbear 2025.89 list
# sntrup761 before ML-KEM: each logs in once with its default (sntrup761,
# checked too; Dropbear also sends a guessed kex packet, which must be
# ignored because our first choice differs), then with ML-KEM: PuTTY with
# ML-KEM put first in its settings, dbclient (which has no kex option)
# against a server offering ML-KEM and curve25519 only.
. "$(dirname "$0")/lib.sh"
sshbox_setup
require_root
use_peers || finish

make_user tpeer1
KEY=$(make_key tpeer1 ed25519)
start_sshd || finish
HOME_T=$(user_home tpeer1)
head -c 1048576 /dev/urandom > "$T/payload"
MLKEM_DONE='kex: round 1 done \(mlkem768x25519-sha256\)'

# Number of connections whose first key exchange used ML-KEM, so far.
mlkem_logins() { grep -cE -- "$MLKEM_DONE" "$SSHD_LOG"; }
# mlkem_logins_reach N: the server log shows N of them (it may lag the client).
mlkem_logins_reach() {
	local i
	for i in $(seq 1 30); do
		[ "$(mlkem_logins)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
same_file() { cmp -s "$T/payload" "$1"; }

# --- OpenSSH 10.0 ---
OSSH_OPTS=(-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes
	-o IdentitiesOnly=yes -i "$KEY")
n=$(mlkem_logins)
out=$(SSHC_BIN="$PEERS/bin/ssh" sshc tpeer1 "$KEY" -v -- 'echo peer-ok' 2>"$T/ssh10.err")
check openssh10_ssh_login eval '[ "$out" = peer-ok ]'
check openssh10_ssh_v_mlkem grep -q 'kex: algorithm: mlkem768x25519-sha256' "$T/ssh10.err"
check openssh10_ssh_server_log_mlkem mlkem_logins_reach $((n + 1))

printf 'put %s up.bin\nget up.bin %s\n' "$T/payload" "$T/sftp-back" > "$T/sftp.batch"
n=$(mlkem_logins)
timeout -k 5 60 "$PEERS/bin/sftp" "${OSSH_OPTS[@]}" -v -P "$PORT" -b "$T/sftp.batch" tpeer1@127.0.0.1 \
	>"$T/sftp10.out" 2>"$T/sftp10.err"
check openssh10_sftp_put_get eval 'same_file "$HOME_T/up.bin" && same_file "$T/sftp-back"'
check openssh10_sftp_v_mlkem grep -q 'kex: algorithm: mlkem768x25519-sha256' "$T/sftp10.err"
check openssh10_sftp_server_log_mlkem mlkem_logins_reach $((n + 1))

n=$(mlkem_logins)
timeout -k 5 60 "$PEERS/bin/scp" "${OSSH_OPTS[@]}" -v -P "$PORT" "$T/payload" tpeer1@127.0.0.1:scp.bin \
	>"$T/scp10.out" 2>"$T/scp10.err"
check openssh10_scp_upload same_file "$HOME_T/scp.bin"
check openssh10_scp_v_mlkem grep -q 'kex: algorithm: mlkem768x25519-sha256' "$T/scp10.err"
check openssh10_scp_server_log_mlkem mlkem_logins_reach $((n + 1))

# --- PuTTY 0.83 ---
out=$(plinkc tpeer1 "$KEY" -v -- 'echo peer-ok' 2>"$T/plink-default.err")
check putty_plink_default_kex_login eval '[ "$out" = peer-ok ]'
check putty_plink_default_kex_is_sntrup761 grep -q 'NTRU Prime / Curve25519 hybrid key exchange' \
	"$T/plink-default.err"
putty_kex mlkem-curve25519,ntru-curve25519,ecdh,dh-gex-sha1,dh-group14-sha1,rsa,WARN,dh-group1-sha1
n=$(mlkem_logins)
out=$(plinkc tpeer1 "$KEY" -v -- 'echo peer-ok' 2>"$T/plink.err")
check putty_plink_login eval '[ "$out" = peer-ok ]'
check putty_plink_v_mlkem grep -q 'ML-KEM-768 / Curve25519 hybrid key exchange' "$T/plink.err"
check putty_plink_server_log_mlkem mlkem_logins_reach $((n + 1))

n=$(mlkem_logins)
pscpc tpeer1 "$KEY.ppk" -v "$T/payload" 127.0.0.1:pscp.bin >"$T/pscp.out" 2>"$T/pscp.err"
check putty_pscp_upload same_file "$HOME_T/pscp.bin"
check putty_pscp_v_mlkem grep -q 'ML-KEM-768 / Curve25519 hybrid key exchange' "$T/pscp.err"
check putty_pscp_server_log_mlkem mlkem_logins_reach $((n + 1))

# --- Dropbear 2025.89 (dbclient has no verbose log unless built with
# tracing: the server log says which kex it picked) ---
DBKEY=$(make_dropbear_key tpeer1)
out=$(dbclientc tpeer1 "$DBKEY" 'echo peer-ok' 2>"$T/dbclient-default.err")
check dropbear_dbclient_default_kex_login eval '[ "$out" = peer-ok ]'
check dropbear_dbclient_default_kex_is_sntrup761 log_has 'kex: round 1 done \(sntrup761x25519-sha512\)'
SSHD_EXTRA_CONFIG="KexAlgorithms mlkem768x25519-sha256,curve25519-sha256" start_sshd || finish
n=$(mlkem_logins)
out=$(dbclientc tpeer1 "$DBKEY" 'echo peer-ok' 2>"$T/dbclient.err")
check dropbear_dbclient_login eval '[ "$out" = peer-ok ]'
check dropbear_dbclient_server_log_mlkem mlkem_logins_reach $((n + 1))
[ "$_fails" -eq 0 ] || { echo "--- server log (tail)"; tail -n 40 "$SSHD_LOG"; for f in "$T"/*.err; do
	echo "--- $f"; tail -n 15 "$f"; done; }

finish
