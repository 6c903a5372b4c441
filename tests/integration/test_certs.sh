#!/usr/bin/env bash
# OpenSSH user certificates: ssh-keygen -s signs, the OpenSSH client logs
# in, and Debian's OpenSSH sshd (/usr/sbin/sshd) runs on the same files in
# the same test as the oracle: every case must end the same way on both
# daemons (admitted or refused, same command output), and as this test
# expects. Configurations: TrustedUserCAKeys (user name as principal),
# TrustedUserCAKeys + AuthorizedPrincipalsFile / AuthorizedPrincipalsCommand,
# cert-authority lines in
# authorized_keys. Also paramiko with a certificate, and the log line.
. "$(dirname "$0")/lib.sh"
sshbox_setup
require_root
[ -x /usr/sbin/sshd ] || { skip "test_certs: /usr/sbin/sshd (the oracle) missing"; finish; }

U=sbcert1
make_user "$U" || finish
H=$(user_home "$U")
for t in ed25519 ecdsa rsa; do
	ssh-keygen -q -t $t -N '' -C "ca-$t" -f "$T/ca_$t" || finish
	ssh-keygen -q -t $t -N '' -C "user-$t" -f "$T/user_$t" || finish
done
ssh-keygen -q -t ed25519 -N '' -C rogue -f "$T/ca_rogue"
cat "$T/ca_ed25519.pub" "$T/ca_ecdsa.pub" "$T/ca_rsa.pub" > "$T/trusted_cas"
chmod 644 "$T/trusted_cas"
# under the home: StrictModes (both daemons) refuses a file below /tmp
echo "ops-team" > "$H/.ssh/principals"
chown "$U:" "$H/.ssh/principals"; chmod 644 "$H/.ssh/principals"

# sign NAME KEYTYPE CATYPE ssh-keygen-options...: $T/c_NAME (key) and
# $T/c_NAME-cert.pub; prints the private key path.
sign() {
	local n=$1 kt=$2 ct=$3; shift 3
	cp "$T/user_$kt" "$T/c_$n"; cp "$T/user_$kt.pub" "$T/c_$n.pub"
	ssh-keygen -q -s "$T/ca_$ct" -I "id-$n" -z "$((RANDOM + 1))" "$@" "$T/c_$n.pub" || { fail "sign $n"; return 1; }
}

# ---- the oracle: Debian's OpenSSH sshd on another port ----
ssh-keygen -q -t ed25519 -N '' -f "$T/ohostkey"
mkdir -p /run/sshd
OPORT=
start_oracle() { # extra config lines in $1
	[ -n "$OPORT" ] && [ -n "${OPID:-}" ] && { kill "$OPID" 2>/dev/null; wait "$OPID" 2>/dev/null; }
	OPORT=$(free_port)
	printf 'Port %s\nListenAddress 127.0.0.1\nHostKey %s\nPidFile none\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nLogLevel DEBUG1\n%s\n' \
		"$OPORT" "$T/ohostkey" "$1" > "$T/ossh_config"
	/usr/sbin/sshd -D -e -f "$T/ossh_config" >> "$T/ossh.log" 2>&1 &
	OPID=$!
	_pids+=("$OPID")
	for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$OPORT") 2>/dev/null && return 0; sleep 0.05; done
	fail "oracle sshd did not start"; tail -5 "$T/ossh.log"; return 1
}
start_both() { # config lines
	SSHD_EXTRA_CONFIG="$1" start_sshd || return 1
	start_oracle "$1"
}

# run_on PORT NAME [ssh options...] -- CMD...: client with key+cert c_NAME;
# prints "rc=N out=..."
run_on() {
	local p=$1 n=$2; shift 2
	local out rc opts=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
	shift
	timeout -k 5 30 ssh "${SSHC_OPTS[@]}" -i "$T/c_$n" -o CertificateFile="$T/c_$n-cert.pub" -p "$p" \
		"${opts[@]}" "$U@127.0.0.1" "$@" </dev/null >"$T/run.out" 2>"$T/run.err"
	rc=$?
	out=$(tr -d '\r' <"$T/run.out" | head -c 200)
	[ "$rc" -ne 0 ] && rc=refused
	# the client ends the session when a forced pty (-tt) is refused
	grep -q "PTY allocation request failed" "$T/run.err" && rc=$rc-pty-refused
	echo "rc=$rc out=$out"
}

