#!/usr/bin/env bash
# Builds the fuzz targets (clang-14, libFuzzer, ASan+UBSan), replays the corpus (ctest), then
# fuzzes every target for SECONDS (default 300), JOBS at a time.
#   tests/fuzz/run.sh [SECONDS]        BUILD=dir (default build-fuzz), JOBS=n (default 2)
# Each target starts from its seeds (tests/fuzz/corpus/<target>) and from what earlier runs
# found new (BUILD/corpus/<target>, kept). A crash, a leak, a timeout (10 s) or memory over
# 2 GiB is a finding: its input goes to BUILD/findings/ and the script fails. To keep one as a
# regression, copy it to tests/fuzz/corpus/<target>/ (images and merge parts refused: named
# bad-*, see corpus_test.cpp) and add a test. Prints the executions each target reached.
set -euo pipefail

seconds=${1:-300}
case "$seconds" in '' | *[!0-9]*) echo "run.sh: SECONDS must be a number" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD:-$root/build-fuzz}
jobs=${JOBS:-2}

cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
cmake --build "$build" -j"$jobs"
ctest --test-dir "$build" --output-on-failure -j"$jobs"

targets=()
for f in "$here"/fuzz_*.cpp; do
  t=$(basename "$f" .cpp)
  [ -x "$build/$t" ] && targets+=("${t#fuzz_}")  # fuzz_merge only where the CLI has merge
done
mkdir -p "$build/findings" "$build/logs"

fuzz() {
  local t=$1
  mkdir -p "$build/corpus/$t"
  # The work corpus first: libFuzzer writes new inputs to the first directory only.
  "$build/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$build/findings/$t-" "$build/corpus/$t" "$here/corpus/$t" >"$build/logs/$t.log" 2>&1
}

report() {
  local t=$1 rc=$2 runs
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/logs/$t.log" | tail -n1)
  if [ "$rc" = 0 ]; then
    printf 'fuzz_%-6s %12s executions in %ss, no finding\n' "$t" "${runs:-?}" "$seconds"
  else
    printf 'fuzz_%-6s FINDING after %s executions (exit %s); log %s:\n' "$t" "${runs:-?}" "$rc" "$build/logs/$t.log"
    grep -E 'ERROR|runtime error|check failed|SUMMARY|Test unit written' "$build/logs/$t.log" | head -n 20
  fi
}

# JOBS targets at a time, each batch waited for in full.
failed=0
for ((i = 0; i < ${#targets[@]}; i += jobs)); do
  batch=("${targets[@]:i:jobs}")
  pids=()
  for t in "${batch[@]}"; do
    fuzz "$t" &
    pids+=($!)
  done
  for k in "${!batch[@]}"; do
    rc=0
    wait "${pids[k]}" || rc=$?
    report "${batch[k]}" "$rc"
    [ "$rc" = 0 ] || failed=1
  done
done
exit "$failed"
