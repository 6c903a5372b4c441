#!/usr/bin/env bash
# Runs each libFuzzer target for FUZZ_SECONDS on a scratch copy of its seed
# corpus (tests/fuzz/corpus/<name>/, name = binary name without "fuzz_").
# Prints one PASS:/FAIL: line per target, so tests/run.sh can count it.
set -u
secs=${FUZZ_SECONDS:-30}
rc=0
for bin in "$@"; do
  name=$(basename "$bin"); name=${name#fuzz_}
  seeds=tests/fuzz/corpus/$name
  work=$(mktemp -d)
  [ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null
  log=$(mktemp)
  "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="build/out-fuzz/crash-$name-" "$work" >"$log" 2>&1
  r=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  if [ $r -eq 0 ]; then
    echo "PASS: fuzz_$name ran ${secs}s, ${runs:-?} inputs, no findings"
  else
    echo "FAIL: fuzz_$name (exit $r); tail of log:"
    tail -n 30 "$log"
    rc=1
  fi
  rm -rf "$work" "$log"
done
exit $rc
