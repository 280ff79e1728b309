#!/bin/bash
# A library built with PIXNORM_WITH_FILE_IO=OFF (firmware without a file system): it builds, holds
# no call to the POSIX file functions, and its pixnorm_stats_load / pixnorm_stats_save return
# PIXNORM_ERROR_UNSUPPORTED with a message naming the option, while parsing from memory works.
# Usage: file_io_off_test.sh SOURCE_DIR WORK_DIR C_COMPILER
set -euo pipefail
src=$1 work=$2 cc=$3
rm -rf "$work"
cmake -S "$src" -B "$work" -DCMAKE_BUILD_TYPE=Release -DPIXNORM_WITH_FILE_IO=OFF -DPIXNORM_WITH_HIGHWAY=OFF \
  -DPIXNORM_WITH_XSIMD=OFF -DPIXNORM_BUILD_TOOLS=OFF -DPIXNORM_BUILD_TESTS=OFF -DPIXNORM_BUILD_BENCH=OFF \
  -DPIXNORM_BUILD_EXAMPLES=OFF -DPIXNORM_INSTALL=OFF -DBUILD_SHARED_LIBS=OFF >"$work.configure.log" 2>&1 ||
  { cat "$work.configure.log"; exit 1; }
cmake --build "$work" --target pixnorm_runtime -j2 >"$work.build.log" 2>&1 || { cat "$work.build.log"; exit 1; }
lib=$(find "$work" -name 'libpixnorm.a' | head -n1)
[ -n "$lib" ] || { echo "no libpixnorm.a in $work"; exit 1; }
calls=$(nm -u "$lib" | awk '{print $2}' |
  grep -E '^(open|open64|openat|creat|read|write|close|rename|renameat|unlink|fsync|stat|stat64|fstat|fstat64|lstat|fchmod|opendir|readdir|mkstemp|mkostemp|fopen|fopen64|__xstat|__fxstat|__xstat64|__fxstat64)$' |
  sort -u || true)
if [ -n "$calls" ]; then
  echo "libpixnorm built with PIXNORM_WITH_FILE_IO=OFF still calls:" $calls
  exit 1
fi
cat >"$work/check.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "pixnorm/pixnorm.h"
int main(void) {
  pixnorm_stats* s = (pixnorm_stats*)1;
  const char json[] = "{\"format\": \"pixnorm-stats\", \"version\": 1, \"channel_order\": \"RGB\", \"rescale\": 1, \"mean\": 0}";
  if (pixnorm_stats_load("stats.json", &s) != PIXNORM_ERROR_UNSUPPORTED || s != NULL ||
      strstr(pixnorm_last_error(), "PIXNORM_WITH_FILE_IO") == NULL) {
    printf("pixnorm_stats_load: \"%s\"\n", pixnorm_last_error());
    return 1;
  }
  if (pixnorm_stats_parse(json, sizeof json - 1, "<memory>", &s) != PIXNORM_OK) {
    printf("pixnorm_stats_parse: \"%s\"\n", pixnorm_last_error());
    return 1;
  }
  if (pixnorm_stats_save(s, "stats.json") != PIXNORM_ERROR_UNSUPPORTED ||
      strstr(pixnorm_last_error(), "PIXNORM_WITH_FILE_IO") == NULL) {
    printf("pixnorm_stats_save: \"%s\"\n", pixnorm_last_error());
    return 1;
  }
  pixnorm_stats_free(s);
  return 0;
}
C
"$cc" -I"$src/runtime/include" "$work/check.c" "$lib" -lstdc++ -lm -lpthread -o "$work/check"
"$work/check"
echo "PIXNORM_WITH_FILE_IO=OFF: builds, no file calls, load/save refused with a message"
