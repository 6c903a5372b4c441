#!/usr/bin/env bash
# sshd acceptance with real clients: OpenSSH ssh (every cipher/MAC, strict
# kex, exit status, user key types, refusals with their log lines), host key
# format, paramiko, PuTTY plink, compression, trailing output.
. "$(dirname "$0")/lib.sh"
sshbox_setup
require_root

make_user sbalice || finish
KEY=$(make_key sbalice ed25519)
# encrypt-and-MAC MACs are supported but not offered by default
SSHD_EXTRA_CONFIG="MACs +hmac-sha2-256,hmac-sha2-512"
start_sshd || finish
BASE=$(sshd_children)

# --- host key ---
if ssh-keygen -l -f "$(host_pubkey)" >/dev/null 2>&1 && ssh-keygen -l -f "$SSHD_DATADIR/ssh_host_ed25519_key" 2>/dev/null | grep -q ED25519; then
	pass "host key auto-created, readable by ssh-keygen -l"
else
	fail "host key auto-created, readable by ssh-keygen -l"
fi
HOSTFP=$(ssh-keygen -l -E sha256 -f "$(host_pubkey)" | awk '{print $2}')

# --- basic commands ---
check "ssh true" sshc sbalice "$KEY" true
out=$(sshc sbalice "$KEY" echo hello world)
check "ssh echo" [ "$out" = "hello world" ]
sshc sbalice "$KEY" 'exit 7'; rc=$?
check "exit status 7 returned" [ "$rc" -eq 7 ]
out=$(sshc sbalice "$KEY" id -un)
check "runs as the user" [ "$out" = "sbalice" ]
check "accepted publickey log line" log_has "Accepted publickey for sbalice from 127\.0\.0\.1 port [0-9]+ ssh-ed25519 SHA256:"

n=$(sshc sbalice "$KEY" 'seq 1 100000' | wc -l)
check "trailing output not lost (seq 100000)" [ "$n" -eq 100000 ]
out=$(sshc sbalice "$KEY" 'echo out; echo err >&2; exit 3' 2>"$T/err"); rc=$?
check "stdout, stderr and status together" eval '[ "$out" = out ] && [ "$(cat "$T/err")" = err ] && [ "$rc" -eq 3 ]'

head -c 8M /dev/urandom > "$T/blob"
want=$(sha256sum < "$T/blob" | cut -d' ' -f1)
got=$(sshc sbalice "$KEY" cat < "$T/blob" | sha256sum | cut -d' ' -f1)
check "8 MiB round trip through cat" [ "$want" = "$got" ]

# --- strict kex and ext-info visible to the client ---
sshc sbalice "$KEY" -vvv -- true 2>"$T/v.txt"
if grep -q "kex-strict-s-v00@openssh.com" "$T/v.txt" || grep -qi "strict KEX" "$T/v.txt"; then
	pass "strict kex offered (ssh -vvv)"
else
	fail "strict kex offered (ssh -vvv)"
fi
check "ext-info server-sig-algs received" grep -q "server-sig-algs" "$T/v.txt"

# --- every cipher and MAC ---
for c in chacha20-poly1305@openssh.com aes128-gcm@openssh.com aes256-gcm@openssh.com; do
	out=$(sshc sbalice "$KEY" -c "$c" -- echo ok)
	check "cipher $c" [ "$out" = ok ]
done
for c in aes128-ctr aes256-ctr; do
	for m in hmac-sha2-256-etm@openssh.com hmac-sha2-512-etm@openssh.com hmac-sha2-256 hmac-sha2-512; do
		out=$(sshc sbalice "$KEY" -c "$c" -m "$m" -- echo ok)
		check "cipher $c mac $m" [ "$out" = ok ]
	done
done
for k in curve25519-sha256 curve25519-sha256@libssh.org sntrup761x25519-sha512@openssh.com; do
	out=$(sshc sbalice "$KEY" -o KexAlgorithms=$k -- echo ok)
	check "kex $k" [ "$out" = ok ]
done
# The client's defaults pick the post-quantum hybrid (OpenSSH 9.x lists it first).
sshc sbalice "$KEY" -v -- true 2> "$T/kexv.txt"
check "default kex is sntrup761x25519-sha512 (post-quantum hybrid)" \
	grep -qE "kex: algorithm: sntrup761x25519-sha512" "$T/kexv.txt"
