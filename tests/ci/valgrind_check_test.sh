#!/usr/bin/env bash
# .ci/valgrind-check: a probe that cannot run under valgrind skips memcheck with its reason
# (exit 77), while a program with a real memcheck error still fails, whatever the CPU.
#   valgrind_check_test.sh [SCRIPT]   (default: .ci/valgrind-check of this source tree)
# Exits 77 (skipped) when valgrind cannot run even a plain C program here.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
check=${1:-$here/../../.ci/valgrind-check}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

build() {  # NAME SOURCE: -O0 so that the compiler keeps the faulty accesses
  printf '%s\n' "$2" >"$tmp/$1.c"
  "${CC:-cc}" -O0 -g "$tmp/$1.c" -o "$tmp/$1" || { echo "FAIL: cannot compile $1"; exit 1; }
}
# run NAME EXPECTED_RC_TEST [ENV...]: EXPECTED_RC_TEST is "eq N" or "fail" (neither 0 nor 77).
run() {
  local name=$1 want=$2 rc=0
  shift 2
  env "$@" "$check" "$tmp/$name" >"$tmp/$name.out" 2>&1 || rc=$?
  last_rc=$rc
  case "$want" in
    fail) [ "$rc" != 0 ] && [ "$rc" != 77 ] ;;
    *) [ "$rc" = "${want#eq }" ] ;;
  esac || { echo "FAIL: $name ${*:-}: exit $rc, expected $want"; sed 's/^/  | /' "$tmp/$name.out"; fails=$((fails + 1)); }
}
expect_output() {  # NAME TEXT
  grep -qF -- "$2" "$tmp/$1.out" || { echo "FAIL: $1: output lacks '$2'"; sed 's/^/  | /' "$tmp/$1.out"; fails=$((fails + 1)); }
}

build clean '#include <stdlib.h>
int main(void) { int* p = malloc(4 * sizeof *p); p[0] = 1; int r = p[0] - 1; free(p); return r; }'
build invalid_read '#include <stdio.h>
#include <stdlib.h>
int main(void) { int* p = malloc(4 * sizeof *p); for (int i = 0; i < 4; ++i) p[i] = i;
  int r = p[4]; free(p); printf("%d\n", r != 12345); return 0; }'
build leak '#include <stdio.h>
#include <stdlib.h>
int main(void) { char* p = malloc(1000); p[0] = 0; printf("%d\n", p[0]); p = NULL; return 0; }'

run clean "eq 0"
if [ "$last_rc" = 77 ]; then
  echo "SKIPPED: valgrind cannot run a plain C program on this machine:"
  sed 's/^/  | /' "$tmp/clean.out"
  exit 77
fi

# A forced probe failure skips with the reason, and never runs the program.
run clean "eq 77" PIXNORM_VALGRIND_PROBE_FAIL=1
expect_output clean "SKIPPED: valgrind cannot run"
expect_output clean "PIXNORM_VALGRIND_PROBE_FAIL"
expect_output clean "SIGILL"
# The skip is for valgrind's failure only: a real memcheck error still fails.
run invalid_read fail
expect_output invalid_read "Invalid read of size 4"
run leak fail
expect_output leak "definitely lost"
# A forced probe failure means "not checked", never "clean": it cannot turn an error into a pass.
run invalid_read "eq 77" PIXNORM_VALGRIND_PROBE_FAIL=1

# The probe is linked like the program: one that loads libhwy is probed with libhwy, so on a CPU
# where valgrind cannot run libhwy's initializer it is skipped, and checked everywhere else.
if "${CC:-cc}" -O0 "$tmp/clean.c" -o "$tmp/with_hwy" -Wl,--no-as-needed -lhwy 2>/dev/null; then
  rc=0
  "$check" "$tmp/with_hwy" >"$tmp/with_hwy.out" 2>&1 || rc=$?
  case "$rc" in
    0) echo "with libhwy: memcheck ran (valgrind runs libhwy's initializer on this CPU)" ;;
    77) expect_output with_hwy "libhwy.so"
        echo "with libhwy: skipped here: $(grep -m1 SKIPPED "$tmp/with_hwy.out")" ;;
    *) echo "FAIL: with_hwy: exit $rc"; sed 's/^/  | /' "$tmp/with_hwy.out"; fails=$((fails + 1)) ;;
  esac
fi

if [ "$fails" != 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "valgrind-check: skip on a failed probe, failure on memcheck errors: OK"