# case_both NAME EXPECT(ok|refused|refused-pty-refused) [ssh options...] --
# CMD...: both daemons decide the same, and as expected.
case_both() {
	local n=$1 want=$2; shift 2
	local a b
	a=$(run_on "$PORT" "$n" "$@")
	b=$(run_on "$OPORT" "$n" "$@")
	local exp_rc=0; [ "$want" != ok ] && exp_rc=$want
	if [ "$a" = "$b" ] && [[ "$a" == "rc=$exp_rc "* ]]; then
		pass "cert $n: $want on both (${a:0:60})"
	else
		fail "cert $n: sshbox [$a] vs OpenSSH [$b], expected $want"
	fi
}

# ---- 1. TrustedUserCAKeys, the user name as principal ----
start_both "TrustedUserCAKeys $T/trusted_cas" || finish
sign ed_ok ed25519 ed25519 -n "$U"
sign ec_ok ecdsa ecdsa -n "$U"
sign rsa_ok rsa rsa -n "$U"
sign cross ecdsa rsa -n "other,$U"
sign ed_other ed25519 ed25519 -n other
sign ed_noprinc ed25519 ed25519
sign rogue ed25519 rogue -n "$U"
sign forced ed25519 ed25519 -n "$U" -O force-command="echo forced-by-cert"
sign src_no ed25519 ed25519 -n "$U" -O source-address=10.1.0.0/16
sign src_yes ed25519 ed25519 -n "$U" -O source-address=10.1.0.0/16,127.0.0.0/8
sign past ed25519 ed25519 -n "$U" -V 20200101:20210101
sign future ed25519 ed25519 -n "$U" -V +1d:+2d
sign now ed25519 ed25519 -n "$U" -V -5m:+1h
sign hostcert ed25519 ed25519 -n "$U" -h
sign crit ed25519 ed25519 -n "$U" -O critical:unknown@example.com=x
sign nopty ed25519 ed25519 -n "$U" -O no-pty
sign nofwd ed25519 ed25519 -n "$U" -O no-port-forwarding
case_both ed_ok ok -- echo hello
case_both ec_ok ok -- echo hello
case_both rsa_ok ok -- echo hello
case_both cross ok -- echo ecdsa-key-rsa-ca
case_both ed_other refused -- echo x
case_both ed_noprinc refused -- echo x
case_both rogue refused -- echo x
case_both forced ok -- echo not-this
case_both src_no refused -- echo x
case_both src_yes ok -- echo src
case_both past refused -- echo x
case_both future refused -- echo x
case_both now ok -- echo now
case_both hostcert refused -- echo x
case_both crit refused -- echo x
case_both nopty refused-pty-refused -tt -- 'tty >/dev/null && echo has-tty || echo no-tty'
case_both nopty ok -- 'tty >/dev/null && echo has-tty || echo no-tty'
case_both ed_ok ok -tt -- 'tty >/dev/null && echo has-tty || echo no-tty'
# no-port-forwarding: stdio forwarding to the daemon's own port reads its banner, or nothing
case_both nofwd refused -W "127.0.0.1:$OPORT" --
case_both ed_ok ok -W "127.0.0.1:$OPORT" --
check "log names key id, serial and CA fingerprint" \
	log_has "Accepted publickey for $U from 127.0.0.1 port [0-9]+ ED25519-CERT SHA256:[^ ]+ ID id-ed_ok \\(serial [0-9]+\\) CA ED25519 SHA256:"
check "refusal logged with key id" log_has 'Refusing certificate ID "id-ed_other"'

