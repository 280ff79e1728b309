#!/usr/bin/python3
"""End-to-end tests of `pixnorm fit`, `pixnorm merge` and `pixnorm stats show`.

    test_fit.py PIXNORM DATA_DIR

Folders of images written here by numpy (PPM/PGM and PNG, odd sizes, gray, RGBA, class
sub-folders) and the photos of DATA_DIR (= examples/data) are fitted, and every file is checked
against an independent computation: exact Python integers for the accumulators, and
mean = float(Fraction(S1, N)) * rescale, std = sqrt(float(Fraction(N*S2 - S1^2, N^2))) * rescale,
which the CLI must match bit for bit, plus a float64 numpy mean/std as a sanity check. JPEG pixels
come from the CLI itself (apply --mode rescale), as no JPEG decoder is at hand.
"""
import json
import math
import os
import pty
import re
import shlex
import shutil
import signal
import stat
import subprocess
import threading
import tempfile
import sys
import time

import cli_harness
from fractions import Fraction

try:
    import numpy as np
except ImportError:
    sys.exit("test_fit.py: numpy is missing: run .ci/install-deps --test (python3-numpy)")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli import read_png, write_png, write_pnm  # noqa: E402

PIXNORM = DATA = WORK = None
EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tga", ".ppm", ".pgm", ".pnm")
M64 = (1 << 64) - 1


# ---------------------------------------------------------------- running the CLI

def run(args, env=None, timeout=120, **kw):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([PIXNORM] + [str(a) for a in args], capture_output=True, text=True, env=full_env,
                          cwd=WORK, timeout=timeout, **kw)


def fit(folder, out, *args, env=None):
    r = run(["fit", folder, "-o", out] + list(args), env=env)
    assert r.returncode == 0, f"fit {folder} {args}: exit {r.returncode}: {r.stderr}"
    with open(out) as f:
        text = f.read()
    return json.loads(text), text, r


def without_source(text):
    lines = [line for line in text.splitlines() if not line.startswith('  "source": ')]
    assert len(lines) == len(text.splitlines()) - 1, "no single source line"
    return "\n".join(lines)


# ---------------------------------------------------------------- the reference

_pixels = {}


def pixels_of(path):
    """(H, W, C) uint8 of an image file, alpha dropped, C = 1 or 3."""
    st = os.stat(path)
    key = (path, st.st_mtime_ns, st.st_size)  # folders are rewritten from test to test
    if key in _pixels:
        return _pixels[key]
    if path.endswith(".png"):
        x = read_png(path)
    elif path.endswith((".ppm", ".pgm")):
        with open(path, "rb") as f:
            data = f.read()
        magic, w, h, _, body = data.split(maxsplit=4)
        x = np.frombuffer(body, np.uint8).reshape(int(h), int(w), 3 if magic == b"P6" else 1)
    else:  # JPEG: decoded by the CLI, exactly (rescale gives the integers back)
        out = os.path.join(WORK, "decoded.npy")
        r = run(["apply", "--mode", "rescale", "--layout", "nhwc", path, "-o", out])
        assert r.returncode == 0, r.stderr
        t = np.load(out)[0]
        assert np.array_equal(t, np.round(t))
        x = t.astype(np.uint8)
    if x.shape[2] in (2, 4):
        x = x[..., :-1]
    _pixels[key] = x
    return x


def path_hash(rel):
    """The CLI's hash of a relative path (FNV-1a, then the splitmix64 finalizer)."""
    return path_hash_bytes(rel.encode())


def listing(folder, sample=1.0, shard=None):
    """Relative paths of the images the CLI takes, in its order (byte-wise), after sample and shard."""
    rels = []
    for root, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith(".") and name.lower().endswith(EXTENSIONS):
                rels.append(os.path.relpath(os.path.join(root, name), folder))
    rels.sort(key=lambda r: r.encode())
    rels = [r for r in rels if (path_hash(r) >> 11) < int(sample * 2 ** 53)]
    if shard:
        i, n = shard
        rels = [r for k, r in enumerate(rels) if k % n == i]
    return rels


def luma(x):
    if x.shape[2] == 1:
        return x
    x = x.astype(np.int64)
    return ((19595 * x[..., 0] + 38470 * x[..., 1] + 7471 * x[..., 2] + 32768) >> 16)[..., None].astype(np.uint8)


