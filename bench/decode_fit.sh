#!/usr/bin/env bash
# `pixnorm fit` over a folder of 640x480 JPEGs, decoded by libjpeg-turbo (the default) and by
# stb_image (PIXNORM_DECODER=stb, the decoder before), alternately in one run: images per second
# of each, the median of ROUNDS runs, one thread and all cores.
#
#   bench/decode_fit.sh [PIXNORM] [IMAGES] [ROUNDS]    defaults: build/tools/pixnorm, 200, 5
#
# The JPEGs are crops of the bundled photos (quality 90, 4:2:0, as Pillow saves them), made with
# Debian's python3-pil. Prints the CPU: compare numbers from one run only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pixnorm=${1:-$root/build/tools/pixnorm}
images=${2:-200}
rounds=${3:-5}
[ -x "$pixnorm" ] || { echo "decode_fit.sh: no pixnorm at $pixnorm (build it first)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

/usr/bin/python3 - "$root/examples/data" "$work/jpegs" "$images" <<'EOF'
import os, sys
from PIL import Image
data, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(out)
photos = [Image.open(os.path.join(data, n)).convert("RGB") for n in ("rocket.jpg", "astronaut.png", "chelsea.png", "coffee.jpg")]
for i in range(count):
    p = photos[i % len(photos)]
    # Scaled up to cover 640x480, then a crop that moves from image to image.
    s = max(640 / p.width, 480 / p.height) * (1.0 + 0.1 * (i % 7))
    big = p.resize((int(p.width * s) + 1, int(p.height * s) + 1), Image.BILINEAR)
    x, y = (i * 37) % (big.width - 640 + 1), (i * 23) % (big.height - 480 + 1)
    big.crop((x, y, x + 640, y + 480)).save(os.path.join(out, f"{i:05d}.jpg"), quality=90)
EOF

grep -m1 'model name' /proc/cpuinfo || true
echo "$images JPEGs of 640x480, $(du -sk "$work/jpegs" | cut -f1) KiB; median of $rounds runs"
rate() {  # decoder threads -> images/s of one fit
  PIXNORM_DECODER=$1 "$pixnorm" fit "$work/jpegs" -o "$work/stats.json" --threads "$2" 2>&1 |
    sed -n 's/.* \([0-9.]*\) images\/s.*/\1/p' | tail -n1
}
for threads in 1 $(nproc); do
  lj=() st=()
  for ((r = 0; r < rounds; ++r)); do  # alternated: drift in the machine's load hits both alike
    lj+=("$(rate libjpeg "$threads")")
    st+=("$(rate stb "$threads")")
  done
  median() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }
  a=$(median "${lj[@]}") b=$(median "${st[@]}")
  printf 'threads %-2s libjpeg-turbo %8s images/s   stb_image %8s images/s   ratio %s\n' "$threads" "$a" "$b" \
    "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
done
