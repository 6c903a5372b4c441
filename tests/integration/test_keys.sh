#!/usr/bin/env bash
# Host keys written by shared/keys.c (hostkey_load_or_create / hostkey_save)
# are read by OpenSSH's ssh-keygen: -l (fingerprint equal to ours) and -y
# (public key derived from the private one equal to the .pub we wrote).
# Uses the unit-test binary's helper mode: test_keys --write-hostkey PATH.
set -u
REPO_DIR=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-build/out}
case "$OUT" in /*) ;; *) OUT="$REPO_DIR/$OUT" ;; esac
BIN=$OUT/tests/test_keys
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
if [ ! -x "$BIN" ] || ! command -v ssh-keygen >/dev/null; then
	echo "SKIP: test_keys.sh (need $BIN and ssh-keygen)"
	exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
key=$T/state/sub/ssh_host_ed25519_key

out=$("$BIN" --write-hostkey "$key" 2>/dev/null)
ourfp=${out%% *}
[ "${out##* }" = created ] && pass "hostkey created" || fail "hostkey created ($out)"
[ "$(stat -c %a "$key")" = 600 ] && pass "hostkey mode 0600" || fail "hostkey mode $(stat -c %a "$key")"
[ "$(stat -c %a "$T/state/sub")" = 700 ] && pass "hostkey dir mode 0700" || fail "hostkey dir mode"
kgfp=$(ssh-keygen -l -f "$key" 2>&1 | awk '{print $2}')
[ -n "$ourfp" ] && [ "$kgfp" = "$ourfp" ] && pass "ssh-keygen -l reads our key, same fingerprint" ||
	fail "ssh-keygen -l: '$kgfp' vs ours '$ourfp'"
pubfp=$(ssh-keygen -l -f "$key.pub" 2>&1 | awk '{print $2}')
[ "$pubfp" = "$ourfp" ] && pass "ssh-keygen -l reads our .pub" || fail "ssh-keygen -l .pub: '$pubfp'"
derived=$(ssh-keygen -y -f "$key" 2>&1 | awk '{print $1, $2}')
written=$(awk '{print $1, $2}' "$key.pub")
[ -n "$derived" ] && [ "$derived" = "$written" ] && pass "ssh-keygen -y derives our .pub" ||
	fail "ssh-keygen -y: '$derived' vs '$written'"
out2=$("$BIN" --write-hostkey "$key" 2>/dev/null)
[ "$out2" = "$ourfp loaded" ] && pass "hostkey reloaded unchanged" || fail "hostkey reload: $out2"

# A key made by ssh-keygen is loaded, and keeps its fingerprint.
ssh-keygen -q -t ed25519 -N '' -C kg -f "$T/kg" >/dev/null
kgfp=$(ssh-keygen -l -f "$T/kg" | awk '{print $2}')
out3=$("$BIN" --write-hostkey "$T/kg" 2>/dev/null)
[ "$out3" = "$kgfp loaded" ] && pass "ssh-keygen key loaded" || fail "ssh-keygen key: '$out3' vs '$kgfp'"
# An encrypted one is refused with a clear message.
ssh-keygen -q -t ed25519 -N 'pw' -f "$T/enc" >/dev/null
if "$BIN" --write-hostkey "$T/enc" >/dev/null 2>"$T/err"; then
	fail "encrypted key refused"
elif grep -q encrypted "$T/err"; then
	pass "encrypted key refused"
else
	fail "encrypted key refused without a clear message: $(cat "$T/err")"
fi
[ "$fails" -eq 0 ]