# paramiko with a certificate
if $PY -c 'import paramiko' 2>/dev/null; then
	out=$($PY - "$PORT" "$U" "$T/c_ed_ok" "$T/c_ed_ok-cert.pub" <<'EOF' 2>&1
import sys, paramiko
port, user, key, cert = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
k = paramiko.Ed25519Key.from_private_key_file(key)
k.load_certificate(cert)
c = paramiko.SSHClient()
c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
c.connect("127.0.0.1", port=port, username=user, pkey=k, look_for_keys=False, allow_agent=False)
_, o, _ = c.exec_command("echo paramiko-cert-ok")
print(o.read().decode().strip())
c.close()
EOF
)
	check "paramiko logs in with an ed25519 certificate" [ "$out" = paramiko-cert-ok ]
else
	skip "paramiko not installed"
fi

# ---- 2. AuthorizedPrincipalsFile ----
start_both "TrustedUserCAKeys $T/trusted_cas
AuthorizedPrincipalsFile %h/.ssh/principals" || finish
sign team ed25519 ed25519 -n ops-team
case_both team ok -- echo team
case_both ed_ok refused -- echo x

# ---- 2b. AuthorizedPrincipalsCommand (as AuthorizedPrincipalsCommandUser) ----
# The program and its directories must be root's and not writable by
# others (both daemons): not under /tmp.
PD=$(mktemp -d /usr/local/lib/sshbox-apc.XXXXXX)
chmod 755 "$PD"
trap 'rm -rf "$PD"; _cleanup' EXIT
cat > "$PD/principals.sh" <<EOF2
#!/bin/sh
# args: %u %i ...; tells the log who ran it, lists a principal for $U only
echo "apc-ran-as \$(id -un) args \$*" >&2
[ "\$1" = "$U" ] || exit 0
case "\$2" in id-team) echo "ops-team" ;; id-opt) echo 'command="echo forced-by-principals" ops-team' ;; esac
EOF2
chmod 755 "$PD/principals.sh"
start_both "TrustedUserCAKeys $T/trusted_cas
AuthorizedPrincipalsCommand $PD/principals.sh %u %i %s %T %F
AuthorizedPrincipalsCommandUser nobody" || finish
sign opt ed25519 ed25519 -n ops-team
case_both team ok -- echo team-via-command
case_both opt ok -- echo not-this
case_both ed_ok refused -- echo x
check "AuthorizedPrincipalsCommand: ran as AuthorizedPrincipalsCommandUser with %u %i %s %T %F" \
	log_has "apc-ran-as nobody args $U id-team [0-9]+ ssh-ed25519 SHA256:"
# a file line that matches admits without the command; otherwise the command decides
start_both "TrustedUserCAKeys $T/trusted_cas
AuthorizedPrincipalsFile %h/.ssh/no-such-file
AuthorizedPrincipalsCommand $PD/principals.sh %u %i
AuthorizedPrincipalsCommandUser nobody" || finish
case_both team ok -- echo file-missing-command-decides
chmod 777 "$PD/principals.sh"
case_both team refused -- echo x
check "AuthorizedPrincipalsCommand: a world-writable program is refused" log_has "AuthorizedPrincipalsCommand .*bad ownership or modes"
chmod 755 "$PD/principals.sh"

# ---- 3. cert-authority lines in authorized_keys ----
printf 'cert-authority,principals="ops-team" %s\ncert-authority,no-pty %s\n' "$(cat "$T/ca_ed25519.pub")" \
	"$(cat "$T/ca_ecdsa.pub")" > "$H/.ssh/authorized_keys"
chown "$U:" "$H/.ssh/authorized_keys"; chmod 600 "$H/.ssh/authorized_keys"
start_both "" || finish
case_both team ok -- echo team-via-authorized-keys
case_both ed_ok refused -- echo x
case_both ec_ok refused-pty-refused -tt -- 'tty >/dev/null && echo has-tty || echo no-tty'
case_both ec_ok ok -- echo ecdsa-ca-line
case_both rsa_ok refused -- echo x
# the CA key as a plain authorized key does not admit its certificates
cat "$T/ca_ed25519.pub" > "$H/.ssh/authorized_keys"
case_both ed_ok refused -- echo x
: > "$H/.ssh/authorized_keys"

