#!/usr/bin/env bash
# Builds the pixnorm CLI of BASE_REV and of the working tree, runs both over one fixed matrix of
# commands (the photos in examples/data and raw frames cut from them, every format, mode, layout,
# dtype and geometry option, stats show/export/import, fit, merge, check) and compares, case by
# case, the exit status, standard output and every file written, byte for byte. Standard error is
# compared too but reported apart: a reworded message is not a changed output.
#
#   tests/equivalence/compare_revisions.sh BASE_REV [--base-build DIR] [--current-build DIR] [--keep]
#
# --base-build/--current-build reuse a configured build directory (its pixnorm target is built)
# instead of configuring one in a temporary directory. --keep leaves the temporary directory.
# Exit status: 0 every output identical, 1 some differ, 2 a bad command line or a failed build.
set -euo pipefail

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
BASE_REV=$1; shift
BASE_BUILD=""; CUR_BUILD=""; KEEP=0
while [ $# -gt 0 ]; do
  case $1 in
    --base-build) BASE_BUILD=$(realpath "$2"); shift 2 ;;
    --current-build) CUR_BUILD=$(realpath "$2"); shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) usage ;;
  esac
done

REPO=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
git -C "$REPO" rev-parse --verify -q "$BASE_REV^{commit}" >/dev/null || { echo "compare_revisions: unknown revision '$BASE_REV'" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pixnorm_equiv.XXXXXX")
if [ "$KEEP" = 0 ]; then trap 'rm -rf "$TMP"' EXIT; else echo "work directory: $TMP"; fi

build() {  # source dir, build dir
  if [ ! -f "$2/CMakeCache.txt" ]; then
    cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DPIXNORM_BUILD_TESTS=OFF -DPIXNORM_BUILD_BENCH=OFF \
      -DPIXNORM_BUILD_EXAMPLES=OFF -DPIXNORM_INSTALL=OFF >"$2.log" 2>&1 || { cat "$2.log" >&2; exit 2; }
  fi
  nice cmake --build "$2" -j2 --target pixnorm >>"$2.log" 2>&1 || { tail -40 "$2.log" >&2; exit 2; }
}
if [ -z "$BASE_BUILD" ]; then
  mkdir -p "$TMP/base-src"
  git -C "$REPO" archive "$BASE_REV" | tar -x -C "$TMP/base-src"
  BASE_BUILD=$TMP/base-build
  build "$TMP/base-src" "$BASE_BUILD"
else
  build "$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$BASE_BUILD/CMakeCache.txt")" "$BASE_BUILD"
fi
if [ -z "$CUR_BUILD" ]; then CUR_BUILD=$TMP/current-build; build "$REPO" "$CUR_BUILD"; else build "$REPO" "$CUR_BUILD"; fi
BIN_BASE=$BASE_BUILD/tools/pixnorm
BIN_CUR=$CUR_BUILD/tools/pixnorm

