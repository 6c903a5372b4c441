#!/usr/bin/env bash
# `make fuzz-long`: long fuzzing runs with a corpus that persists between
# runs, outside the source tree.
#
#   FUZZ_PREAUTH_SECONDS  per pre-auth target (transport, kex, auth, buf,
#                         cipher: what a client reaches before logging in);
#                         default 1800
#   FUZZ_OTHER_SECONDS    per other target; default 600
#   FUZZ_TARGETS          space-separated names (e.g. "kex auth") to run
#                         only those; default every built target
#   FUZZ_CORPUS_DIR       persistent corpora, one folder per target;
#                         default ${XDG_CACHE_HOME:-~/.cache}/sshbox/fuzz-corpus
#   FUZZ_MERGE=1          afterwards merge what adds coverage back into
#                         tests/fuzz/corpus/<name> (libFuzzer -merge=1: only
#                         inputs with new coverage are copied)
#   FUZZ_JOBS             parallel workers per target (-fork); default 1
#   FUZZ_TIMEOUT          seconds one input may take before it counts as a
#                         hang (libFuzzer -timeout, wall clock); default 10.
#                         Raise it when the fuzzers run niced on a busy
#                         machine: a starved process otherwise reports
#                         inputs that take 100 ms as hangs.
#
# The seeds in tests/fuzz/corpus/<name> are read on every run (second corpus
# argument), new inputs go to the persistent folder only. One PASS:/FAIL:
# line per target with its executions and findings; crash inputs are kept
# in build/out-fuzz/ (crash-<name>-*).
set -u
cd "$(dirname "$0")/../.." || exit 1
pre=${FUZZ_PREAUTH_SECONDS:-1800}
other=${FUZZ_OTHER_SECONDS:-600}
store=${FUZZ_CORPUS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sshbox/fuzz-corpus}
jobs=${FUZZ_JOBS:-1}
preauth=" transport kex auth buf cipher "
rc=0
bins=("$@")
[ ${#bins[@]} -gt 0 ] || bins=(build/out-fuzz/fuzz_*)
for bin in "${bins[@]}"; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin"); name=${name#fuzz_}
	if [ -n "${FUZZ_TARGETS:-}" ] && [[ " $FUZZ_TARGETS " != *" $name "* ]]; then continue; fi
	secs=$other
	[[ "$preauth" == *" $name "* ]] && secs=$pre
	corpus=$store/$name
	# Absolute paths: libFuzzer reads seed files one at a time while it
	# runs, and a harness that changes directory (fuzz_sftp works in a
	# scratch directory) would otherwise find no seeds after the first
	# input and stop with "no interesting inputs"; crash files likewise.
	seeds=$PWD/tests/fuzz/corpus/$name
	mkdir -p "$corpus" "$seeds"
	before=$(find "$corpus" -type f | wc -l)
	log=$(mktemp)
	fork=()
	[ "$jobs" -gt 1 ] && fork=(-fork="$jobs" -ignore_crashes=0)
	"$bin" "${fork[@]}" -max_total_time="$secs" -rss_limit_mb=2048 -timeout="${FUZZ_TIMEOUT:-10}" -print_final_stats=1 \
		-artifact_prefix="$PWD/build/out-fuzz/crash-$name-" "$corpus" "$seeds" >"$log" 2>&1
	r=$?
	runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | awk '{s += $1} END {if (NR) print s}')
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	after=$(find "$corpus" -type f | wc -l)
	if [ $r -eq 0 ]; then
		echo "PASS: fuzz_$name ran ${secs}s: ${runs:-?} executions, ${cov:-cov: ?}, corpus $before -> $after, no findings"
	else
		echo "FAIL: fuzz_$name (exit $r) after ${secs}s, ${runs:-?} executions; tail of the log:"
		tail -n 40 "$log"
		rc=1
	fi
	rm -f "$log"
	if [ "${FUZZ_MERGE:-0}" = 1 ]; then
		n0=$(find "$seeds" -type f | wc -l)
		"$bin" -merge=1 -rss_limit_mb=2048 -timeout="${FUZZ_TIMEOUT:-10}" "$seeds" "$corpus" >/dev/null 2>&1
		echo "# fuzz_$name: merged into $seeds: $n0 -> $(find "$seeds" -type f | wc -l) files"
	fi
done
exit $rc
