#!/usr/bin/env bash
# Runs test programs and scripts, counts their PASS:/FAIL:/SKIP: lines and
# prints the closing line "N passed, N failed, N skipped".
# A program that exits non-zero without printing any FAIL line counts as one
# failure, so a crash can never look like success.
# Usage: tests/run.sh [--label L] CMD [CMD...]   (each CMD is one word: a path)
set -u
label=""
if [ "${1:-}" = "--label" ]; then label=$2; shift 2; fi
pass=0 fail=0 skip=0
failed_names=()
for cmd in "$@"; do
  echo "=== ${label:+$label }$cmd"
  out=$(mktemp)
  timeout_s=${TEST_TIMEOUT:-900}
  timeout -k 10 "$timeout_s" "$cmd" > >(tee "$out") 2>&1
  rc=$?
  sleep 0.05 # let tee drain
  p=$(grep -c '^PASS: ' "$out"); f=$(grep -c '^FAIL: ' "$out"); s=$(grep -c '^SKIP: ' "$out")
  while IFS= read -r l; do failed_names+=("${l#FAIL: }"); done < <(grep '^FAIL: ' "$out")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1; failed_names+=("$cmd exited $rc")
    echo "FAIL: $cmd exited with status $rc"
  fi
  pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
  rm -f "$out"
done
if [ ${#failed_names[@]} -gt 0 ]; then
  echo "--- failures${label:+ ($label)}:"
  printf '  %s\n' "${failed_names[@]}"
fi
echo "${label:+$label: }$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
