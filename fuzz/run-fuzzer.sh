#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-fuzzer.sh FUZZER SEED_DIR REGRESSION_DIR SECONDS [libFuzzer options...]
#
# The `fuzz` test suite: replays every committed crash input of the target (each must
# pass now), then fuzzes for SECONDS (DBPOOL_FUZZ_SECONDS overrides it) from the seed
# corpus. New inputs go to FUZZER-corpus/ and crash inputs to FUZZER-artifacts/, next
# to the binary in the build directory.
set -eu

fuzzer=$1
seeds=$2
regressions=$3
seconds=${DBPOOL_FUZZ_SECONDS:-$4}
shift 4

corpus="$fuzzer-corpus"
artifacts="$fuzzer-artifacts"
mkdir -p "$corpus" "$artifacts"

# GLib 2.74 hands out g_slice memory from its own magazines, where LeakSanitizer
# cannot see a leak; plain malloc lets it.
G_SLICE=always-malloc
: "${ASAN_OPTIONS:=detect_leaks=1}"
: "${UBSAN_OPTIONS:=halt_on_error=1:print_stacktrace=1}"
export G_SLICE ASAN_OPTIONS UBSAN_OPTIONS

if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions" 2>/dev/null)" ]; then
  echo "# replaying $(ls -A "$regressions" | wc -l) regression inputs from $regressions"
  "$fuzzer" -rss_limit_mb=2048 -timeout=30 -error_exitcode=1 -timeout_exitcode=1 \
    "$@" "$regressions"/*
fi

echo "# fuzzing for ${seconds}s"
# A crash must fail the test: libFuzzer's own exit code, 77, would read as a skip.
exec "$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 \
  -error_exitcode=1 -timeout_exitcode=1 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "$@" "$corpus" "$seeds"
