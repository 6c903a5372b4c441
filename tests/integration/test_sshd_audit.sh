#!/usr/bin/env bash
# ssh-audit (Debian's) against the default algorithm set: no failure and no
# warning. The one exception is its "unknown algorithm" warning for
# kex-strict-s-v00@openssh.com: ssh-audit 2.5 predates the Terrapin fix and
# has no entry for that pseudo-algorithm (it is a marker, not a kex method);
# that single line is allowed, every other [warn]/[fail] fails the test.
. "$(dirname "$0")/lib.sh"
sshbox_setup
command -v ssh-audit >/dev/null || { skip "ssh-audit not installed"; exit 0; }
start_sshd || finish
timeout 60 ssh-audit -n -p "$PORT" 127.0.0.1 > "$T/audit.txt" 2>&1
sed 's/^/  | /' "$T/audit.txt" | grep -E "\[(warn|fail)\]|^  \| \(gen\)" | head -30
bad=$(grep -E "\[(warn|fail)\]" "$T/audit.txt" | grep -v "kex-strict-s-v00@openssh.com *-- \[warn\] unknown algorithm")
check "ssh-audit: no fail/warn on offered algorithms" [ -z "$bad" ]
[ -n "$bad" ] && echo "$bad"
check "ssh-audit saw our banner" grep -q "sshbox" "$T/audit.txt"
check "strict kex advertised" grep -q "kex-strict-s-v00@openssh.com" "$T/audit.txt"
check "only curve25519 kex offered" bash -c "! grep -E '^\(kex\)' '$T/audit.txt' | grep -vE 'curve25519-sha256|ext-info-s|kex-strict-s' | grep -q ."
finish