def taps(src, dst):
    """The CLI's bilinear taps: half-pixel centres, weights in 1/2048, computed in integers."""
    d = np.arange(dst, dtype=np.int64)
    num = (2 * d + 1) * src - dst
    den = 2 * dst
    i0 = np.where(num <= 0, 0, num // den)
    w = np.where(num <= 0, 0, (2 * (num % den) * 2048 + den) // (2 * den))
    edge = (num > 0) & (i0 >= src - 1)
    i0, w = np.where(edge, src - 1, i0), np.where(edge, 0, w)
    return i0, np.minimum(i0 + 1, src - 1), w


def resize_fixed(x, w, h):
    xi0, xi1, xw = taps(x.shape[1], w)
    yi0, yi1, yw = taps(x.shape[0], h)
    v = x.astype(np.int64)
    hor = v[:, xi0] * (2048 - xw)[None, :, None] + v[:, xi1] * xw[None, :, None]
    out = (hor[yi0] * (2048 - yw)[:, None, None] + hor[yi1] * yw[:, None, None] + (1 << 21)) >> 22
    return out.astype(np.uint8)


def resize_float(x, w, h):
    """Exact bilinear with half-pixel centres and edge clamping (OpenCV INTER_LINEAR), float64."""
    def coords(src, dst):
        f = np.clip((np.arange(dst) + 0.5) * src / dst - 0.5, 0, src - 1)
        i0 = np.minimum(np.floor(f).astype(np.int64), max(src - 2, 0))
        return i0, np.minimum(i0 + 1, src - 1), f - i0
    xi0, xi1, xf = coords(x.shape[1], w)
    yi0, yi1, yf = coords(x.shape[0], h)
    v = x.astype(np.float64)
    hor = v[:, xi0] * (1 - xf)[None, :, None] + v[:, xi1] * xf[None, :, None]
    return hor[yi0] * (1 - yf)[:, None, None] + hor[yi1] * yf[:, None, None]


def reference(folder, rels, rescale=1 / 255, colour="auto", resize=None):
    """The statistics file fields the CLI must write for these images."""
    images = [pixels_of(os.path.join(folder, r)) for r in rels]
    if colour == "auto":
        kinds = {x.shape[2] for x in images}
        assert len(kinds) == 1, "reference: mixed folder"
        colour = "gray" if kinds == {1} else "rgb"
    if colour == "gray":
        images = [luma(x) for x in images]
    if resize:
        images = [resize_fixed(x, *resize) for x in images]
    c = 1 if colour == "gray" else 3
    images = [np.repeat(x, c // x.shape[2], axis=2) for x in images]  # --rgb: gray as 3 channels
    n = sum(x.shape[0] * x.shape[1] for x in images)
    s1 = [sum(int(x[..., k].astype(np.int64).sum()) for x in images) for k in range(c)]
    s2 = [sum(int((x[..., k].astype(np.int64) ** 2).sum()) for x in images) for k in range(c)]
    lo = [min(int(x[..., k].min()) for x in images) for k in range(c)]
    hi = [max(int(x[..., k].max()) for x in images) for k in range(c)]
    mean = [float(Fraction(s1[k], n)) * rescale for k in range(c)]
    std = [math.sqrt(float(Fraction(n * s2[k] - s1[k] ** 2, n * n))) * rescale for k in range(c)]
    # An independent float64 computation, which the exact one must agree with closely.
    flat = np.concatenate([x.reshape(-1, c).astype(np.float64) for x in images]) * rescale
    assert np.allclose(flat.mean(axis=0), mean, rtol=1e-12, atol=0), (flat.mean(axis=0), mean)
    assert np.allclose(flat.std(axis=0), std, rtol=1e-9, atol=0), (flat.std(axis=0), std)
    return {"channel_order": "GRAY" if c == 1 else "RGB", "rescale": rescale, "mean": mean, "std": std,
            "epsilon": 0, "min": [v * rescale for v in lo], "max": [v * rescale for v in hi], "pixel_count": n,
            "image_count": len(images),
            "accumulators": {"pixels": str(n), "sum": [str(v) for v in s1], "sum_sq": [str(v) for v in s2],
                             "min": lo, "max": hi}}


def check_against(doc, ref, what):
    assert doc["format"] == "pixnorm-stats" and doc["version"] == 1, what
    for key, value in ref.items():
        assert doc[key] == value, f"{what}: {key} is {doc[key]!r}, expected {value!r}"


# ---------------------------------------------------------------- data sets

rng = np.random.default_rng(20240611)


def image(shape, lo=0, hi=256):
    return rng.integers(lo, hi, size=shape, dtype=np.int64).astype(np.uint8)


def put(path, x):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if path.endswith(".png"):
        write_png(path, x)
    else:
        write_pnm(path, x)


def colour_folder(name, count=24):
    """Class sub-folders, odd sizes, PPM and PNG (RGB and RGBA), names that sort differently per
    folder and as full paths ("cat/" and "cat-x/"), and files that must be ignored."""
    root = os.path.join(WORK, name)
    shutil.rmtree(root, ignore_errors=True)
    sizes = [(1, 1), (3, 7), (17, 11), (64, 33), (1, 40), (29, 2)]
    for k in range(count):
        h, w = sizes[k % len(sizes)]
        folder = ["cat", "cat-x", "dog", "dog/deep", "Bird", ""][k % 6]
        ext = ".png" if k % 3 == 0 else ".ppm"
        channels = 4 if k % 5 == 0 and ext == ".png" else 3
        put(os.path.join(root, folder, f"img_{k:03d}{ext}"), image((h, w, channels), lo=k % 7 * 10))
    put(os.path.join(root, ".hidden.ppm"), np.full((5, 5, 3), 255, np.uint8))  # would change the max
    put(os.path.join(root, ".git", "x.ppm"), np.full((5, 5, 3), 255, np.uint8))
    with open(os.path.join(root, "README.txt"), "w") as f:
        f.write("not an image, and not taken for one\n")
    return root


def gray_folder(name):
    root = os.path.join(WORK, name)
    shutil.rmtree(root, ignore_errors=True)
    put(os.path.join(root, "a", "g1.pgm"), image((13, 9, 1)))
    put(os.path.join(root, "a", "g2.png"), image((1, 5, 1), lo=100))
    put(os.path.join(root, "b", "ga.png"), image((6, 4, 2)))  # gray + alpha: alpha ignored
    return root


def photo_folder():
    root = os.path.join(WORK, "photos")
    if not os.path.isdir(root):
        for sub, names in (("png", ("astronaut.png", "chelsea.png")), ("jpeg", ("coffee.jpg", "rocket.jpg"))):
            os.makedirs(os.path.join(root, sub))
            for n in names:
                shutil.copy(os.path.join(DATA, n), os.path.join(root, sub, n))
    return root


# ---------------------------------------------------------------- tests

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def help_texts():
    r = run(["fit", "--help"])
    assert r.returncode == 0, r
    for word in ("-o", "--resize", "--sample", "--shard", "--threads", "--rgb", "--gray", "--raw-units", "--strict",
                 "--resume", "ddof=0", "accumulators", "checkpoint", "INTER_LINEAR", "Exit status"):
        assert word in r.stdout, f"fit --help does not mention {word}"
    r = run(["merge", "--help"])
    assert r.returncode == 0 and "accumulators" in r.stdout and "-o" in r.stdout, r
    r = run(["stats", "show", "--help"])
    assert r.returncode == 0 and "scale" in r.stdout, r
    r = run(["--help"])
    assert r.returncode == 0 and all(w in r.stdout for w in ("pixnorm fit", "pixnorm merge", "pixnorm stats show")), r


@test
def generated_images_exact():
    root = colour_folder("gen")
    rels = listing(root)
    assert len(rels) == 24 and rels.index("cat-x/img_001.ppm") < rels.index("cat/img_000.png"), rels
    out = os.path.join(WORK, "gen.json")
    doc, text, r = fit(root, out)
    check_against(doc, reference(root, rels), "gen")
    assert doc["skipped_count"] == 0 and doc["source"]["folder"] == root and doc["source"]["resize"] is None, doc
    assert list(doc)[-1] == "source", "source must be the last field"
    assert r.stdout == "" and len(summary_lines(r.stderr)) == 1, r.stderr
    assert re.match(rf"pixnorm: wrote {re.escape(out)}: 24 images, 0 skipped, \d+ pixels per channel, "
                    r"[\d.]+ s, [\d.]+ images/s$", summary_lines(r.stderr)[0]), r.stderr
    assert "decoded: 22 RGB, 2 RGBA; converted to RGB" in r.stderr, r.stderr
    doc, _, _ = fit(root, out, "--raw-units")
    check_against(doc, reference(root, rels, rescale=1.0), "gen --raw-units")


def summary_lines(stderr):
    """fit's stderr without the line counting the kinds of images decoded."""
    return [line for line in stderr.splitlines() if not line.startswith("pixnorm: decoded")]


@test
def real_photos_exact():
    root = photo_folder()
    rels = listing(root)
    assert rels == ["jpeg/coffee.jpg", "jpeg/rocket.jpg", "png/astronaut.png", "png/chelsea.png"], rels
    doc, _, _ = fit(root, os.path.join(WORK, "photos.json"))
    check_against(doc, reference(root, rels), "photos")


@test
def gray_and_colour():
    gray = gray_folder("gray")
    doc, _, _ = fit(gray, os.path.join(WORK, "gray.json"))
    check_against(doc, reference(gray, listing(gray)), "gray folder")
    assert doc["channel_order"] == "GRAY" and len(doc["mean"]) == 1
    # A folder of both: RGB by default, as --rgb, the gray images converted as Pillow's
    # convert('RGB') does and counted in the summary.
    mixed = os.path.join(WORK, "mixed")
    shutil.rmtree(mixed, ignore_errors=True)
    shutil.copytree(colour_folder("gen_for_mixed", 6), os.path.join(mixed, "colour"))
    shutil.copytree(gray, os.path.join(mixed, "gray"))
    out = os.path.join(WORK, "mixed.json")
    rels = listing(mixed)
    for flags in ((), ("--rgb",)):
        doc, _, r = fit(mixed, out, *flags)
        check_against(doc, reference(mixed, rels, colour="rgb"), f"mixed {flags}")
        assert "grayscale" in r.stderr and "convert('RGB')" in r.stderr, r.stderr
    # Gray images first: those before the first colour one count as RGB all the same.
    gray_first = os.path.join(WORK, "mixed_gray_first")
    shutil.rmtree(gray_first, ignore_errors=True)
    shutil.copytree(gray, os.path.join(gray_first, "a_gray"))
    shutil.copytree(os.path.join(mixed, "colour"), os.path.join(gray_first, "b_colour"))
    doc, _, _ = fit(gray_first, out, "--threads", 1)
    check_against(doc, reference(gray_first, listing(gray_first), colour="rgb"), "mixed, gray first")
    doc, _, _ = fit(mixed, out, "--gray")
    check_against(doc, reference(mixed, rels, colour="gray"), "mixed --gray")
    # --rgb on a gray folder: three equal channels.
    doc, _, _ = fit(gray, out, "--rgb")
    assert doc["channel_order"] == "RGB" and len(set(doc["mean"])) == 1 and len(set(doc["std"])) == 1, doc


@test
def threads_shards_merge():
    root = colour_folder("gen")
    outs = {}
    for threads in (1, 2, 7):
        _, outs[threads], _ = fit(root, os.path.join(WORK, f"t{threads}.json"), "--threads", threads)
    assert outs[1] == outs[2] == outs[7], "--threads changes the output"
    for sample in (None, "0.5"):
        extra = ["--sample", sample] if sample else []
        _, whole, _ = fit(root, os.path.join(WORK, "whole.json"), *extra)
        parts = []
        for i in range(3):
            part = os.path.join(WORK, f"part{i}.json")
            doc, _, _ = fit(root, part, "--shard", f"{i}/3", "--threads", 1 + i, *extra)
            rels = listing(root, float(sample or 1), (i, 3))
            check_against(doc, reference(root, rels), f"shard {i}/3 sample {sample}")
            assert doc["source"]["shard"] == f"{i}/3"
            parts.append(part)
        merged = os.path.join(WORK, "merged.json")
        r = run(["merge"] + parts[::-1] + ["-o", merged])  # any order
        assert r.returncode == 0 and len(summary_lines(r.stderr)) == 1, r
        with open(merged) as f:
            text = f.read()
        assert without_source(text) == without_source(whole), f"sample {sample}: merge differs from one fit"
        assert json.loads(text)["source"]["merged"] == parts[::-1]
    r = run(["merge", parts[0], parts[2], "-o", merged])  # a partial merge is allowed, and said
    assert r.returncode == 0 and r.stderr.startswith(f"pixnorm: note: 2 of the 3 shards of {root} merged\n"), r


@test
def sample_is_deterministic_and_stable():
    root = colour_folder("gen")
    out = os.path.join(WORK, "sample.json")
    for fraction in ("0.3", "0.75"):
        rels = listing(root, float(fraction))
        assert 0 < len(rels) < 24, (fraction, rels)
        doc, text, _ = fit(root, out, "--sample", fraction)
        check_against(doc, reference(root, rels), f"--sample {fraction}")
        _, again, _ = fit(root, out, "--sample", fraction, "--threads", 3)
        assert again == text, "--sample is not deterministic"
    # New files do not change which of the old ones are chosen.
    before = set(listing(root, 0.5))
    for k in range(10):
        put(os.path.join(root, "new", f"n{k}.ppm"), image((4, 4, 3)))
    after = listing(root, 0.5)
    assert before <= set(after) and before != set(after)
    doc, _, _ = fit(root, out, "--sample", "0.5")
    check_against(doc, reference(root, after), "--sample after adding files")


@test
def bad_files_skipped():
    root = colour_folder("badgen", 9)
    good = listing(root)
    doc_good, _, _ = fit(root, os.path.join(WORK, "good.json"))
    with open(os.path.join(DATA, "rocket.jpg"), "rb") as f:
        jpeg = f.read()
    with open(os.path.join(root, "cat", "img_000.png"), "rb") as f:
        png = f.read()
    bad = {"cat/corrupt.jpg": os.urandom(3000), "cat/empty.png": b"", "dog/text.bmp": b"hello, world\n" * 20,
           "dog/truncated.jpg": jpeg[:len(jpeg) // 2], "zz/truncated.png": png[:len(png) // 2],
           "zz/header_only.ppm": b"P6\n100 100\n255\n"}
    for rel, data in bad.items():
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        with open(os.path.join(root, rel), "wb") as f:
            f.write(data)
    out = os.path.join(WORK, "bad.json")
    doc, text, r = fit(root, out, "--threads", 3)
    lines = summary_lines(r.stderr)
    assert len(lines) == len(bad) + 1, r.stderr
    skipped = sorted(bad, key=lambda p: p.encode())
    for line, rel in zip(lines, skipped):  # in list order, whatever the threads did
        assert line.startswith(f"pixnorm: skipped {os.path.join(root, rel)}: "), (line, rel)
    assert f"{len(good)} images, {len(bad)} skipped" in lines[-1], lines[-1]
    assert doc["skipped_count"] == len(bad) and doc["image_count"] == len(good)
    for key in ("mean", "std", "min", "max", "pixel_count", "accumulators"):
        assert doc[key] == doc_good[key], f"{key} differs from the fit of the good files alone"

    # --strict: any bad file fails, writes nothing, and leaves an existing output untouched.
    for existing in (False, True):
        if os.path.exists(out):
            os.remove(out)
        if existing:
            with open(out, "w") as f:
                f.write("precious")
        listing_before = sorted(os.listdir(WORK))
        r = run(["fit", root, "-o", out, "--strict"])
        assert r.returncode == 1 and "--strict" in r.stderr and "cat/corrupt.jpg" in r.stderr, r
        assert sorted(os.listdir(WORK)) == listing_before, "files left behind"
        if existing:
            with open(out) as f:
                assert f.read() == "precious"
    # A failure after a checkpoint keeps it, and says how to continue once the cause is fixed.
    checkpoint = out + ".checkpoint"
    r = run(["fit", root, "-o", out, "--strict"], env={"PIXNORM_FIT_STOP_AFTER": "2"})
    assert r.returncode == 1 and os.path.exists(checkpoint), r
    r = run(["fit", root, "-o", out, "--strict", "--resume"])
    assert r.returncode == 1 and "cat/corrupt.jpg" in r.stderr and f"{checkpoint} keeps the first 2" in r.stderr, r
    for rel in bad:
        os.remove(os.path.join(root, rel))
    _, text, _ = fit(root, out, "--strict", "--resume")
    _, fresh, _ = fit(root, out, "--strict")
    assert text == fresh and not os.path.exists(checkpoint)
    # A folder with nothing decodable fails too.
    empty = os.path.join(WORK, "allbad")
    os.makedirs(empty, exist_ok=True)
    with open(os.path.join(empty, "x.png"), "wb") as f:
        f.write(b"nope")
    r = run(["fit", empty, "-o", os.path.join(WORK, "allbad.json")])
    assert r.returncode == 1 and "no images" in r.stderr and not os.path.exists(os.path.join(WORK, "allbad.json")), r


@test
def resume_after_interruption():
    root = colour_folder("gen")
    out = os.path.join(WORK, "resume.json")
    checkpoint = out + ".checkpoint"
    _, whole, _ = fit(root, os.path.join(WORK, "uninterrupted.json"))
    for stop, threads in ((1, 1), (10, 3), (23, 2)):
        r = run(["fit", root, "-o", out, "--threads", threads], env={"PIXNORM_FIT_STOP_AFTER": str(stop)})
        assert r.returncode == 1 and "--resume" in r.stderr, r
        assert os.path.exists(checkpoint) and not os.path.exists(out), os.listdir(WORK)
        with open(checkpoint) as f:
            assert json.load(f)["done"] == str(stop)
        doc, text, r = fit(root, out, "--resume", "--threads", 2)
        assert text == whole, "the resumed fit differs from an uninterrupted one"
        assert f"resumed after {stop} files" in r.stderr, r.stderr
        assert not os.path.exists(checkpoint), "checkpoint left after success"
        os.remove(out)
    # A checkpoint made with other settings, or for a file list that changed, is refused.
    run(["fit", root, "-o", out], env={"PIXNORM_FIT_STOP_AFTER": "5"})
    for args, word in ((["--resize", "8x8"], "resize"), (["--sample", "0.5"], "sample"), (["--gray"], "colour"),
                       (["--raw-units"], "units"), (["--shard", "0/2"], "shard")):
        r = run(["fit", root, "-o", out, "--resume"] + args)
        assert r.returncode == 1 and word in r.stderr and "checkpoint" in r.stderr, (args, r.stderr)
    put(os.path.join(root, "Bird", "aaa.ppm"), image((3, 3, 3)))  # sorts first among the done files
    r = run(["fit", root, "-o", out, "--resume"])
    assert r.returncode == 1 and "changed" in r.stderr and not os.path.exists(out), r
    with open(checkpoint, "w") as f:
        f.write("{\"format\": \"something else\"}")
    r = run(["fit", root, "-o", out, "--resume"])
    assert r.returncode == 1 and checkpoint in r.stderr, r
    # Without --resume a fit starts over (and says so); --resume without a checkpoint starts at the beginning.
    doc, _, r = fit(root, out)
    assert "starting over" in r.stderr and not os.path.exists(checkpoint), r.stderr
    os.remove(out)
    doc, _, r = fit(root, out, "--resume")
    assert "no checkpoint" in r.stderr and doc["image_count"] == 25, r.stderr


@test
def resize_against_numpy():
    root = os.path.join(WORK, "resize")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    shutil.copy(os.path.join(DATA, "rocket.jpg"), root)
    put(os.path.join(root, "small.ppm"), image((5, 3, 3)))
    put(os.path.join(root, "tall.png"), image((40, 1, 3)))
    put(os.path.join(root, "two.ppm"), np.array([[[0, 255, 7], [255, 0, 9]]], np.uint8))  # 2x1
    out = os.path.join(WORK, "resize.json")
    # 2048 wide from an odd width: weights exactly halfway between two 1/2048 steps, rounded up
    # (the library's resampler rounds these otherwise, which is why fit keeps its own).
    for w, h in ((150, 150), (224, 224), (7, 3), (1, 1), (640, 2), (2048, 3)):
        # One image at a time, so that each one's sums pin down its resized pixels.
        for rel in listing(root):
            single = os.path.join(WORK, "single")
            shutil.rmtree(single, ignore_errors=True)
            os.makedirs(single)
            shutil.copy(os.path.join(root, rel), single)
            x = pixels_of(os.path.join(root, rel))
            fixed, exact = resize_fixed(x, w, h).astype(np.float64), resize_float(x, w, h)
            assert np.abs(fixed - exact).max() <= 1.0, f"{rel} {w}x{h}: more than 1 level from exact bilinear"
            if any(fixed[..., c].min() == fixed[..., c].max() for c in range(3)):  # e.g. 1x1: std 0
                r = run(["fit", single, "-o", out, "--resize", f"{w}x{h}"])
                assert r.returncode == 1 and "std is 0" in r.stderr, r
                continue
            doc, _, _ = fit(single, out, "--resize", f"{w}x{h}", "--raw-units")
            check_against(doc, reference(single, [rel], rescale=1.0, resize=(w, h)), f"{rel} to {w}x{h}")
            acc = doc["accumulators"]
            for c in range(3):
                assert abs(int(acc["sum"][c]) - exact[..., c].sum()) <= w * h
    doc, _, _ = fit(root, out, "--resize", "150x150")
    assert doc["source"]["resize"] == "150x150" and doc["pixel_count"] == 4 * 150 * 150


@test
def merge_refusals():
    root = colour_folder("gen")
    gray = gray_folder("gray")
    a, b = os.path.join(WORK, "ma.json"), os.path.join(WORK, "mb.json")
    fit(root, a, "--shard", "0/2")
    fit(root, b, "--shard", "1/2")
    variants = {"raw.json": [root, "--shard", "1/2", "--raw-units"],
                "resized.json": [root, "--shard", "1/2", "--resize", "8x8"],
                "sampled.json": [root, "--shard", "1/2", "--sample", "0.5"],
                "grayparts.json": [gray]}
    for name, args in variants.items():
        fit(args[0], os.path.join(WORK, name), *args[1:])
    plain = os.path.join(WORK, "plain.json")
    with open(plain, "w") as f:
        json.dump({"format": "pixnorm-stats", "version": 1, "channel_order": "RGB", "rescale": 1 / 255,
                   "mean": [0.5, 0.5, 0.5], "std": [0.2, 0.2, 0.2]}, f)
    edited = os.path.join(WORK, "edited.json")
    with open(b) as f:
        doc = json.load(f)
    doc["mean"][0] += 0.01
    with open(edited, "w") as f:
        json.dump(doc, f)
    # A value nested in more than 32 arrays (the runtime keeps the field as it is): refused, not
    # read recursively without a bound.
    deep = os.path.join(WORK, "deep_source.json")
    with open(b) as f:
        doc = json.load(f)
    nested = []
    for _ in range(40):
        nested = [nested]
    doc["source"]["note"] = nested
    with open(deep, "w") as f:
        json.dump(doc, f)
    shutil.copy(b + ".files", deep + ".files")
    shutil.copy(a, os.path.join(WORK, "copy_of_ma.json"))
    shutil.copy(a + ".files", os.path.join(WORK, "copy_of_ma.json.files"))
    out = os.path.join(WORK, "merge_out.json")
    with open(out, "w") as f:
        f.write("untouched")
    cases = [("raw.json", "units"), ("resized.json", "resize"), ("sampled.json", "sample"),
             ("grayparts.json", "channel order"), ("plain.json", "accumulators"), ("edited.json", "changed"),
             ("ma.json", "twice"), ("copy_of_ma.json", "shares"), ("missing.json", "missing.json"),
             ("deep_source.json", "nested")]
    for name, word in cases:
        r = run(["merge", a, os.path.join(WORK, name), "-o", out])
        assert r.returncode == 1 and name in r.stderr and word in r.stderr, (name, r.stderr)
        assert len(summary_lines(r.stderr)) == 1, r.stderr
        with open(out) as f:
            assert f.read() == "untouched", f"{name}: output changed"
    r = run(["merge", a, b, "-o", out])
    assert r.returncode == 0, r


@test
def stats_show():
    root = photo_folder()
    out = os.path.join(WORK, "show.json")
    doc, _, _ = fit(root, out)
    r = run(["stats", "show", out])
    assert r.returncode == 0, r
    text = r.stdout
    for word in ("pixnorm-stats version 1", "RGB", "1/255", "epsilon", "image_count", "source", "scale", "bias",
                 "extra fields        min, max, pixel_count, image_count, skipped_count, accumulators, files, source"):
        assert word in text, f"stats show lacks {word!r}:\n{text}"
    for c in range(3):
        for key in ("mean", "std"):
            v = doc[key][c]
            assert f"{v:.10g}" in text and f"{v * (1.0 / doc['rescale']):.10g}" in text, (key, v, text)
    scale = [float(v) for v in re.search(r"\n  scale +(.*)\n", text).group(1).split()]
    bias = [float(v) for v in re.search(r"\n  bias +(.*)\n", text).group(1).split()]
    for c in range(3):
        s = doc["rescale"] / doc["std"][c]
        assert abs(scale[c] - s) <= 1e-6 * s and abs(bias[c] + doc["mean"][c] / doc["std"][c]) <= 1e-6, (scale, bias)
    r = run(["stats", "show", os.path.join(WORK, "nope.json")])
    assert r.returncode == 1 and "nope.json" in r.stderr, r


@test
def command_line_errors():
    root = colour_folder("gen")
    out = os.path.join(WORK, "usage.json")
    for args, word in (([root], "-o"), (["-o", out], "folder"), ([root, root, "-o", out], "one folder"),
                       ([root, "-o", out, "--shard", "3/3"], "--shard"), ([root, "-o", out, "--shard", "1"], "--shard"),
                       ([root, "-o", out, "--sample", "0"], "--sample"), ([root, "-o", out, "--sample", "1.5"], "--sample"),
                       ([root, "-o", out, "--resize", "0x5"], "--resize"), ([root, "-o", out, "--resize", "5"], "--resize"),
                       ([root, "-o", out, "--threads", "0"], "--threads"), ([root, "-o", out, "--gray", "--rgb"], "--rgb"),
                       ([root, "-o", out, "--frobnicate"], "--frobnicate"), ([root, "-o", out, "--strict=1"], "--strict")):
        r = run(["fit"] + args)
        assert r.returncode == 2 and word in r.stderr and not os.path.exists(out), (args, r.stderr)
    for args, word in (([os.path.join(WORK, "nope"), "-o", out], "nope"),
                       ([os.path.join(root, "README.txt"), "-o", out], "not a folder"),
                       ([root, "-o", os.path.join(WORK, "no", "dir", "x.json")], "x.json")):
        r = run(["fit"] + args)
        assert r.returncode == 1 and word in r.stderr and not os.path.exists(out), (args, r.stderr)
    r = run(["merge", "-o", out])
    assert r.returncode == 2, r


@test
def progress_on_a_terminal():
    root = colour_folder("gen")
    out = os.path.join(WORK, "tty.json")
    master, slave = pty.openpty()
    proc = subprocess.Popen([PIXNORM, "fit", root, "-o", out], stderr=slave, stdout=subprocess.DEVNULL)
    os.close(slave)
    data = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    assert proc.wait(60) == 0
    os.close(master)
    text = data.decode()
    assert "\r" in text and "24/24" in text and "images" in text, repr(text)
    assert text.rstrip().endswith(f"\x1b[Kpixnorm: wrote {out}: 24 images, 0 skipped" + text.rstrip().split("skipped")[-1])
    assert text.count("pixnorm: wrote") == 1, repr(text)


@test
def memory_stays_flat():
    """Peak RSS (VmHWM) over a fit of 2000 images: what the first third of the run reached, to 2 MiB.
    Read from /proc while it runs: the rusage of a child forked from this Python process would
    count this process's own memory."""
    with open(PIXNORM, "rb") as f:
        if b"__asan_init" in f.read():
            print("  note: AddressSanitizer's quarantine holds freed memory; memory not checked")
            return
    root = os.path.join(WORK, "many")
    os.makedirs(root)
    first = os.path.join(root, "00000.png")  # PNG: slow enough to decode to be watched
    # One row of noise: compressed, 2000 copies take little disk (hard links would be counted
    # once, as one file), and decoding still inflates and unfilters every row.
    x = np.zeros((300, 400, 3), np.uint8)
    x[0] = image((400, 3))
    put(first, x)
    for k in range(1, 2000):
        shutil.copy(first, os.path.join(root, f"{k:05d}.png"))
    proc = subprocess.Popen([PIXNORM, "fit", root, "-o", os.path.join(WORK, "many.json"), "--threads", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = []
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                hwm = re.search(r"VmHWM:\s+(\d+) kB", f.read())
            if hwm:
                samples.append(int(hwm.group(1)))
        except OSError:
            pass
        time.sleep(0.002)
    assert proc.wait() == 0
    if len(samples) < 20:
        print(f"  note: the fit ended after {len(samples)} samples; memory not checked")
        return
    early, peak = samples[len(samples) // 3], samples[-1]
    assert peak <= early + 2048, f"peak RSS grows with the images: {early} KiB after a third, {peak} KiB at the end"
    print(f"  peak RSS {peak} KiB over 2000 images of 400x300 ({early} KiB after the first third, "
          f"{len(samples)} samples)")


# ---------------------------------------------------------------- overlap, links, special files

def summary_of(r):
    lines = [l for l in r.stderr.splitlines() if l.startswith("pixnorm: wrote ")]
    assert len(lines) == 1, r.stderr
    return lines[0]


@test
def merge_refuses_overlapping_parts():
    root = colour_folder("small")
    out = os.path.join(WORK, "overlap_out.json")
    _, whole, _ = fit(root, os.path.join(WORK, "ov_whole.json"))

    def merge(*parts, ok=False):
        r = run(["merge"] + [os.path.join(WORK, p) for p in parts] + ["-o", out])
        if ok:
            assert r.returncode == 0, (parts, r.stderr)
        else:
            assert r.returncode == 1 and "shares" in r.stderr and "count twice" in r.stderr, (parts, r.stderr)
            assert all(os.path.join(WORK, p) in r.stderr for p in parts[-2:]), (parts, r.stderr)
            assert not os.path.exists(out), parts
        return r

    # The same shard under two spellings of the folder (run from WORK: relative paths).
    fit("small", os.path.join(WORK, "ov_a.json"), "--shard", "0/2")
    fit("./small/", os.path.join(WORK, "ov_b.json"), "--shard", "0/2")
    merge("ov_a.json", "ov_b.json")
    # A whole fit with one of its shards; shards of different counts.
    merge("ov_whole.json", "ov_a.json")
    for i in range(3):
        fit(root, os.path.join(WORK, f"ov3_{i}.json"), "--shard", f"{i}/3")
    merge("ov_a.json", "ov3_0.json")
    # A merged file with one of its parts is refused; with the part it lacks, it is the whole.
    merge("ov3_0.json", "ov3_1.json", ok=True)
    os.replace(out, os.path.join(WORK, "ov_01.json"))
    os.replace(out + ".files", os.path.join(WORK, "ov_01.json.files"))
    merge("ov_01.json", "ov3_1.json")
    merge("ov_01.json", "ov3_2.json", ok=True)
    with open(out) as f:
        assert without_source(f.read()) == without_source(whole), "merge of a merge differs from one fit"
    with open(out + ".files", "rb") as f:
        record = f.read()
    assert record[:16] == b"pixnorm-files 1\n" and len(record) == 24 + 8 * 24, len(record)
    os.remove(out)
    os.remove(out + ".files")
    # A link to the folder, or the folder through a link, is the same folder.
    os.symlink(root, os.path.join(WORK, "small_link"))
    fit(os.path.join(WORK, "small_link"), os.path.join(WORK, "ov_c.json"), "--shard", "1/2")
    fit(root, os.path.join(WORK, "ov_d.json"), "--shard", "1/2")
    merge("ov_c.json", "ov_d.json")
    merge("ov_a.json", "ov_c.json", ok=True)
    os.remove(out)
    # Parts without a record (older files) or with a record that is missing or not theirs.
    with open(os.path.join(WORK, "ov_a.json")) as f:
        doc = json.load(f)
    del doc["files"]
    with open(os.path.join(WORK, "ov_old.json"), "w") as f:
        json.dump(doc, f)
    r = run(["merge", os.path.join(WORK, "ov_old.json"), os.path.join(WORK, "ov_c.json"), "-o", out])
    assert r.returncode == 1 and "ov_old.json" in r.stderr and "older pixnorm" in r.stderr, r.stderr
    shutil.copy(os.path.join(WORK, "ov_a.json"), os.path.join(WORK, "ov_norecord.json"))
    r = run(["merge", os.path.join(WORK, "ov_norecord.json"), os.path.join(WORK, "ov_c.json"), "-o", out])
    assert r.returncode == 1 and "ov_norecord.json.files" in r.stderr, r.stderr
    shutil.copy(os.path.join(WORK, "ov_c.json.files"), os.path.join(WORK, "ov_norecord.json.files"))
    r = run(["merge", os.path.join(WORK, "ov_norecord.json"), os.path.join(WORK, "ov_d.json"), "-o", out])
    assert r.returncode == 1 and "does not belong" in r.stderr, r.stderr
    assert not os.path.exists(out)


@test
def edited_checkpoint_refused():
    root = colour_folder("gen")
    out = os.path.join(WORK, "edit.json")
    checkpoint = out + ".checkpoint"
    mark = ',\n"check": "'

    def resumed(edit, resign, words):
        r = run(["fit", root, "-o", out, "--threads", 1], env={"PIXNORM_FIT_STOP_AFTER": "6"})
        assert r.returncode == 1 and os.path.exists(checkpoint), r.stderr
        with open(checkpoint) as f:
            text = f.read()
        body = text[:text.rindex(mark)]
        doc = json.loads(text)
        edit(doc)
        body = body[:body.index('"done"')] + ", ".join(
            f'"{k}": {json.dumps(doc[k])}' for k in ("done", "list_hash", "channels", "images", "skipped",
                                                     "images_16bit", "pixels", "sum", "sum_sq", "min", "max"))
        check = f"{path_hash_bytes(body.encode()):016x}" if resign else doc["check"]
        with open(checkpoint, "w") as f:
            f.write(body + mark + check + '"}\n')
        r = run(["fit", root, "-o", out, "--resume"])
        assert r.returncode == 1 and checkpoint in r.stderr and all(w in r.stderr for w in words), (words, r.stderr)
        assert not os.path.exists(out)

    def sum_up(doc):  # a mean of about 0.75 where it was about 0.5, every 0..255 check still met
        doc["sum"] = [str(int(int(doc["pixels"]) * 191)) for _ in doc["sum"]]
        doc["sum_sq"] = [str(int(int(doc["pixels"]) * 191 * 191 + 10)) for _ in doc["sum"]]
        doc["min"], doc["max"] = [0] * len(doc["sum"]), [255] * len(doc["sum"])

    resumed(sum_up, False, ["changed or damaged"])
    resumed(lambda d: d.update(images="1003"), True, ["inconsistent", "1003 images"])
    resumed(lambda d: d.update(images="7"), True, ["inconsistent", "7 images and 0 skipped files from 6 files"])
    resumed(lambda d: d.update(images="5"), True, ["inconsistent", "5 images and 0 skipped files, but 6 files done"])
    resumed(lambda d: d.update(sum=[str(int(d["pixels"]) * 256)] * 3), True, ["not the sums of any 0..255"])
    resumed(lambda d: d.update(pixels=str(int(d["pixels"]) * 10**9)), True, [])
    # Unedited, it resumes.
    r = run(["fit", root, "-o", out], env={"PIXNORM_FIT_STOP_AFTER": "6"})
    doc, _, r = fit(root, out, "--resume")
    assert "resumed after 6 files" in r.stderr and doc["image_count"] == 24, r.stderr


def path_hash_bytes(data):
    """FNV-1a of bytes, then the splitmix64 finalizer: the CLI's path hash and file key."""
    h = 1469598103934665603
    for b in data:
        h = ((h ^ b) * 1099511628211) & M64
    h ^= h >> 30
    h = (h * 0xbf58476d1ce4e5b9) & M64
    h ^= h >> 27
    h = (h * 0x94d049bb133111eb) & M64
    return h ^ (h >> 31)


@test
def special_files_skipped():
    root = colour_folder("fifo", 6)
    os.mkfifo(os.path.join(root, "cat", "blocked.png"))
    os.mkfifo(os.path.join(root, "zz.jpg"))
    r = run(["fit", root, "-o", os.path.join(WORK, "fifo.json")], timeout=60)  # blocked forever before
    assert r.returncode == 0, r.stderr
    assert "6 images, 0 skipped" in r.stderr and "2 special files (FIFOs, devices or sockets) left out" in r.stderr, r.stderr
    r = run(["fit", root, "-o", os.path.join(WORK, "fifo.json"), "--strict"], timeout=60)
    assert r.returncode == 0, r.stderr


@test
def links_count_each_file_once():
    root = os.path.join(WORK, "links")
    shutil.rmtree(root, ignore_errors=True)
    for k in range(6):
        put(os.path.join(root, "ab"[k % 2], f"i{k}.ppm"), image((5, 4, 3)))
    plain = os.path.join(WORK, "links_plain.json")
    doc_plain, _, _ = fit(root, plain)
    assert doc_plain["image_count"] == 6
    # Folders that link to each other (a loop), a link to a sibling folder, a second link to a
    # file and a hard link: still the same six files.
    os.symlink("../b", os.path.join(root, "a", "to_b"))
    os.symlink("../a", os.path.join(root, "b", "to_a"))
    os.symlink("a", os.path.join(root, "c"))
    os.symlink("a/i0.ppm", os.path.join(root, "again.ppm"))
    os.link(os.path.join(root, "b", "i1.ppm"), os.path.join(root, "hard.ppm"))
    out = os.path.join(WORK, "links.json")
    doc, _, r = fit(root, out)
    assert doc["image_count"] == 6, (doc["image_count"], r.stderr)
    for key in ("mean", "std", "accumulators"):
        assert doc[key] == doc_plain[key], key
    line = summary_of(r)
    assert "2 files reached again through links, counted once" in line, line
    assert "folders reached again through links, walked once" in line, line
    # Each part of a sharded fit takes its files under the same names: the shards add up.
    for i in range(2):
        fit(root, os.path.join(WORK, f"links{i}.json"), "--shard", f"{i}/2")
    r = run(["merge", os.path.join(WORK, "links0.json"), os.path.join(WORK, "links1.json"), "-o", out])
    assert r.returncode == 0, r.stderr
    with open(out) as f:
        assert json.load(f)["accumulators"] == doc_plain["accumulators"]


@test
def unreadable_subfolder_skipped():
    """Root reads any folder whatever its mode, so as root the fit runs as user nobody
    (setpriv), in a folder that user can reach; otherwise as the current user."""
    as_root = os.geteuid() == 0
    prefix = []
    if as_root:
        if not shutil.which("setpriv"):
            print("  note: running as root without setpriv: unreadable folders not checked")
            return
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    base = tempfile.mkdtemp(prefix="pixnorm_fit_unreadable_")
    try:
        os.chmod(base, 0o777)
        for k in range(4):
            put(os.path.join(base, "data", ["ok", "locked", "ok2", "ok"][k], f"i{k}.ppm"), image((3, 3, 3)))
        for dirpath, dirs, files in os.walk(base):
            for d in dirs:
                os.chmod(os.path.join(dirpath, d), 0o755)
            for f in files:
                os.chmod(os.path.join(dirpath, f), 0o644)
        locked = os.path.join(base, "data", "locked")
        os.chmod(locked, 0)
        out = os.path.join(base, "out.json")

        def go(*extra):
            return subprocess.run(prefix + [PIXNORM, "fit", os.path.join(base, "data"), "-o", out] + list(extra),
                                  capture_output=True, text=True, timeout=60)

        probe = subprocess.run(prefix + ["ls", locked], capture_output=True, text=True)
        if probe.returncode == 0:
            print("  note: the locked folder is readable here: unreadable folders not checked")
            return
        r = go()
        assert r.returncode == 0, r.stderr
        assert f"pixnorm: skipped folder {locked}" in r.stderr, r.stderr
        assert "3 images, 0 skipped" in r.stderr and "1 unreadable folder skipped" in r.stderr, r.stderr
        os.remove(out)
        os.remove(out + ".files")
        r = go("--strict")
        assert r.returncode == 1 and locked in r.stderr and "--strict" in r.stderr, r.stderr
        assert not os.path.exists(out)
    finally:
        for dirpath, dirs, _ in os.walk(base):
            for d in dirs:
                os.chmod(os.path.join(dirpath, d), 0o755)
        os.chmod(os.path.join(base, "data", "locked"), 0o755)
        shutil.rmtree(base)


@test
def outputs_checked_up_front():
    root = colour_folder("gen")
    out = os.path.join(WORK, "upfront.json")
    for suffix, word in ((".checkpoint", "checkpoint"), (".files", "file record")):
        os.makedirs(out + suffix)
        r = run(["fit", root, "-o", out])
        assert r.returncode == 1 and out + suffix in r.stderr and "is a folder" in r.stderr and word in r.stderr, r.stderr
        assert not os.path.exists(out) and "skipped" not in r.stderr
        os.rmdir(out + suffix)
    _, text, _ = fit(root, out)
    os.remove(out)
    os.remove(out + ".files")
    # A FIFO (or a device) is a stream: written directly, never replaced by a regular file, with no
    # file record and no checkpoint beside it, and the same statistics as a file gets.
    os.mkfifo(out)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(out).read()), daemon=True)
    reader.start()
    r = run(["fit", root, "-o", out], timeout=60)
    reader.join(30)
    assert r.returncode == 0 and stat.S_ISFIFO(os.stat(out).st_mode), r.stderr
    assert got == [text] and not os.path.exists(out + ".files") and not os.path.exists(out + ".checkpoint")
    r = run(["fit", root, "-o", out, "--resume"], timeout=60)
    assert r.returncode == 2 and "stream" in r.stderr and "--resume" in r.stderr, r.stderr
    os.remove(out)
    r = run(["fit", root, "-o", "-"])
    assert r.returncode == 0 and r.stdout == text and not os.path.exists("-.files"), r.stderr


@test
def sixteen_bit_counted():
    root = os.path.join(WORK, "deep")
    shutil.rmtree(root, ignore_errors=True)
    x8 = [image((5, 7, 3)), image((4, 3, 1)).repeat(3, axis=2), image((6, 2, 3))]
    # v * 257 reduces to v whether the reduction keeps the high byte or rounds v * 255 / 65535.
    write_png(os.path.join(WORK, "tmp16.png"), x8[0].astype(np.uint16) * 257, depth=16)
    os.makedirs(root)
    shutil.move(os.path.join(WORK, "tmp16.png"), os.path.join(root, "a16.png"))
    with open(os.path.join(root, "b16.ppm"), "wb") as f:
        f.write(b"P6\n3 4\n65535\n" + (x8[1].astype(">u2") * 257).tobytes())
    put(os.path.join(root, "c8.ppm"), x8[2])
    ref_root = os.path.join(WORK, "deep8")
    shutil.rmtree(ref_root, ignore_errors=True)
    for name, x in zip(("a16.png", "b16.ppm", "c8.ppm"), x8):
        put(os.path.join(ref_root, name), x)
    doc8, _, _ = fit(ref_root, os.path.join(WORK, "deep8.json"))
    doc, _, r = fit(root, os.path.join(WORK, "deep.json"))
    assert "2 16-bit images reduced to 8 bits" in summary_of(r), r.stderr
    assert doc["accumulators"] == doc8["accumulators"], (doc["accumulators"], doc8["accumulators"])
    assert "16-bit" not in r.stderr.replace(summary_of(r), "") and "16-bit" not in summary_of(
        fit(ref_root, os.path.join(WORK, "deep8.json"))[2])
    assert "16-bit" in run(["fit", "--help"]).stdout
    # Resumed, the count covers the files done before the interruption too.
    out = os.path.join(WORK, "deep_resumed.json")
    run(["fit", root, "-o", out], env={"PIXNORM_FIT_STOP_AFTER": "2"})
    _, _, r = fit(root, out, "--resume")
    assert "2 16-bit images reduced to 8 bits" in summary_of(r), r.stderr


@test
def quiet():
    root = colour_folder("gen")
    out = os.path.join(WORK, "quiet.json")
    with open(out + ".checkpoint", "w") as f:
        f.write("left over")  # "starting over" is a note: quiet too
    doc, _, r = fit(root, out, "-q")
    assert r.stderr == "" and r.stdout == "" and doc["image_count"] == 24, r.stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen([PIXNORM, "fit", root, "-o", out, "--quiet"], stderr=slave, stdout=subprocess.DEVNULL)
    os.close(slave)
    assert proc.wait(60) == 0 and read_all(master) == b""
    with open(os.path.join(root, "cat", "broken.png"), "wb") as f:
        f.write(b"not a png")
    r = run(["fit", root, "-o", out, "-q"])  # a skipped file is still said
    assert r.returncode == 0 and r.stderr.startswith("pixnorm: skipped ") and len(r.stderr.splitlines()) == 1, r.stderr
    r = run(["fit", os.path.join(WORK, "nope"), "-o", out, "-q"])  # so are errors
    assert r.returncode == 1 and "nope" in r.stderr, r
    os.remove(os.path.join(root, "cat", "broken.png"))
    # check -q: only the warnings.
    img = os.path.join(DATA, "astronaut.png")
    r = run(["check", "--stats", out, img, "-q"])
    assert r.returncode in (0, 3) and all(l.startswith("warning: ") for l in r.stdout.splitlines()), r
    full = run(["check", "--stats", out, img])
    assert full.returncode == r.returncode and "result:" in full.stdout and "result:" not in r.stdout, (full, r)
    assert [l for l in full.stdout.splitlines() if l.startswith("warning: ")] == r.stdout.splitlines()
    r = run(["check", "--stats", os.path.join(WORK, "nope.json"), img, "-q"])
    assert r.returncode == 1 and "nope.json" in r.stderr, r


def read_all(fd):
    data = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    os.close(fd)
    return data


@test
def progress_fits_a_narrow_terminal():
    import fcntl
    import struct
    import termios
    root = colour_folder("gen")
    with open(os.path.join(root, "cat", "broken.png"), "wb") as f:
        f.write(b"not a png")  # ", 1 skipped" makes the line longer
    out = os.path.join(WORK, "narrow.json")
    # The terminal's own width; then $COLUMNS where the terminal has none (a new pty says 0).
    for cols, env in ((40, {}), (60, {}), (0, {"COLUMNS": "30"})):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
        full_env = dict(os.environ, **env)
        proc = subprocess.Popen([PIXNORM, "fit", root, "-o", out, "--threads", "1"], stderr=slave,
                                stdout=subprocess.DEVNULL, env=full_env)
        os.close(slave)
        text = read_all(master).decode()
        assert proc.wait(60) == 0
        width = cols or int(env["COLUMNS"])
        drawn = [seg.replace("\x1b[K", "") for seg in text.split("\r")]
        bars = [seg for seg in drawn if "images" in seg and "pixnorm:" not in seg]
        assert any("25/25" in seg for seg in bars), repr(text)
        for seg in bars:
            assert len(seg) <= width - 1, f"{len(seg)} columns in a {width}-column terminal: {seg!r}"
    os.remove(os.path.join(root, "cat", "broken.png"))


@test
def interrupt_saves_and_says_how_to_resume():
    root = colour_folder("gen")
    out = os.path.join(WORK, "sigint.json")
    checkpoint = out + ".checkpoint"
    _, whole, _ = fit(root, os.path.join(WORK, "sigint_whole.json"))
    for threads in (1, 3):
        env = dict(os.environ, PIXNORM_FIT_PAUSE_AFTER="7")
        proc = subprocess.Popen([PIXNORM, "fit", "gen", "-o", "sigint.json", "--threads", str(threads)], cwd=WORK,
                                stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, text=True)
        line = proc.stderr.readline()
        assert "paused after 7 files" in line, line
        proc.send_signal(signal.SIGINT)
        rest = proc.stderr.read()
        assert proc.wait(60) == 128 + signal.SIGINT, (proc.returncode, rest)
        assert f"interrupted after 7 files, saved in sigint.json.checkpoint; continue with:" in rest, rest
        command = rest.strip().splitlines()[-1].strip()
        assert command == f"pixnorm fit --resume gen -o sigint.json --threads {threads}", command
        with open(checkpoint) as f:
            assert json.load(f)["done"] == "7"
        assert not os.path.exists(out)
        argv = shlex.split(command)
        r = subprocess.run([PIXNORM] + argv[1:], cwd=WORK, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and "resumed after 7 files" in r.stderr, r.stderr
        with open(out) as f:
            assert without_source(f.read()) == without_source(whole), "the resumed fit differs from one uninterrupted"
        assert not os.path.exists(checkpoint)
        os.remove(out)


def main():
    return cli_harness.main(globals(), TESTS, "pixnorm_fit_")


if __name__ == "__main__":
    sys.exit(main())
