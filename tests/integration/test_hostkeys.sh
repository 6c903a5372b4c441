#!/usr/bin/env bash
# Host keys beside ed25519: ecdsa-sha2-nistp256 (OpenSSH format) and RSA
# (PEM, as `ssh-keygen -m PEM` writes it) from several HostKey lines, with
# HostCertificate for each. Real clients: Debian's OpenSSH 9.2 and the
# peers' OpenSSH 10.0 with only @cert-authority in known_hosts, or pinned
# (-o HostKeyAlgorithms=...) to one algorithm with only that key in
# known_hosts (StrictHostKeyChecking=yes: a login proves which key the
# server presented); Debian's PuTTY 0.78 and the peers' 0.83 pinned to ecdsa
# and rsa (HostKey preference + -hostkey fingerprint). Also: the daemon's
# log names each loaded key; a bad HostKey file costs one log line; no
# usable key stops the daemon; HostKeyAlgorithms is honoured; sshd -T
# lists the keys; CreateHostKeys yes creates missing ecdsa/rsa files while
# a default first start creates only ed25519.
. "$(dirname "$0")/lib.sh"
sshbox_setup
require_root
use_peers || finish

U=sbhk1
make_user "$U" || finish
KEY=$(make_key "$U" ed25519)
HKD="$T/hostkeys"
mkdir -p "$HKD"
ssh-keygen -q -t ed25519 -N '' -C hk-ed25519 -f "$HKD/ssh_host_ed25519_key" &&
	ssh-keygen -q -t ecdsa -b 256 -N '' -C hk-ecdsa -f "$HKD/ssh_host_ecdsa_key" &&
	ssh-keygen -q -t rsa -b 3072 -m PEM -N '' -C hk-rsa -f "$HKD/ssh_host_rsa_key" || fail "ssh-keygen host keys"
check "the RSA host key file is PEM (PKCS#1)" grep -q "BEGIN RSA PRIVATE KEY" "$HKD/ssh_host_rsa_key"
check "the ECDSA host key file is in OpenSSH format" grep -q "BEGIN OPENSSH PRIVATE KEY" "$HKD/ssh_host_ecdsa_key"
ssh-keygen -q -t ed25519 -N '' -C host-ca -f "$T/host_ca"
for t in ed25519 ecdsa rsa; do
	ssh-keygen -q -s "$T/host_ca" -h -I "sshbox-$t" -n 127.0.0.1 "$HKD/ssh_host_${t}_key.pub" || fail "sign $t host key"
done
ALL_KEYS="HostKey $HKD/ssh_host_ed25519_key
HostKey $HKD/ssh_host_ecdsa_key
HostKey $HKD/ssh_host_rsa_key"
CERTS="HostCertificate $HKD/ssh_host_ed25519_key-cert.pub
HostCertificate $HKD/ssh_host_ecdsa_key-cert.pub
HostCertificate $HKD/ssh_host_rsa_key-cert.pub"
SSHD_EXTRA_CONFIG="$ALL_KEYS
$CERTS" start_sshd || finish
check "log: the OpenSSH-format ECDSA key loaded" log_has "loaded host key $HKD/ssh_host_ecdsa_key: ecdsa-sha2-nistp256 SHA256:"
check "log: the PEM RSA key loaded" log_has "loaded host key $HKD/ssh_host_rsa_key: ssh-rsa SHA256:"

printf '@cert-authority * %s\n' "$(cat "$T/host_ca.pub")" > "$T/kh_ca"
# write_kh: known_hosts files with one plain key for this $PORT: kh_ecdsa,
# kh_rsa, kh_ed25519.
write_kh() {
	local t
	for t in ed25519 ecdsa rsa; do
		printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$HKD/ssh_host_${t}_key.pub")" > "$T/kh_$t"
	done
}
write_kh

