#!/usr/bin/env bash
# The short fuzzing pass of `make test`: every built libFuzzer target runs
# FUZZ_SECONDS (default 15) on its seed corpus. `make fuzz` runs longer.
cd "$(dirname "$0")/../.." || exit 1
FUZZ_SECONDS=${FUZZ_SECONDS:-15} exec tests/fuzz/run.sh build/out-fuzz/fuzz_*
