#!/usr/bin/env bash
# ssh-audit (Debian's) against the default algorithm set: no failure and no
# warning, except four lines where ssh-audit 2.5's database is older than
# the algorithm, each allowed by exact text:
#  - kex-strict-s-v00@openssh.com "unknown algorithm": 2.5 predates the
#    Terrapin fix (the name is a marker, not a kex method);
#  - sntrup761x25519-sha512 "unknown algorithm": the IANA name, registered
#    after 2.5 (OpenSSH 9.9 added it);
#  - mlkem768x25519-sha256 "unknown algorithm": OpenSSH 9.9's ML-KEM
#    hybrid (its default since 10.0), newer than 2.5;
#  - sntrup761x25519-sha512@openssh.com "using experimental algorithm":
#    OpenSSH's default kex since 9.0; current ssh-audit lists both names
#    with no warning.
# Every other [warn]/[fail] fails the test.
. "$(dirname "$0")/lib.sh"
sshbox_setup
command -v ssh-audit >/dev/null || { skip "ssh-audit not installed"; exit 0; }
start_sshd || finish
timeout 60 ssh-audit -n -p "$PORT" 127.0.0.1 > "$T/audit.txt" 2>&1
sed 's/^/  | /' "$T/audit.txt" | grep -E "\[(warn|fail)\]|^  \| \(gen\)" | head -30
bad=$(grep -E "\[(warn|fail)\]" "$T/audit.txt" |
	grep -vE "\(kex\) (kex-strict-s-v00@openssh.com|sntrup761x25519-sha512|mlkem768x25519-sha256) +-- \[warn\] unknown algorithm$" |
	grep -vE "\(kex\) sntrup761x25519-sha512@openssh.com +-- \[warn\] using experimental algorithm$")
check "ssh-audit: no fail/warn on offered algorithms" [ -z "$bad" ]
[ -n "$bad" ] && echo "$bad"
check "ssh-audit saw our banner" grep -q "sshbox" "$T/audit.txt"
check "strict kex advertised" grep -q "kex-strict-s-v00@openssh.com" "$T/audit.txt"
check "only curve25519, sntrup761x25519 and mlkem768x25519 kex offered" bash -c "! grep -E '^\(kex\)' '$T/audit.txt' | grep -vE 'curve25519-sha256|sntrup761x25519-sha512|mlkem768x25519-sha256|ext-info-s|kex-strict-s' | grep -q ."
check "post-quantum hybrids offered, ML-KEM first" eval "grep -qE '^\(kex\) sntrup761x25519-sha512@openssh.com' '$T/audit.txt' && grep -E '^\(kex\)' '$T/audit.txt' | head -n1 | grep -q mlkem768x25519-sha256"
finish
