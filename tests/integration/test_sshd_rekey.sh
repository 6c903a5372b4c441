#!/usr/bin/env bash
# Rekeying: client-initiated (ssh -o RekeyLimit) during a 1 GiB upload,
# server-initiated (sshd RekeyLimit) during a download, and time-based;
# data must stay intact (sha256 on both ends).
. "$(dirname "$0")/lib.sh"
sshbox_setup
require_root

make_user sbrekey || finish
KEY=$(make_key sbrekey ed25519)
SSHD_EXTRA_CONFIG="RekeyLimit 32M 3"
start_sshd || finish

# 1 GiB upload, client rekeys every 64 MiB (and the server every 32 MiB)
head -c 1G /dev/urandom > "$T/up" 2>/dev/null || { fail "cannot make test data"; finish; }
want=$(sha256sum < "$T/up" | cut -d' ' -f1)
got=$(SSHC_TIMEOUT=180 sshc sbrekey "$KEY" -o RekeyLimit=64M -- sha256sum < "$T/up" | cut -d' ' -f1)
check "1 GiB upload with rekeys intact" [ "$want" = "$got" ]
rm -f "$T/up"
n=$(grep -c "kex: round [0-9]* done" "$SSHD_LOG")
check "several key exchanges happened during the upload ($n)" [ "$n" -ge 10 ]
check "server started a rekey itself" log_has "rekey: starting"

# 256 MiB download with the server rekeying; client on aes256-gcm
before=$(grep -c "kex: round [0-9]* done" "$SSHD_LOG")
got=$(sshc sbrekey "$KEY" -c aes128-ctr -m hmac-sha2-512-etm@openssh.com -- 'head -c 268435456 /dev/zero' | sha256sum | cut -d' ' -f1)
want=$(head -c 268435456 /dev/zero | sha256sum | cut -d' ' -f1)
after=$(grep -c "kex: round [0-9]* done" "$SSHD_LOG")
check "256 MiB download with server rekeys intact" [ "$want" = "$got" ]
check "server-initiated rekeys during the download ($((after - before)))" [ $((after - before)) -ge 5 ]

# time-based rekey: RekeyLimit ... 3 (seconds) on an idle-ish session
before=$(grep -c "kex: round [0-9]* done" "$SSHD_LOG")
out=$(sshc sbrekey "$KEY" -- 'sleep 7; echo done')
after=$(grep -c "kex: round [0-9]* done" "$SSHD_LOG")
check "time-based rekey on an idle session ($((after - before)) rounds)" eval '[ "$out" = done ] && [ $((after - before)) -ge 2 ]'
finish