# hk_login SSH KNOWN_HOSTS [ssh options]: strict host key checking against
# that file only; prints the remote output.
hk_login() {
	local bin=$1 kh=$2; shift 2
	timeout -k 5 30 "$bin" -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes \
		-o UserKnownHostsFile="$kh" -o GlobalKnownHostsFile=/dev/null -i "$KEY" -p "$PORT" "$@" \
		"$U@127.0.0.1" echo hk-ok 2>"$T/hk.err"
}
# negotiated ALG: the daemon's kex line for the last login names ALG.
negotiated() { log_has "kex: .*, host key $1, "; }
# login_with SSH KH ALG [opts]: logs in pinned to ALG, and ALG was negotiated.
login_with() {
	local bin=$1 kh=$2 alg=$3; shift 3
	: > "$SSHD_LOG"
	[ "$(hk_login "$bin" "$kh" -o HostKeyAlgorithms="$alg" "$@")" = hk-ok ] && negotiated "$alg"
}

for client in ssh "$PEERS/bin/ssh"; do
	v=$("$client" -V 2>&1 | cut -d, -f1)
	check "$v: only @cert-authority in known_hosts: logs in" eval '[ "$(hk_login "$client" "$T/kh_ca")" = hk-ok ]'
	for alg in ecdsa-sha2-nistp256-cert-v01@openssh.com rsa-sha2-512-cert-v01@openssh.com \
		rsa-sha2-256-cert-v01@openssh.com ssh-ed25519-cert-v01@openssh.com; do
		check "$v: only @cert-authority, pinned to $alg: logs in" login_with "$client" "$T/kh_ca" "$alg"
	done
	check "$v: pinned to ecdsa-sha2-nistp256, known_hosts with that key only" \
		login_with "$client" "$T/kh_ecdsa" ecdsa-sha2-nistp256
	check "$v: pinned to rsa-sha2-512, known_hosts with that key only" login_with "$client" "$T/kh_rsa" rsa-sha2-512
	check "$v: pinned to rsa-sha2-256, known_hosts with that key only" login_with "$client" "$T/kh_rsa" rsa-sha2-256
	check "$v: pinned to ssh-ed25519 with only the ecdsa key known: host key refused" \
		eval '! hk_login "$client" "$T/kh_ecdsa" -o HostKeyAlgorithms=ssh-ed25519 >/dev/null'
	check "$v: pinned to ssh-rsa (SHA-1): no common algorithm" \
		eval '! hk_login "$client" "$T/kh_rsa" -o HostKeyAlgorithms=ssh-rsa >/dev/null && grep -q "no matching host key type" "$T/hk.err"'
done

# PuTTY: HostKey preference (PuTTY has no command-line option for it) in
# its Default Settings, and -hostkey with that key's fingerprint only.
"$PEERS/bin/puttygen" "$KEY" -O private -o "$KEY.ppk" </dev/null || fail "puttygen"
plink_pinned() { # PLINK KIND(ecdsa|rsa)
	local plink=$1 kind=$2 home="$T/putty-$2"
	mkdir -p "$home/.putty/sessions"
	# the whole list: with "KIND,WARN" alone PuTTY still picked ed25519
	local rest=ed25519,rsa
	[ "$kind" = rsa ] && rest=ed25519,ecdsa
	printf 'HostKey=%s,%s,dsa,WARN\n' "$kind" "$rest" > "$home/.putty/sessions/Default%20Settings"
	local fp
	fp=$(ssh-keygen -l -E sha256 -f "$HKD/ssh_host_${kind}_key.pub" | awk '{print $2}')
	: > "$SSHD_LOG"
	[ "$(HOME="$home" timeout -k 5 30 "$plink" -ssh -batch -noagent -P "$PORT" -l "$U" -i "$KEY.ppk" \
		-hostkey "$fp" 127.0.0.1 echo plink-ok </dev/null 2>"$T/plink.err" | tr -d '\r')" = plink-ok ]
}
for plink in /usr/bin/plink "$PEERS/bin/plink"; do
	v=$("$plink" -V 2>&1 | head -1)
	check "$v: pinned to ecdsa (-hostkey its fingerprint) logs in" eval 'plink_pinned "$plink" ecdsa && negotiated ecdsa-sha2-nistp256'
	check "$v: pinned to rsa (-hostkey its fingerprint) logs in with rsa-sha2-*" \
		eval 'plink_pinned "$plink" rsa && negotiated "rsa-sha2-(256|512)"'
done

