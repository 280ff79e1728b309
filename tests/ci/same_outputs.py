#!/usr/bin/env python3
"""Runs two builds of the pixnorm CLI over one fixed matrix and compares every output byte for byte.

    same_outputs.py OLD_PIXNORM NEW_PIXNORM [--quick]

The matrix: the real photos of examples/data and deterministic raw frames of every pixel format,
times the modes, layouts, output types, geometry options and backends; plus refused inputs, whose
exit status and message must also match. For a refactoring that must not change any result: run
it with the CLI built from the commit before and the one after. Prints the cases that differ and
exits 1 if any does.
"""
import itertools
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "examples", "data")

MODES = ["standardize", "center", "rescale", "sample-center", "sample-standardize", "per-image-standardization",
         "minmax"]
DTYPES = [[], ["--dtype", "f16"], ["--dtype", "int8", "--quant-scale", "0.02", "--quant-zero-point", "-3"],
          ["--dtype", "uint8", "--quant-scale", "0.03", "--quant-zero-point", "128"]]
LAYOUTS = ["nchw", "nhwc"]
GEOMETRY = [[], ["--resize", "31x17"], ["--resize", "40x40", "--crop", "center", "--interp", "area"],
            ["--resize", "33x29", "--letterbox", "114", "--flip", "--interp", "nearest"],
            ["--resize", "24x24", "--crop", "center", "--resize-short", "32", "--interp", "pil-bicubic"],
            ["--crop", "20x10+3+5", "--resize", "15x9", "--interp", "pil-lanczos"]]
RAW_FORMATS = {"gray8": lambda w, h: w * h, "rgb8": lambda w, h: 3 * w * h, "bgr8": lambda w, h: 3 * w * h,
               "rgba8": lambda w, h: 4 * w * h, "bgra8": lambda w, h: 4 * w * h,
               "nv12": lambda w, h: w * h + 2 * ((w + 1) // 2) * ((h + 1) // 2),
               "nv21": lambda w, h: w * h + 2 * ((w + 1) // 2) * ((h + 1) // 2),
               "i420": lambda w, h: w * h + 2 * ((w + 1) // 2) * ((h + 1) // 2),
               "yuyv": lambda w, h: 4 * ((w + 1) // 2) * h}


def run(exe, args, out):
    if os.path.exists(out):
        os.remove(out)
    p = subprocess.run([exe] + args + ["-o", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    data = open(out, "rb").read() if os.path.exists(out) else b""
    return p.returncode, p.stderr, data


def cases(tmp, quick):
    photos = ["chelsea.png", "coffee.jpg", "camera.png"] if not quick else ["chelsea.png"]
    for photo in photos:
        for mode, layout, dtype, geo in itertools.product(MODES, LAYOUTS, DTYPES, GEOMETRY):
            yield [os.path.join(DATA, photo), "-q", "--mode", mode, "--layout", layout, "--preset",
                   "imagenet"] + dtype + geo
    rng = random.Random(17)
    w, h = 37, 23
    for fmt, size in RAW_FORMATS.items():
        path = os.path.join(tmp, "frame." + fmt)
        with open(path, "wb") as f:
            f.write(bytes(rng.randrange(256) for _ in range(size(w, h))))
        stats = [] if fmt == "gray8" else ["--preset", "imagenet"]
        for mode, layout, dtype, geo in itertools.product(["rescale", "sample-standardize", "minmax"], LAYOUTS,
                                                          DTYPES, GEOMETRY[:4] if not quick else GEOMETRY[:2]):
            yield [path, "-q", "--raw", "%dx%d:%s" % (w, h, fmt), "--mode", mode, "--layout", layout] + stats + dtype + geo
        if fmt in ("nv12", "i420", "yuyv"):
            yield [path, "-q", "--raw", "%dx%d:%s" % (w, h, fmt), "--yuv", "bt709", "--range", "full"] + stats
        # A frame of the wrong size, refused with a message.
        yield [path, "--raw", "%dx%d:%s" % (w + 2, h, fmt), "--mode", "rescale"]
    for backend in ["scalar", "auto"]:
        yield [os.path.join(DATA, "astronaut.png"), "-q", "--preset", "imagenet", "--backend", backend, "--resize",
               "64x48"]
    # Refused options.
    yield [os.path.join(DATA, "chelsea.png"), "--preset", "imagenet", "--dtype", "int8", "--quant-scale", "0"]
    yield [os.path.join(DATA, "chelsea.png"), "--preset", "imagenet", "--raw", "3x3:rgb9"]
    yield [os.path.join(DATA, "chelsea.png"), "--preset", "imagenet", "--layout", "nwhc"]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    old, new = sys.argv[1], sys.argv[2]
    quick = "--quick" in sys.argv[3:]
    differ = total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for args in cases(tmp, quick):
            total += 1
            a = run(old, ["apply"] + args, os.path.join(tmp, "old.npy"))
            b = run(new, ["apply"] + args, os.path.join(tmp, "new.npy"))
            if a != b:
                differ += 1
                print("differs:", " ".join(args))
                if a[0] != b[0] or a[1] != b[1]:
                    print("  old:", a[0], a[1].decode(errors="replace").strip())
                    print("  new:", b[0], b[1].decode(errors="replace").strip())
    print("%d of %d cases differ" % (differ, total))
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