out=$(sshc sbalice "$KEY" -C -- 'head -c 100000 /dev/zero | wc -c')
check "compression (zlib@openssh.com, delayed)" [ "$out" = 100000 ]

# --- user key types ---
for spec in "rsa 3072" "ecdsa 256" "ecdsa 384" "ecdsa 521"; do
	set -- $spec
	k=$(make_key sbalice "$1" "$2")
	out=$(sshc sbalice "$k" echo ok)
	check "user key $1-$2 accepted" [ "$out" = ok ]
done
check "rsa key logged as rsa-sha2" log_has "Accepted publickey for sbalice from .* rsa-sha2-(256|512) SHA256:"

# --- refusals ---
BAD=$(make_unauthorized_key sbalice ed25519)
sshc sbalice "$BAD" true 2>/dev/null; rc=$?
check "key not in authorized_keys refused" [ "$rc" -eq 255 ]
check "refusal logged" log_has "Failed publickey for sbalice from 127\.0\.0\.1"
sshc nosuchuser "$KEY" true 2>/dev/null; rc=$?
check "unknown user refused" [ "$rc" -eq 255 ]
check "invalid user logged" log_has "Invalid user nosuchuser from 127\.0\.0\.1"

# --- passwords ---
out=$(sshc_pw sbalice "$PW_sbalice" echo pwok 2>/dev/null)
check "password login" [ "$out" = pwok ]
check "password accepted logged" log_has "Accepted (password|keyboard-interactive) for sbalice from 127\.0\.0\.1"
sshc_pw sbalice "wrong-$PW_sbalice" true 2>/dev/null; rc=$?
check "bad password refused" [ "$rc" -eq 255 ]
check "bad password logged" log_has "Failed (password|keyboard-interactive) for sbalice from 127\.0\.0\.1"

# --- keyboard-interactive ---
kbd() {
	local ap="$T/kbd_askpass"
	printf '#!/bin/sh\necho %q\n' "$1" > "$ap"; chmod 700 "$ap"
	SSH_ASKPASS="$ap" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 timeout 30 ssh -F /dev/null -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o PubkeyAuthentication=no \
		-o PreferredAuthentications=keyboard-interactive -o NumberOfPasswordPrompts=1 -p "$PORT" sbalice@127.0.0.1 "$2" </dev/null
}
out=$(kbd "$PW_sbalice" "echo kbdok" 2>/dev/null)
check "keyboard-interactive login" [ "$out" = kbdok ]
check "keyboard-interactive accepted logged" log_has "Accepted keyboard-interactive for sbalice"
kbd "bad$PW_sbalice" true 2>/dev/null; rc=$?
check "keyboard-interactive bad password refused" [ $rc -eq 255 ]
check "keyboard-interactive failure logged" log_has "Failed keyboard-interactive for sbalice"

# --- paramiko ---
if $PY -c 'import paramiko' 2>/dev/null; then
	out=$($PY - "$PORT" "$KEY" <<'EOF' 2>&1
import sys, paramiko
c = paramiko.SSHClient()
c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
c.connect("127.0.0.1", port=int(sys.argv[1]), username="sbalice", key_filename=sys.argv[2],
          look_for_keys=False, allow_agent=False, timeout=15)
i, o, e = c.exec_command("echo paramiko-ok; exit 5")
data = o.read().decode()
st = o.channel.recv_exit_status()
print(data.strip(), st)
i.close(); o.close(); e.close()
c.close()
EOF
)
	check "paramiko runs a command (got: $out)" [ "$(echo "$out" | tail -1)" = "paramiko-ok 5" ]
else
	skip "paramiko not installed"
fi

# --- PuTTY plink ---
if command -v plink >/dev/null && command -v puttygen >/dev/null; then
	puttygen "$KEY" -O private -o "$T/key.ppk" >/dev/null 2>&1
	out=$(timeout 30 plink -batch -hostkey "$HOSTFP" -P "$PORT" -i "$T/key.ppk" sbalice@127.0.0.1 'echo plink-ok; exit 6' </dev/null 2>&1); rc=$?
	check "plink runs a command (rc $rc, out $out)" eval '[ "$out" = plink-ok ] && [ "$rc" -eq 6 ]'
else
	skip "plink not installed"
fi

# --- no leaked processes ---
if wait_children "$BASE" 10; then pass "connection processes gone after clients exit"; else
	fail "connection processes gone after clients exit ($(sshd_children) > $BASE)"; fi
check "listener still alive" sshd_alive
finish