# ---------------------------------------------------------------- inputs, shared by both sides
IN=$TMP/in
mkdir -p "$IN/train/a" "$IN/train/b"
DATA=$REPO/examples/data
cp "$DATA"/*.png "$DATA"/*.jpg "$DATA/chelsea_224x224.bgr" "$IN/"
# Raw frames cut from a real photo (224x224 BGR): the pixel bytes read as each format.
BGR=$IN/chelsea_224x224.bgr
head -c $((224 * 224)) "$BGR" >"$IN/frame.gray8"
head -c $((224 * 168 * 4)) "$BGR" >"$IN/frame.rgba8"
head -c $((224 * 224 * 3 / 2)) "$BGR" >"$IN/frame.nv12"
head -c $((224 * 224 * 3 / 2)) "$BGR" >"$IN/frame.i420"
head -c $((224 * 224 * 2)) "$BGR" >"$IN/frame.yuyv"
cp "$DATA"/astronaut.png "$DATA"/coffee.jpg "$IN/train/a/"
cp "$DATA"/chelsea.png "$DATA"/rocket.jpg "$DATA"/camera.png "$IN/train/b/"
cat >"$IN/hf.json" <<'EOF'
{"image_processor_type": "ViTImageProcessor", "do_normalize": true, "do_rescale": true,
 "rescale_factor": 0.00392156862745098, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
 "do_resize": true, "size": {"height": 224, "width": 224}, "resample": 2}
EOF
cat >"$IN/clip.json" <<'EOF'
{"image_processor_type": "CLIPImageProcessor", "do_normalize": true, "do_rescale": true, "rescale_factor": 0.00392156862745098,
 "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
 "do_resize": true, "size": {"shortest_edge": 224}, "do_center_crop": true, "crop_size": {"height": 224, "width": 224},
 "resample": 3}
EOF
# The JSON the tools read besides statistics files: torchvision transforms, a Hugging Face file
# with fields pixnorm does not know (warned about in file order), refused ones.
cat >"$IN/tv.json" <<'EOF'
{"resize": 256, "interpolation": "bicubic", "antialias": true, "center_crop": [224, 224], "max_size": null,
 "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
EOF
cat >"$IN/convnext.json" <<'EOF'
{"image_processor_type": "ConvNextImageProcessor", "crop_pct": 0.875, "do_normalize": true, "do_rescale": true,
 "do_resize": true, "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225], "resample": 3,
 "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 224}, "zeta": {"a": [1, 2.50, -0, "\u00e9"]},
 "alpha": null, "\ud83d\ude00": true}
EOF
printf '{"image_mean": [0.5, NaN, 0.5], "image_std": [0.5, 0.5, 0.5]}' >"$IN/nan.json"
printf '{"image_mean": [0.5], "image_std": [1], "image_mean": [0.1]}' >"$IN/dup.json"
printf '{"image_mean": [0.5],\n "image_std": [1],}' >"$IN/comma.json"
printf '{"resize": [1, 2, 3]}' >"$IN/tv_bad.json"
cat >"$IN/extras.json" <<'EOF'
{"format": "pixnorm-stats", "version": 1, "channel_order": "RGB", "rescale": 0.00392156862745098,
 "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "min": [0, 1.5e0, -0], "max": [255, 254, 253],
 "note": {"nested": [[[]]], "text": "\u00e9\u4e2d\ud83d\ude00", "n": [-0.0, 1e-300, 12345678901234567890]}}
EOF
npy_f32() {  # file, three floats: a (3,) float32 .npy file, format 1.0
  { printf '\x93NUMPY\x01\x00\x76\x00'
    printf "%-117s\n" "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"
    /usr/bin/python3 -c "import struct,sys; sys.stdout.buffer.write(struct.pack('<3f', *map(float, sys.argv[1:])))" "$2" "$3" "$4"
  } >"$1"
}
npy_f32 "$IN/mean.npy" 123.68 116.779 103.939
npy_f32 "$IN/std.npy" 58.393 57.12 57.375
npy_f32 "$IN/mean_unit.npy" 0.485 0.456 0.406
npy_f32 "$IN/std_unit.npy" 0.229 0.224 0.225

# ---------------------------------------------------------------- the matrix
CASES=()
c() { CASES+=("$*"); }  # one command line; files are relative to the case's directory, inputs under in/
s() { CASES+=("SH:$1"); }  # a shell script: "$PN" runs the binary, $PHOTOS names the photos

PHOTOS="in/astronaut.png in/chelsea.png in/coffee.jpg in/rocket.jpg"
for preset in imagenet tf caffe unit; do c apply -q --preset $preset --resize 224x224 $PHOTOS -o out.npy; done
for mode in standardize center rescale sample-center sample-standardize per-image-standardization minmax; do
  c apply -q --preset imagenet --mode $mode --resize 96x64 $PHOTOS -o out.npy
  c apply -q --preset imagenet --mode $mode --layout nhwc in/rocket.jpg -o out.npy
done
for mode in sample-center sample-standardize per-image-standardization minmax; do
  c apply -q --mode $mode --per-channel --resize 64x64 $PHOTOS -o out.npy
done
c apply -q --mode rescale in/camera.png -o out.npy
c apply -q --preset imagenet --epsilon 0.01 in/chelsea.png -o out.npy
c apply -q --mode sample-standardize --epsilon 0 in/chelsea.png -o out.npy
for layout in nchw nhwc; do
  for backend in auto scalar highway xsimd; do
    c apply -q --preset imagenet --layout $layout --backend $backend --resize 224x224 $PHOTOS -o out.npy
  done
done
c apply -q --preset imagenet --dtype f16 --resize 224x224 $PHOTOS -o out.npy
c apply -q --preset unit --mode rescale --dtype int8 --quant-scale 0.003921569 --quant-zero-point -128 --resize 160x160 $PHOTOS -o out.npy
c apply -q --preset imagenet --dtype uint8 --quant-scale 0.0186 --quant-zero-point 114 --layout nhwc --resize 160x160 $PHOTOS -o out.npy
c apply -q --preset imagenet --dtype int8 --quant-scale=0.02 in/coffee.jpg -o out.npy
for interp in bilinear area nearest pil-nearest pil-box pil-bilinear pil-hamming pil-bicubic pil-lanczos; do
  c apply -q --preset imagenet --resize 224x224 --interp $interp $PHOTOS -o out.npy
  c apply -q --preset imagenet --resize 700x500 --interp $interp in/coffee.jpg -o out.npy
  c apply -q --preset imagenet --resize 224x224 --crop center --resize-short 256 --interp $interp $PHOTOS -o out.npy
  c apply -q --preset imagenet --resize 320x320 --letterbox 114 --interp $interp --flip $PHOTOS -o out.npy
done
c apply -q --preset imagenet --resize 224x224 --crop center $PHOTOS -o out.npy
c apply -q --preset imagenet --crop 100x80+20+30 in/rocket.jpg -o out.npy
c apply -q --preset imagenet --crop 100x80+20+30 --resize 50x50 --flip $PHOTOS -o out.npy
c apply -q --preset imagenet --resize 300x200 --letterbox 0 --layout nhwc $PHOTOS -o out.npy
c apply -q --preset imagenet --flip in/chelsea.png -o out.npy
c apply -q --preset imagenet --exif apply --resize 128x128 $PHOTOS -o out.npy
c apply -q --preset imagenet --exif ignore --resize 128x128 $PHOTOS -o out.npy
c apply -q --preset caffe --resize 224x224 in/camera.png in/chelsea.png -o out.npy
c apply -q --preset imagenet --resize=224x224 --layout=nhwc -oout.npy -- in/chelsea.png
c apply -q --preset imagenet --resize 224x224 $PHOTOS -o -
for fmt in rgb8 bgr8; do
  c apply -q --preset imagenet --raw 224x224:$fmt in/chelsea_224x224.bgr -o out.npy
  c apply -q --preset imagenet --raw 224x224:$fmt --resize 160x120 --interp pil-bicubic in/chelsea_224x224.bgr -o out.npy
done
c apply -q --preset imagenet --raw 224x224:bgr8 --layout nhwc --dtype f16 --crop center --resize 128x128 in/chelsea_224x224.bgr -o out.npy
c apply -q --mode rescale --raw 224x224:gray8 in/frame.gray8 -o out.npy
c apply -q --mode minmax --raw 224x224:gray8 --resize 100x100 --interp area in/frame.gray8 -o out.npy
for fmt in rgba8 bgra8; do c apply -q --preset imagenet --raw 224x168:$fmt --resize 112x112 in/frame.rgba8 -o out.npy; done
for fmt in nv12 nv21 i420; do
  c apply -q --preset imagenet --raw 224x224:$fmt in/frame.nv12 -o out.npy
  c apply -q --preset imagenet --raw 224x224:$fmt --yuv bt709 --range full --resize 160x160 --crop center in/frame.nv12 -o out.npy
  c apply -q --preset imagenet --raw 224x224:$fmt --resize 96x96 --letterbox 114 --dtype int8 --quant-scale 0.02 in/frame.nv12 -o out.npy
done
c apply -q --preset imagenet --raw 224x224:yuyv --yuv bt601 --range limited --layout nhwc in/frame.yuyv -o out.npy
c apply -q --preset tf --raw 224x224:yuyv --resize 64x64 --interp pil-lanczos in/frame.yuyv -o out.npy
# statistics files: recipes, stats show/export/import
c stats import --from hf in/hf.json -o s.json
c stats import --from hf in/clip.json -o s.json
c stats import --from keras in/mean.npy in/std.npy --units raw -o s.json
c stats import --from keras in/mean_unit.npy in/std_unit.npy --units unit --channel-order BGR --epsilon 1e-6 -o s.json
c stats import --from keras in/mean.npy in/std.npy --units raw --rescale 0.5 --target-size 224x224 --interpolation bilinear -o s.json
for p in imagenet tf caffe unit; do c stats export --preset $p --c-header -o p_stats.h; done
c stats export --preset imagenet --c-header --name model -o out.h
s '"$PN" stats import --from hf in/clip.json -o s.json && "$PN" stats show s.json && "$PN" stats export s.json --c-header -o s.h && "$PN" apply -q --stats s.json $PHOTOS -o out.npy && "$PN" apply -q --stats s.json --interp bilinear $PHOTOS -o out2.npy && "$PN" apply -q --stats s.json --no-recipe --resize 64x64 $PHOTOS -o out3.npy'
s '"$PN" stats import --from hf in/hf.json -o s.json && "$PN" check --stats s.json $PHOTOS --plot p.png'
c stats import --from torchvision in/tv.json -o s.json
c stats import --from hf in/convnext.json -o s.json
c stats import --from hf in/nan.json -o s.json
c stats import --from hf in/dup.json -o s.json
c stats import --from hf in/comma.json -o s.json
c stats import --from torchvision in/tv_bad.json -o s.json
c stats show in/extras.json
c stats export in/extras.json --c-header -o x.h
# fit, merge, check
s '"$PN" fit in/train -q --sample 0.5 --shard 0/2 -o p0.json && "$PN" fit in/train -q --sample 0.5 --shard 1/2 -o p1.json && "$PN" merge p0.json p1.json -o m.json && "$PN" stats show m.json'
c fit in/train -q -o fit.json
c fit in/train -q --resize 64x48 --threads 2 -o fit.json
c fit in/train -q --gray -o fit.json
c fit in/train -q --rgb --raw-units -o fit.json
c fit in/train -q --sample 0.5 -o fit.json
c fit in/train -q --strict -o fit.json
s '"$PN" fit in/train -q --shard 0/2 -o p0.json && "$PN" fit in/train -q --shard 1/2 -o p1.json && "$PN" merge p0.json p1.json -o m.json && "$PN" stats show m.json && "$PN" apply -q --stats m.json --resize 32x32 $PHOTOS -o out.npy && "$PN" stats export m.json --c-header -o m.h'
s '"$PN" fit in/train -q --resize 32x32 -o f.json && "$PN" check --stats f.json $PHOTOS'
for p in imagenet tf caffe unit; do c check --preset $p $PHOTOS; done
c check --preset imagenet --mode center in/chelsea.png in/rocket.jpg --plot plot.png
c check --preset caffe --raw 224x224:bgr8 in/chelsea_224x224.bgr
c info
c --version
# refused command lines and bad files: the exit status must stay, the message may be reworded
c apply --preset imagenet in/chelsea.png
c apply --preset imagenet --stats s.json in/chelsea.png -o out.npy
c apply --mode standardize in/chelsea.png -o out.npy
c apply --preset imagenet --mode frob in/chelsea.png -o out.npy
c apply --preset imagenet --interp frob --resize 9x9 in/chelsea.png -o out.npy
c apply --preset imagenet --resize 0x9 in/chelsea.png -o out.npy
c apply --preset imagenet --resize 9 in/chelsea.png -o out.npy
c apply --preset imagenet --crop 9x9 in/chelsea.png -o out.npy
c apply --preset imagenet --crop center in/chelsea.png -o out.npy
c apply --preset imagenet --letterbox 300 --resize 9x9 in/chelsea.png -o out.npy
c apply --preset imagenet --flip=1 in/chelsea.png -o out.npy
c apply --preset imagenet --frob in/chelsea.png -o out.npy
c apply --preset imagenet in/chelsea.png -o
c apply --preset imagenet --dtype int8 in/chelsea.png -o out.npy
c apply --preset imagenet --quant-scale 0.1 in/chelsea.png -o out.npy
c apply --preset imagenet --epsilon -1 in/chelsea.png -o out.npy
c apply --preset imagenet --per-channel in/chelsea.png -o out.npy
c apply --preset imagenet --yuv bt709 in/chelsea.png -o out.npy
c apply --preset imagenet --raw 224x224:frob in/chelsea.png -o out.npy
c apply --preset imagenet --raw 10x10:rgb8 in/chelsea.png -o out.npy
c apply --preset frob in/chelsea.png -o out.npy
c apply --stats in/nothing.json in/chelsea.png -o out.npy
c apply --preset imagenet in/nothing.png -o out.npy
c apply --preset imagenet in/chelsea.png in/rocket.jpg -o out.npy
c apply --preset imagenet -o out.npy
c apply --preset imagenet in/chelsea.png -o in/chelsea.png
c stats export --c-header -o x.h
c stats export --preset imagenet -o x.h
c stats export --preset imagenet --c-header --name 9x -o x.h
c stats export --preset imagenet --preset tf --c-header -o x.h
c stats import --from frob in/hf.json -o s.json
c stats import --from keras in/mean.npy in/std.npy -o s.json
c stats import --from keras in/mean.npy in/std.npy --units frob -o s.json
c stats import --from hf in/hf.json --units raw -o s.json
c stats show
c stats show in/nothing.json
c stats frob
c stats
c check
c check --frob
c check --preset imagenet
c check --preset imagenet --mode frob in/chelsea.png
c check --preset imagenet in/chelsea.png --plot -
c fit
c fit in/train
c fit in/train in/train -o f.json
c fit in/train --resize 9 -o f.json
c fit in/train --sample 2 -o f.json
c fit in/train --shard 2/2 -o f.json
c fit in/train --threads 0 -o f.json
c fit in/train --rgb --gray -o f.json
c fit in/train --resume -o f.json
c fit in/nothing -o f.json
c merge
c merge in/hf.json
c merge in/nothing.json -o m.json
c info extra
c frobnicate
c

# ---------------------------------------------------------------- running
run_case() {  # binary, case directory, command line
  local bin=$1 dir=$2; shift 2
  mkdir -p "$dir"
  ln -s "$IN" "$dir/in"
  local line=$*
  if [ "${line#SH:}" != "$line" ]; then
    (cd "$dir" && PN=$bin PHOTOS=$PHOTOS sh -c "${line#SH:}") >"$dir.stdout" 2>"$dir.stderr" || echo $? >"$dir.status"
  else
    (cd "$dir" && eval "set -- $line" && "$bin" "$@") >"$dir.stdout" 2>"$dir.stderr" || echo $? >"$dir.status"
  fi
  [ -f "$dir.status" ] || echo 0 >"$dir.status"
  # standard error names the binary that ran only where bench does; mask the build directories
  sed -i -E "s|$BASE_BUILD|BUILD|g; s|$CUR_BUILD|BUILD|g; s|[0-9.]+ s, [0-9.]+ images/s|T s, R images/s|" "$dir.stderr" "$dir.stdout"
}

same=0; differ=0; stderr_only=0
DIFFS=()
for i in "${!CASES[@]}"; do
  line=${CASES[$i]}
  run_case "$BIN_BASE" "$TMP/base/$i" "$line"
  run_case "$BIN_CUR" "$TMP/current/$i" "$line"
  b=$TMP/base/$i; k=$TMP/current/$i
  bad=""
  cmp -s "$b.status" "$k.status" || bad+=" exit($(cat "$b.status")->$(cat "$k.status"))"
  cmp -s "$b.stdout" "$k.stdout" || bad+=" stdout"
  files_b=$(cd "$b" && find . -type f | sort); files_k=$(cd "$k" && find . -type f | sort)
  if [ "$files_b" != "$files_k" ]; then
    bad+=" file-list"
  else
    for f in $files_b; do cmp -s "$b/$f" "$k/$f" || bad+=" ${f#./}"; done
  fi
  if [ -n "$bad" ]; then
    differ=$((differ + 1)); DIFFS+=("DIFFERS [$i] pixnorm $line:$bad")
  else
    same=$((same + 1))
    if ! cmp -s "$b.stderr" "$k.stderr"; then
      stderr_only=$((stderr_only + 1))
      DIFFS+=("stderr  [$i] pixnorm $line" "   base:    $(head -c 300 "$b.stderr" | tr '\n' ' ')" "   current: $(head -c 300 "$k.stderr" | tr '\n' ' ')")
    fi
  fi
done

for d in "${DIFFS[@]}"; do echo "$d"; done
echo "compare_revisions: $BASE_REV vs working tree: ${#CASES[@]} cases; $same identical in exit status, standard output" \
     "and files ($stderr_only of them with other standard error text); $differ differ"
[ "$differ" = 0 ]