# sshd -T lists every host key and the algorithm list.
"$SSHBOX" sshd -T -f "$SSHD_CONFIG" > "$T/dump" 2>&1
check "sshd -T: hostkey lines for the three keys" \
	eval '[ "$(grep -c "^hostkey $HKD/ssh_host_" "$T/dump")" = 3 ] && grep -q "^hostcertificate $HKD/ssh_host_rsa_key-cert.pub" "$T/dump"'
check "sshd -T: hostkeyalgorithms in OpenSSH's order" \
	grep -qx "hostkeyalgorithms ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256" "$T/dump"

# HostKeyAlgorithms: only what it lists is offered.
SSHD_EXTRA_CONFIG="$ALL_KEYS
HostKeyAlgorithms rsa-sha2-256,ecdsa-sha2-nistp256" start_sshd || finish
write_kh
check "HostKeyAlgorithms rsa-sha2-256,...: a client preferring ed25519 gets rsa-sha2-256" \
	eval ': > "$SSHD_LOG"; [ "$(hk_login ssh "$T/kh_rsa" -o HostKeyAlgorithms=ssh-ed25519,rsa-sha2-512,rsa-sha2-256)" = hk-ok ] && negotiated rsa-sha2-256'
check "HostKeyAlgorithms: ssh-ed25519 is not offered" \
	eval '! hk_login ssh "$T/kh_ed25519" -o HostKeyAlgorithms=ssh-ed25519 >/dev/null'

# A bad HostKey file: one log line naming it; the other keys still serve.
printf 'not a key\n' > "$T/bad_key"
chmod 600 "$T/bad_key"
: > "$T/sshd.log"
SSHD_EXTRA_CONFIG="HostKey $T/bad_key
HostKey $HKD/ssh_host_ecdsa_key" start_sshd || finish
write_kh
check "a bad HostKey file: exactly one log line, which names it and why" \
	eval '[ "$(grep -c "bad_key" "$SSHD_LOG")" = 1 ] && grep -q "Unable to load host key $T/bad_key: not an OpenSSH, PEM or PKCS#8 private key" "$SSHD_LOG"'
check "a bad HostKey file: the ecdsa key still serves" login_with ssh "$T/kh_ecdsa" ecdsa-sha2-nistp256
stop_sshd
printf 'Port %s\nListenAddress 127.0.0.1\nDataDirectory %s\nHostKey %s\n' "$(free_port)" "$T/d2" "$T/bad_key" > "$T/bad.conf"
timeout 5 "$SSHBOX" sshd -D -e -f "$T/bad.conf" > "$T/bad.log" 2>&1
rc=$?
check "only bad HostKey files: the daemon stops (255) saying so" \
	eval '[ $rc = 255 ] && grep -q "no host keys available" "$T/bad.log"'

# First start: only ed25519 is created. CreateHostKeys yes: missing
# ecdsa/rsa files are created, in a format ssh-keygen reads.
rm -rf "$SSHD_DATADIR"
start_sshd || finish
check "a default first start creates only the ed25519 host key" \
	eval '[ "$(ls "$SSHD_DATADIR" | grep -c ^ssh_host_)" = 2 ] && [ -f "$SSHD_DATADIR/ssh_host_ed25519_key" ]'
SSHD_EXTRA_CONFIG="CreateHostKeys yes
HostKey $T/new/ssh_host_ecdsa_key
HostKey $T/new/ssh_host_rsa_key" start_sshd || finish
check "CreateHostKeys yes: a new ecdsa key, as ssh-keygen reads it" \
	eval 'ssh-keygen -l -f "$T/new/ssh_host_ecdsa_key" | grep -q "^256 SHA256:.*(ECDSA)$"'
check "CreateHostKeys yes: a new RSA key of 3072 bits, as ssh-keygen reads it" \
	eval 'ssh-keygen -l -f "$T/new/ssh_host_rsa_key" | grep -q "^3072 SHA256:.*(RSA)$"'
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$T/new/ssh_host_rsa_key.pub")" > "$T/kh_new_rsa"
check "CreateHostKeys yes: the created RSA key serves rsa-sha2-512" login_with "$PEERS/bin/ssh" "$T/kh_new_rsa" rsa-sha2-512
finish