# ---- 4. RevokedKeys: a KRL by serial and key id, a revoked CA; a plain key list ----
sign rev_serial ed25519 ed25519 -n "$U" -z 1001
sign rev_id ed25519 ed25519 -n "$U" -I revoked-id
sign not_rev ed25519 ed25519 -n "$U" -z 1002
printf 'serial: 1001\nid: revoked-id\n' > "$T/krl_spec"
ssh-keygen -q -k -f "$T/revoked.krl" -s "$T/ca_ed25519.pub" "$T/krl_spec" &&
	ssh-keygen -q -k -u -f "$T/revoked.krl" "$T/ca_ecdsa.pub" || fail "ssh-keygen -k"
chmod 644 "$T/revoked.krl"
start_both "TrustedUserCAKeys $T/trusted_cas
RevokedKeys $T/revoked.krl" || finish
case_both rev_serial refused -- echo x
case_both rev_id refused -- echo x
case_both not_rev ok -- echo not-revoked
case_both ec_ok refused -- echo x
case_both rsa_ok ok -- echo rsa-ca-not-revoked
check "revocation logged" log_has "Authentication key .*ID revoked-id.* revoked by file"
cat "$T/user_rsa.pub" > "$T/revoked.list"; chmod 644 "$T/revoked.list"
start_both "TrustedUserCAKeys $T/trusted_cas
RevokedKeys $T/revoked.list" || finish
case_both rsa_ok refused -- echo x
case_both ed_ok ok -- echo plain-list
start_both "TrustedUserCAKeys $T/trusted_cas
RevokedKeys $T/no-such-file" || finish
case_both ed_ok refused -- echo x

# ---- 5. HostCertificate: a client trusting only the host CA ----
ssh-keygen -q -t ed25519 -N '' -C host-ca -f "$T/host_ca"
ssh-keygen -q -t ed25519 -N '' -C other-host-ca -f "$T/other_host_ca"
start_sshd || finish
HK="$SSHD_DATADIR/ssh_host_ed25519_key"
ssh-keygen -q -s "$T/host_ca" -h -I sshbox-host -n 127.0.0.1,localhost "$HK.pub" || fail "sign host key"
SSHD_EXTRA_CONFIG="HostCertificate $HK-cert.pub" start_sshd || finish
printf '@cert-authority * %s\n' "$(cat "$T/host_ca.pub")" > "$T/kh_ca"
printf '@cert-authority * %s\n' "$(cat "$T/other_host_ca.pub")" > "$T/kh_other"
KEY=$(make_key "$U" ed25519)
hostcert_login() { # KNOWN_HOSTS [ssh options]
	local kh=$1; shift
	timeout -k 5 30 ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes \
		-o UserKnownHostsFile="$kh" -o GlobalKnownHostsFile=/dev/null -i "$KEY" -p "$PORT" "$@" \
		"$U@127.0.0.1" echo host-cert-ok 2>"$T/hc.err"
}
check "HostCertificate: a client with only @cert-authority logs in" eval '[ "$(hostcert_login "$T/kh_ca")" = host-cert-ok ]'
check "HostCertificate: a client trusting another CA refuses the host" eval '! hostcert_login "$T/kh_other" >/dev/null'
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$HK.pub")" > "$T/kh_plain"
check "HostCertificate: a client pinned to ssh-ed25519 gets the plain key" \
	eval '[ "$(hostcert_login "$T/kh_plain" -o HostKeyAlgorithms=ssh-ed25519)" = host-cert-ok ]'
check "HostCertificate: a client that knows only the plain host key (no pin) still logs in" \
	eval '[ "$(hostcert_login "$T/kh_plain")" = host-cert-ok ]'
ssh-keygen -q -s "$T/host_ca" -I user-not-host -n 127.0.0.1 -O clear "$T/user_ed25519.pub"
stop_sshd
printf 'Port %s\nListenAddress 127.0.0.1\nDataDirectory %s\nHostCertificate %s\n' "$(free_port)" "$SSHD_DATADIR" \
	"$T/user_ed25519-cert.pub" > "$T/badcert.conf"
timeout 5 "$SSHBOX" sshd -D -e -f "$T/badcert.conf" > "$T/badcert.log" 2>&1
rc=$?
check "HostCertificate: a user certificate for another key stops the daemon" \
	eval '[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "HostCertificate" "$T/badcert.log"'
finish
