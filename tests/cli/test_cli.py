#!/usr/bin/python3
"""End-to-end tests of the pixnorm command-line tool.

    test_cli.py PIXNORM DATA_DIR

Runs the built binary on the sample images (DATA_DIR = examples/data) and on images and raw
files written here, and checks every output tensor against an independent float64 numpy
computation of the formulas of pixnorm.h. PNG, PPM/PGM, BMP, TGA and GIF pixels come from this
file's own readers and writers; JPEG pixels from the CLI itself (--mode rescale, which must give
integers), as no JPEG decoder is at hand. Failures must exit non-zero with one message naming the
file at fault, and leave no output (and a pre-existing output file byte-identical).

Tolerance: for an output (y - m) / d, |out - ref| <= TOL * (|y| + |m|) / |d|, the size of the
terms it is computed from, since the library folds everything into a float32 scale and bias and
computes x * scale + bias in float32: about three float32 roundings, 3 * 2^-24 = 1.8e-7 of the
terms, which TOL = 1e-6 bounds with margin. The largest ratio seen is printed at the end.
"""
import ast
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib

import cli_harness

try:
    import numpy as np
except ImportError:
    sys.exit("test_cli.py: numpy is missing: run .ci/install-deps --test (python3-numpy)")

TOL = 1e-6
MODES_FIXED = ("standardize", "center", "rescale")
MODES_PER_IMAGE = ("sample-center", "sample-standardize", "per-image-standardization", "minmax")

# The presets as the frameworks define them (Keras imagenet_utils modes torch, tf and caffe),
# written out here rather than read from the library so that the test checks them.
PRESETS = {
    "imagenet": dict(channel_order="RGB", rescale=1 / 255, mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    "tf": dict(channel_order="RGB", rescale=1 / 127.5, mean=[1.0], std=[1.0]),
    "caffe": dict(channel_order="BGR", rescale=1.0, mean=[103.939, 116.779, 123.68], std=None),
    "unit": dict(channel_order="RGB", rescale=1 / 255, mean=[0.0], std=[1.0]),
}

PIXNORM = DATA = WORK = None
worst_ratio = 0.0


# ---------------------------------------------------------------- running the CLI

def run(args, env=None, cwd=None):
    full_env = dict(os.environ)  # PIXNORM_FORCE_SCALAR=1 from CI reruns everything on scalar
    full_env.update(env or {})
    return subprocess.run([PIXNORM] + [str(a) for a in args], capture_output=True, text=True, env=full_env,
                          cwd=cwd or WORK, timeout=120)


def apply(args, out=None, env=None):
    """Runs `pixnorm apply ARGS -o OUT` and returns the tensor, checked as an NPY file."""
    out = out or os.path.join(WORK, "out.npy")
    r = run(["apply"] + list(args) + ["-o", out], env=env)
    assert r.returncode == 0, f"pixnorm apply {args}: exit {r.returncode}: {r.stderr}"
    return load_npy(out)


def load_npy(path):
    """Reads an NPY file, checking the header byte by byte against format 1.0."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:6] == b"\x93NUMPY", "bad magic"
    assert data[6:8] == b"\x01\x00", f"version {data[6]}.{data[7]}, expected 1.0"
    hlen = struct.unpack("<H", data[8:10])[0]
    assert (10 + hlen) % 64 == 0, f"header of {10 + hlen} bytes is not 64-byte aligned"
    text = data[10:10 + hlen].decode("latin1")
    assert text.endswith("\n"), "header does not end with a newline"
    header = ast.literal_eval(text)
    assert set(header) == {"descr", "fortran_order", "shape"}, header
    assert header["descr"] == "<f4" and header["fortran_order"] is False, header
    shape = header["shape"]
    assert isinstance(shape, tuple) and len(shape) == 4, shape
    count = int(np.prod(shape))
    assert len(data) == 10 + hlen + 4 * count, f"{len(data)} bytes for shape {shape}"
    array = np.frombuffer(data, dtype="<f4", offset=10 + hlen).reshape(shape)
    assert np.array_equal(np.load(path), array)
    return array


def to_hwc(tensor, layout, index=0):
    image = tensor[index]
    return image.transpose(1, 2, 0) if layout == "nchw" else image


# ---------------------------------------------------------------- the reference computation

def stats_args(stats):
    """Command-line arguments for a preset name or a statistics dict (written to a file)."""
    if stats is None:
        return []
    if isinstance(stats, str):
        return ["--preset", stats]
    path = os.path.join(WORK, f"stats_{abs(hash(json.dumps(stats, sort_keys=True)))}.json")
    write_stats(path, stats)
    return ["--stats", path]


def write_stats(path, stats):
    doc = {"format": "pixnorm-stats", "version": 1, "channel_order": stats["channel_order"],
           "rescale": stats["rescale"], "mean": stats["mean"]}
    if stats.get("std") is not None:
        doc["std"] = stats["std"]
    if "epsilon" in stats:
        doc["epsilon"] = stats["epsilon"]
    with open(path, "w") as f:
        json.dump(doc, f)


def reference(x, in_order, stats, mode, per_channel=False, epsilon=None):
    """The formulas of pixnorm.h in float64. x: (H, W, C) uint8 without alpha, channels in
    `in_order`. Returns (ref, mag): the expected output (H, W, C) in the output channel order
    and the size of the terms it is the difference of, for the tolerance."""
    if isinstance(stats, str):
        stats = PRESETS[stats]
    x = x.astype(np.float64)
    out_order = stats["channel_order"] if stats else in_order
    if out_order != in_order:
        x = x[..., ::-1]  # RGB <-> BGR
    r = stats["rescale"] if stats else 1.0
    y = x * r
    channels = x.shape[2]
    if mode in MODES_FIXED:
        mean = np.broadcast_to(np.array(stats["mean"] if stats else [0.0], np.float64), (channels,))
        std = np.broadcast_to(np.array(stats["std"] if stats and stats.get("std") else [1.0], np.float64), (channels,))
        eps = epsilon if epsilon is not None else (stats.get("epsilon", 0.0) if stats else 0.0)
        if mode == "rescale":
            mean, d = np.zeros(channels), np.ones(channels)
        elif mode == "center":
            d = np.ones(channels)
        else:
            d = std + eps
        return (y - mean) / d, (np.abs(y) + np.abs(mean)) / d
    axes = (0, 1) if per_channel else (0, 1, 2)
    n = x.shape[0] * x.shape[1] * (1 if per_channel else channels)
    m = y.mean(axis=axes, keepdims=True)
    s = y.std(axis=axes, keepdims=True)
    if mode == "sample-center":
        return y - m, np.abs(y) + np.abs(m)
    if mode == "minmax":
        lo, hi = x.min(axis=axes, keepdims=True), x.max(axis=axes, keepdims=True)
        span = np.where(hi > lo, hi - lo, 1.0)
        return np.where(hi > lo, (x - lo) / span, 0.0), np.where(hi > lo, (x + lo) / span, 0.0)
    if mode == "sample-standardize":
        d = s + (1e-6 if epsilon is None else epsilon)
    else:  # per-image-standardization
        d = np.maximum(s, 1.0 / np.sqrt(n))
    safe = np.where(d > 0, d, 1.0)
    return np.where(d > 0, (y - m) / safe, 0.0), np.where(d > 0, (np.abs(y) + np.abs(m)) / safe, 0.0)


def check_close(out_hwc, ref, mag, what):
    global worst_ratio
    assert out_hwc.shape == ref.shape, f"{what}: shape {out_hwc.shape}, expected {ref.shape}"
    assert np.all(np.isfinite(out_hwc)), f"{what}: non-finite output"
    err = np.abs(out_hwc.astype(np.float64) - ref)
    bad = err > TOL * mag
    if bad.any():
        i = np.unravel_index(np.argmax(err - TOL * mag), err.shape)
        raise AssertionError(f"{what}: {int(bad.sum())} values off, e.g. at {i}: got {out_hwc[i]!r}, "
                             f"expected {ref[i]!r} (allowed {TOL * mag[i]:.3g})")
    nz = mag > 0
    if nz.any():
        worst_ratio = max(worst_ratio, float((err[nz] / mag[nz]).max()))


def check_apply(image, stats, mode, layout="nchw", per_channel=False, epsilon=None):
    """Runs the CLI on one sample and compares it with the reference."""
    x, order, args = image["pixels"], image["order"], list(image["args"])
    cli = args + stats_args(stats) + ["--mode", mode, "--layout", layout]
    if per_channel:
        cli.append("--per-channel")
    if epsilon is not None:
        cli += ["--epsilon", repr(epsilon)]
    tensor = apply(cli)
    h, w = x.shape[:2]
    c = 1 if order == "GRAY" else 3
    expected_shape = (1, c, h, w) if layout == "nchw" else (1, h, w, c)
    assert tensor.shape == expected_shape, f"{cli}: shape {tensor.shape}, expected {expected_shape}"
    ref, mag = reference(x, order, stats, mode, per_channel, epsilon)
    check_close(to_hwc(tensor, layout), ref, mag, " ".join(map(str, cli)))
    return tensor


# ---------------------------------------------------------------- image files

def read_png(path):
    """A small PNG decoder (8/16-bit, non-interlaced, every colour type): pixels (H, W, C)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, palette = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    assert interlace == 0 and depth in (8, 16)
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    bpp = channels * depth // 8
    stride = w * bpp
    raw = zlib.decompress(idat)
    rows, prev = [], [0] * stride
    for y in range(h):
        ftype = raw[y * (stride + 1)]
        line = list(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    pixels = np.array(rows, np.uint8)
    if depth == 16:
        pixels = pixels.reshape(h, w * channels, 2)
        pixels = (pixels[..., 0].astype(np.uint16) << 8 | pixels[..., 1]).reshape(h, w, channels)
    else:
        pixels = pixels.reshape(h, w, channels)
    if ctype == 3:
        pixels = palette[pixels[..., 0]]
    return pixels


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_png(path, pixels, depth=8, palette=None):
    """pixels (H, W, C) uint8/uint16, C = 1, 2, 3, 4; with `palette`, (H, W) indices."""
    if palette is not None:
        h, w = pixels.shape
        ctype, body = 3, pixels.astype(">u1")
    else:
        h, w, c = pixels.shape
        ctype = {1: 0, 2: 4, 3: 2, 4: 6}[c]
        body = pixels.astype(">u2" if depth == 16 else ">u1").reshape(h, -1)
    raw = b"".join(b"\0" + body[y].tobytes() for y in range(h))
    png = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0))
    if palette is not None:
        png += png_chunk(b"PLTE", palette.astype(np.uint8).tobytes())
    png += png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def write_pnm(path, pixels):
    h, w, c = pixels.shape
    with open(path, "wb") as f:
        f.write(b"P5" if c == 1 else b"P6")
        f.write(f"\n{w} {h}\n255\n".encode() + pixels.astype(np.uint8).tobytes())


def write_bmp(path, pixels):
    """24-bit, bottom-up, rows padded to 4 bytes."""
    h, w, _ = pixels.shape
    row = w * 3
    pad = (4 - row % 4) % 4
    body = b"".join(pixels[y, :, ::-1].tobytes() + b"\0" * pad for y in range(h - 1, -1, -1))
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(body), 2835, 2835, 0, 0)
    with open(path, "wb") as f:
        f.write(b"BM" + struct.pack("<IHHI", 14 + 40 + len(body), 0, 0, 54) + info + body)


def write_tga(path, pixels):
    """Uncompressed true colour, 24 or 32 bits, bottom-up (the TGA default)."""
    h, w, c = pixels.shape
    header = struct.pack("<BBBHHBHHHHBB", 0, 0, 2, 0, 0, 0, 0, 0, w, h, 8 * c, 8 if c == 4 else 0)
    order = [2, 1, 0, 3][:c]
    body = b"".join(pixels[y][:, order].tobytes() for y in range(h - 1, -1, -1))
    with open(path, "wb") as f:
        f.write(header + body)


def write_gif(path, indices, palette):
    """256-colour GIF with LZW codes kept at 9 bits by a clear code every 250 pixels."""
    h, w = indices.shape
    codes, flat = [], indices.reshape(-1).tolist()
    for i in range(0, len(flat), 250):
        codes.append(256)
        codes += flat[i:i + 250]
    codes.append(257)
    bits = 0
    for k, code in enumerate(codes):
        bits |= code << (9 * k)
    data = bits.to_bytes((9 * len(codes) + 7) // 8, "little")
    blocks = b"".join(bytes([len(data[i:i + 255])]) + data[i:i + 255] for i in range(0, len(data), 255))
    gif = (b"GIF89a" + struct.pack("<HHBBB", w, h, 0xF7, 0, 0) + palette.astype(np.uint8).tobytes() +
           b"," + struct.pack("<HHHHB", 0, 0, w, h, 0) + b"\x08" + blocks + b"\x00;")
    with open(path, "wb") as f:
        f.write(gif)


_samples = {}


def sample(name):
    """A sample of DATA_DIR with its pixels (alpha dropped, gray+alpha to gray)."""
    if name in _samples:
        return _samples[name]
    path = os.path.join(DATA, name)
    if name.endswith(".png"):
        pixels = read_png(path)
    else:  # JPEG: the decoded pixels as the CLI sees them, which rescale gives back exactly
        t = apply([path, "--mode", "rescale", "--layout", "nhwc"])[0]
        assert np.array_equal(t, np.round(t)) and t.min() >= 0 and t.max() <= 255, f"{name}: rescale not integral"
        pixels = t.astype(np.uint8)
    if pixels.shape[2] in (2, 4):
        pixels = pixels[..., :-1]
    _samples[name] = {"name": name, "pixels": pixels, "order": "GRAY" if pixels.shape[2] == 1 else "RGB",
                      "args": [path]}
    return _samples[name]


def raw_image(name, pixels, fmt, order):
    path = os.path.join(WORK, name)
    with open(path, "wb") as f:
        f.write(np.ascontiguousarray(pixels, np.uint8).tobytes())
    h, w = pixels.shape[:2]
    x = pixels if pixels.shape[2] in (1, 3) else pixels[..., :3]
    return {"name": name, "pixels": x, "order": order, "args": ["--raw", f"{w}x{h}:{fmt}", path]}


# ---------------------------------------------------------------- failures

def snapshot(directory):
    return sorted(os.listdir(directory))


def expect_failure(args, code, names, what):
    """Runs `pixnorm COMMAND -o OUT ARGS...` twice: without OUT (which must not appear) and with an
    existing OUT (which must stay byte-identical). Each run must exit with `code`, print one
    line on stderr naming each of `names`, and leave no temporary file behind."""
    outdir = os.path.join(WORK, "failures")
    os.makedirs(outdir, exist_ok=True)
    out = os.path.join(outdir, "out.npy")
    for existing in (False, True):
        if os.path.exists(out):
            os.remove(out)
        before = b""
        if existing:
            before = os.urandom(1000)
            with open(out, "wb") as f:
                f.write(before)
        listing = snapshot(outdir)
        r = run([args[0], "-o", out] + list(args[1:]))  # -o first: the last option may lack its value
        label = f"{what} ({'existing' if existing else 'no'} output): pixnorm {' '.join(map(str, args))}"
        assert r.returncode == code, f"{label}: exit {r.returncode}, expected {code}; stderr: {r.stderr!r}"
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("pixnorm: "), f"{label}: stderr {r.stderr!r}"
        for name in names:
            assert str(name) in lines[0], f"{label}: message does not name {name!r}: {lines[0]!r}"
        assert r.stdout == "", f"{label}: stdout {r.stdout!r}"
        assert snapshot(outdir) == listing, f"{label}: files left: {snapshot(outdir)} (was {listing})"
        if existing:
            with open(out, "rb") as f:
                assert f.read() == before, f"{label}: the existing output changed"
    return lines[0]


# ---------------------------------------------------------------- tests

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def help_version_info():
    r = run(["--help"])
    assert r.returncode == 0 and "pixnorm apply" in r.stdout and "pixnorm info" in r.stdout, r
    r = run(["apply", "--help"])
    assert r.returncode == 0, r
    for word in ("--stats", "--preset", "--mode", "--layout", "--backend", "--per-channel", "--epsilon", "--raw",
                 "-o", "--quiet", "default", "Example") + MODES_FIXED + MODES_PER_IMAGE + tuple(PRESETS):
        assert word in r.stdout, f"apply --help does not mention {word}"
    r = run(["--version"])
    assert r.returncode == 0 and r.stdout.startswith("pixnorm 0."), r
    r = run([])
    assert r.returncode == 2 and "Usage" in r.stderr, r
    r = run(["frobnicate"])
    assert r.returncode == 2 and "frobnicate" in r.stderr, r
    r = run(["info"])
    assert r.returncode == 0 and "scalar" in r.stdout and "default" in r.stdout, r
    r = run(["info"], env={"PIXNORM_FORCE_SCALAR": "1"})
    assert r.returncode == 0 and "PIXNORM_FORCE_SCALAR" in r.stdout, r
    assert "default (--backend auto): scalar" in r.stdout, r.stdout


@test
def summary_line_and_quiet():
    out = os.path.join(WORK, "summary.npy")
    chelsea = os.path.join(DATA, "chelsea.png")
    r = run(["apply", "--preset", "imagenet", chelsea, chelsea, "-o", out])
    assert r.returncode == 0 and r.stdout == "", r
    assert r.stderr.startswith(f"pixnorm: wrote {out}: float32 (2, 3, 224, 224) from 2 images, backend "), r.stderr
    r = run(["apply", "-q", "--preset", "imagenet", chelsea, "--output", out])
    assert r.returncode == 0 and r.stderr == "", r
    r = run(["apply", "--preset=imagenet", "--layout=nhwc", chelsea, f"-o{out}"])
    assert r.returncode == 0, r
    assert load_npy(out).shape == (1, 224, 224, 3)
    # "--" ends the options: a file named like an option.
    shutil.copy(chelsea, os.path.join(WORK, "-odd.png"))
    r = run(["apply", "--preset", "imagenet", "-o", out, "--", "-odd.png"])
    assert r.returncode == 0, r


@test
def fixed_modes_on_every_sample():
    for name in ("astronaut.png", "chelsea.png", "coffee.jpg", "rocket.jpg", "gradient.png", "constant.png",
                 "pixel.png"):
        image = sample(name)
        for preset in PRESETS:
            for mode in MODES_FIXED:
                for layout in ("nchw", "nhwc"):
                    check_apply(image, preset, mode, layout)


@test
def per_image_modes_on_every_sample():
    gray_stats = dict(channel_order="GRAY", rescale=1 / 255, mean=[0.5], std=[0.25])
    for k, name in enumerate(("astronaut.png", "chelsea.png", "coffee.jpg", "rocket.jpg", "camera.png",
                              "gradient.png", "constant.png", "pixel.png")):
        image = sample(name)
        stats = gray_stats if image["order"] == "GRAY" else "imagenet"
        for mode in MODES_PER_IMAGE:
            for per_channel in (False, True):
                for with_stats in (False, True):
                    layout = ("nchw", "nhwc")[(k + per_channel + with_stats) % 2]
                    check_apply(image, stats if with_stats else None, mode, layout, per_channel)


@test
def constant_images_give_zero():
    image = sample("constant.png")
    for mode in MODES_PER_IMAGE:
        for eps in (None, 0.0):
            if eps is not None and mode != "sample-standardize":
                continue
            tensor = check_apply(image, None, mode, per_channel=True, epsilon=eps)
            assert np.all(tensor == 0), f"{mode}: constant image gives {np.unique(tensor)}"


@test
def epsilon():
    chelsea, gradient = sample("chelsea.png"), sample("gradient.png")
    check_apply(chelsea, "imagenet", "standardize", epsilon=0.5)
    check_apply(gradient, None, "sample-standardize", epsilon=0.25)
    check_apply(gradient, None, "sample-standardize", per_channel=True, epsilon=0.0)
    with_eps = dict(channel_order="RGB", rescale=1 / 255, mean=[0.4, 0.5, 0.6], std=[0.2, 0.3, 0.1], epsilon=0.01)
    check_apply(chelsea, with_eps, "standardize")
    check_apply(chelsea, with_eps, "standardize", epsilon=0.0)
    check_apply(chelsea, with_eps, "sample-standardize")  # 1e-6 there, not the file's 0.01


@test
def statistics_files():
    camera, chelsea = sample("camera.png"), sample("chelsea.png")
    gray = dict(channel_order="GRAY", rescale=1 / 255, mean=[0.45], std=[0.27], epsilon=0.001)
    for mode in MODES_FIXED:
        check_apply(camera, gray, mode)
    bgr = dict(channel_order="BGR", rescale=0.5, mean=[10.0, 20.0, 30.0], std=[40.0, 50.0, 60.0])
    rgb1 = dict(channel_order="RGB", rescale=2.0, mean=[100.0], std=[3.0])
    no_std = dict(channel_order="RGB", rescale=1.0, mean=[1.0, 2.0, 3.0])
    for stats in (bgr, rgb1, no_std):
        for mode in MODES_FIXED:
            check_apply(chelsea, stats, mode, layout="nhwc")


@test
def batches():
    names = ("astronaut.png", "chelsea.png", "coffee.jpg")
    paths = [os.path.join(DATA, n) for n in names]
    for layout in ("nchw", "nhwc"):
        batch = apply(["--preset", "imagenet", "--layout", layout] + paths)
        assert batch.shape[0] == 3
        for i, path in enumerate(paths):
            single = apply(["--preset", "imagenet", "--layout", layout, path])
            assert np.array_equal(batch[i], single[0]), f"{names[i]}: batch slice differs from a single run"
    # RGB and RGBA inputs in one tensor: one plan per format, the same output channels.
    rgb = os.path.join(WORK, "rgb1x1.png")
    write_png(rgb, np.array([[[12, 34, 56]]], np.uint8))
    pixel = os.path.join(DATA, "pixel.png")
    batch = apply(["--preset", "caffe", pixel, rgb, pixel])
    assert np.array_equal(batch[0], batch[1]) and np.array_equal(batch[1], batch[2]), batch
    ref, mag = reference(np.array([[[12, 34, 56]]], np.uint8), "RGB", "caffe", "standardize")
    check_close(to_hwc(batch, "nchw", 1), ref, mag, "caffe on a 1x1 RGB/RGBA batch")


@test
def raw_formats():
    chelsea = sample("chelsea.png")
    rgb = chelsea["pixels"]
    alpha = np.random.default_rng(1).integers(0, 256, rgb.shape[:2] + (1,), dtype=np.uint8)
    raws = [raw_image("c.rgb8", rgb, "rgb8", "RGB"),
            raw_image("c.bgr8", rgb[..., ::-1], "bgr8", "BGR"),
            raw_image("c.rgba8", np.concatenate([rgb, alpha], 2), "rgba8", "RGB"),
            raw_image("c.bgra8", np.concatenate([rgb[..., ::-1], alpha], 2), "bgra8", "BGR")]
    committed = {"name": "chelsea_224x224.bgr", "pixels": rgb[..., ::-1], "order": "BGR",
                 "args": ["--raw", "224x224:bgr8", os.path.join(DATA, "chelsea_224x224.bgr")]}
    for preset in PRESETS:
        for layout in ("nchw", "nhwc"):
            png = check_apply(chelsea, preset, "standardize", layout)
            for raw in raws + [committed]:
                out = check_apply(raw, preset, "standardize", layout)
                assert np.array_equal(out, png), f"{raw['name']} with {preset}: differs from chelsea.png"
    camera = sample("camera.png")
    gray_raw = raw_image("camera.gray8", camera["pixels"], "gray8", "GRAY")
    gray = dict(channel_order="GRAY", rescale=1 / 255, mean=[0.5], std=[0.2])
    assert np.array_equal(check_apply(gray_raw, gray, "standardize"), check_apply(camera, gray, "standardize"))
    # Odd sizes, so that SIMD loops run their tails; several raw files in one batch.
    rng = np.random.default_rng(2)
    for w, h in ((1, 1), (13, 7), (67, 3)):
        for fmt, c, order in (("gray8", 1, "GRAY"), ("rgb8", 3, "RGB"), ("bgr8", 3, "BGR"), ("rgba8", 4, "RGB"),
                              ("bgra8", 4, "BGR")):
            image = raw_image(f"odd_{w}x{h}.{fmt}", rng.integers(0, 256, (h, w, c), dtype=np.uint8), fmt, order)
            stats = gray if order == "GRAY" else "imagenet"
            for mode in ("standardize", "per-image-standardization", "minmax"):
                for layout in ("nchw", "nhwc"):
                    check_apply(image, stats, mode, layout)
            batch = apply(image["args"] + [image["args"][-1]] + stats_args(stats))
            assert batch.shape[0] == 2 and np.array_equal(batch[0], batch[1])


@test
def bgr_input_with_rgb_statistics_equals_rgb_input():
    chelsea = sample("chelsea.png")
    bgr = raw_image("chelsea.bgr8", chelsea["pixels"][..., ::-1], "bgr8", "BGR")
    for stats in ("imagenet", "tf", "unit", dict(channel_order="RGB", rescale=1.0, mean=[1.0, 2.0, 3.0])):
        for mode in MODES_FIXED + MODES_PER_IMAGE:
            a = apply(chelsea["args"] + stats_args(stats) + ["--mode", mode])
            b = apply(bgr["args"] + stats_args(stats) + ["--mode", mode])
            assert np.array_equal(a, b), f"{stats} {mode}: BGR input differs from RGB input"
    # Without statistics the output keeps the input's order.
    a = apply(chelsea["args"] + ["--mode", "minmax"])
    b = apply(bgr["args"] + ["--mode", "minmax"])
    assert np.array_equal(a, b[:, ::-1]), "minmax without statistics: BGR output is not RGB reversed"


@test
def image_formats():
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (7, 13, 3), dtype=np.uint8)
    gray = rng.integers(0, 256, (7, 13, 1), dtype=np.uint8)
    rgba = rng.integers(0, 256, (7, 13, 4), dtype=np.uint8)
    cases = []  # (file, expected pixels seen by the library)

    def add(name, writer, pixels, *extra, expected=None):
        path = os.path.join(WORK, name)
        writer(path, pixels, *extra)
        cases.append((path, pixels if expected is None else expected))

    add("f.ppm", write_pnm, rgb)
    add("f.pgm", write_pnm, gray)
    add("f.bmp", write_bmp, rgb)
    add("f.tga", write_tga, rgb)
    add("f32.tga", write_tga, rgba, expected=rgba[..., :3])
    add("f.png", write_png, rgb)
    add("f_gray.png", write_png, gray)
    add("f_gray_alpha.png", write_png, np.concatenate([gray, rgba[..., :1]], 2), expected=gray)
    add("f_rgba.png", write_png, rgba, expected=rgba[..., :3])
    wide = (rgb.astype(np.uint16) << 8) | rng.integers(0, 256, rgb.shape, dtype=np.uint16)
    add("f16.png", write_png, wide, 16, expected=(wide >> 8).astype(np.uint8))
    palette = rng.integers(0, 256, (256, 3), dtype=np.uint8)
    indices = rng.integers(0, 256, (7, 13), dtype=np.uint8)
    add("f_palette.png", lambda p, i: write_png(p, i, palette=palette), indices, expected=palette[indices])
    add("f.gif", lambda p, i: write_gif(p, i, palette), indices, expected=palette[indices])
    for path, expected in cases:
        t = apply([path, "--mode", "rescale", "--layout", "nhwc"])
        assert t.shape == (1,) + expected.shape, f"{path}: shape {t.shape}, expected {(1,) + expected.shape}"
        assert np.array_equal(t[0], expected.astype(np.float32)), f"{path}: decoded pixels differ"
    # The committed samples' own sizes and channels.
    for name, shape in (("astronaut.png", (224, 224, 3)), ("chelsea.png", (224, 224, 3)), ("coffee.jpg", (224, 224, 3)),
                        ("rocket.jpg", (427, 640, 3)), ("camera.png", (256, 256, 1)), ("pixel.png", (1, 1, 3))):
        t = apply([os.path.join(DATA, name), "--mode", "rescale", "--layout", "nhwc"])
        assert t.shape == (1,) + shape, f"{name}: {t.shape}"


@test
def backends_agree():
    chelsea = os.path.join(DATA, "chelsea.png")
    cases = (["--preset", "imagenet"], ["--mode", "per-image-standardization", "--per-channel"])
    info = run(["info"]).stdout
    for args in cases:
        reference_out = apply([chelsea, "--backend", "scalar"] + args)
        forced = os.path.join(WORK, "forced.npy")
        r = run(["apply", chelsea, "-o", forced] + args, env={"PIXNORM_FORCE_SCALAR": "1"})
        assert r.returncode == 0 and "backend scalar" in r.stderr, r.stderr
        assert np.array_equal(load_npy(forced), reference_out)
        for backend in ("auto", "highway", "xsimd"):
            out = os.path.join(WORK, f"backend_{backend}.npy")
            r = run(["apply", chelsea, "--backend", backend, "-o", out] + args)
            available = any(line.split()[:2] == [backend, "available;"] for line in info.splitlines())
            if backend != "auto" and not available:
                assert r.returncode != 0 and backend in r.stderr and not os.path.exists(out), r
                continue
            assert r.returncode == 0, r.stderr
            assert np.array_equal(load_npy(out), reference_out), f"--backend {backend} {args}: differs from scalar"


@test
def variants_agree():
    """--variant chooses the kernel variant of the CPU target: every variant writes the same bytes
    as the scalar backend. Where the target has two (pixnorm info says so), the summary names the
    one asked for, and --variant wins over PIXNORM_VARIANT; elsewhere any choice runs the one."""
    chelsea = os.path.join(DATA, "chelsea.png")
    astronaut = os.path.join(DATA, "astronaut.png")
    info = run(["info"])
    assert info.returncode == 0 and "variants: " in info.stdout, info
    two = "variants: 256 512" in info.stdout
    r = run(["apply", "--help"])
    assert all(w in r.stdout for w in ("--variant", "auto", "measure", "256", "512", "PIXNORM_VARIANT")), r.stdout
    int8 = ["--dtype", "int8", "--quant-scale", "0.0187", "--quant-zero-point", "-14"]
    cases = {
        "f32 nchw": [chelsea, "--preset", "imagenet"],
        "f32 nhwc": [chelsea, "--preset", "imagenet", "--layout", "nhwc"],
        "int8 nchw": [chelsea, "--preset", "imagenet"] + int8,
        "int8 nhwc": [chelsea, "--preset", "imagenet", "--layout", "nhwc"] + int8,
        "f32 nchw resized": [astronaut, "--preset", "imagenet", "--resize", "160x120"],
    }
    out = os.path.join(WORK, "variant.npy")

    def bytes_of(args, env=None, target=None):
        if os.path.exists(out):
            os.remove(out)
        r = run(["apply"] + args + ["-o", out], env=env)
        assert r.returncode == 0, f"pixnorm apply {args} (env {env}): exit {r.returncode}: {r.stderr}"
        if target:
            assert f"/{target})" in r.stderr, f"pixnorm apply {args} (env {env}): summary {r.stderr!r}"
        with open(out, "rb") as f:
            return f.read()

    for name, args in cases.items():
        reference_out = bytes_of(args + ["--backend", "scalar"])
        for variant in ("256", "512", "measure", "auto"):
            target = variant if two and variant in ("256", "512") else None
            assert bytes_of(args + ["--variant", variant], target=target) == reference_out, \
                f"{name}: --variant {variant} differs from the scalar backend"
        for variant in ("256", "512"):
            target = variant if two else None
            assert bytes_of(args, env={"PIXNORM_VARIANT": variant}, target=target) == reference_out, \
                f"{name}: PIXNORM_VARIANT={variant} differs from the scalar backend"
        wide_env = {"PIXNORM_VARIANT": "512"}
        assert bytes_of(args + ["--variant", "256"], env=wide_env, target="256" if two else None) == reference_out

    line = expect_failure(["apply", "--preset", "imagenet", chelsea, "--variant", "wide"], 2,
                          ["--variant", "wide", "auto", "measure", "256", "512"], "unknown variant")
    assert "unknown value" in line, line
    # A bad PIXNORM_VARIANT is refused rather than silently replaced by the default, and writes nothing.
    if os.path.exists(out):
        os.remove(out)
    r = run(["apply", "--preset", "imagenet", chelsea, "-o", out], env={"PIXNORM_VARIANT": "bogus"})
    assert r.returncode != 0 and "PIXNORM_VARIANT" in r.stderr and "bogus" in r.stderr, r
    assert not os.path.exists(out), "PIXNORM_VARIANT=bogus: an output was written"
    # An explicit --variant does not read the environment.
    assert bytes_of([chelsea, "--preset", "imagenet", "--variant", "256"], env={"PIXNORM_VARIANT": "bogus"})
    r = run(["info"], env={"PIXNORM_VARIANT": "bogus"})
    assert r.returncode == 0 and "PIXNORM_VARIANT=bogus" in r.stdout, r


@test
def bad_inputs_fail_cleanly():
    chelsea = os.path.join(DATA, "chelsea.png")
    coffee = os.path.join(DATA, "coffee.jpg")
    camera = os.path.join(DATA, "camera.png")
    imagenet = ["apply", "--preset", "imagenet"]

    def write(name, data):
        path = os.path.join(WORK, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    expect_failure(imagenet + ["missing.png"], 1, ["missing.png"], "missing file")
    png, jpg = open(chelsea, "rb").read(), open(coffee, "rb").read()
    for n in (8, 20, 33, 60, 200, 5000, len(png) // 2, len(png) - 12):
        path = write(f"truncated_{n}.png", png[:n])
        expect_failure(imagenet + [path], 1, [path], f"PNG truncated to {n} bytes")
    for n in (3, 100, 300, 2000, len(jpg) // 2, len(jpg) - 2):
        path = write(f"truncated_{n}.jpg", jpg[:n])
        expect_failure(imagenet + [path], 1, [path], f"JPEG truncated to {n} bytes")
    idat = png.index(b"IDAT") + 4
    bad_zlib = write("bad_zlib.png", png[:idat] + b"\xff\xff" + png[idat + 2:])
    expect_failure(imagenet + [bad_zlib], 1, [bad_zlib], "PNG with corrupt compressed data")
    sof = jpg.index(b"\xff\xc0")
    bad_sof = write("bad_sof.jpg", jpg[:sof + 5] + b"\0\0\0\0" + jpg[sof + 9:])  # height and width 0
    expect_failure(imagenet + [bad_sof], 1, [bad_sof], "JPEG with a zero size")
    # Headers claiming huge images: refused before stb allocates them.
    def png_header(w, h, color_type):
        ihdr = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
        idat = zlib.compress(b"\0" * 64)
        return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat)
    for w, h, color_type, why in ((16384, 16384, 6, "header"), (65537, 1, 6, "65536"), (20000, 20000, 0, "268435456")):
        path = write(f"huge_{w}x{h}.png", png_header(w, h, color_type))
        expect_failure(imagenet + [path], 1, [path, why], f"PNG header claiming {w}x{h}")
    huge_jpg = write("huge.jpg", jpg[:sof + 5] + struct.pack(">HH", 16000, 16000) + jpg[sof + 9:])
    expect_failure(imagenet + [huge_jpg], 1, [huge_jpg, "header"], "JPEG header claiming 16000x16000")
    text = write("text.png", b"this is not an image\n")
    expect_failure(imagenet + [text], 1, [text], "text file named .png")
    empty = write("empty.jpg", b"")
    expect_failure(imagenet + [empty], 1, [empty], "empty file")
    expect_failure(imagenet + [WORK], 1, [WORK], "a directory as input")
    # A valid header with broken data, last in a batch: fails while streaming, after the
    # output file was started.
    late = write("late.png", png[:5000])
    expect_failure(imagenet + [chelsea, chelsea, late], 1, [late], "corrupt image at the end of a batch")

    # Raw files: the size must match exactly.
    short = write("short.rgb", b"\0" * (224 * 224 * 3 - 1))
    msg = expect_failure(imagenet + ["--raw", "224x224:rgb8", short], 1, [short], "raw file one byte short")
    assert "150527" in msg and "150528" in msg, msg
    expect_failure(imagenet + ["--raw", "224x224:rgb8", chelsea], 1, [chelsea], "PNG given as raw")
    for spec in ("0x5:rgb8", "5x0:rgb8", "5x:rgb8", "x5:rgb8", "5x5:rgb", "5x5", "5x5:", "-5x5:rgb8", "+5x5:rgb8",
                 " 5x5:rgb8", "5x5 :rgb8", "0x10x5:rgb8", "65537x1:gray8", "99999999999999999999x1:gray8",
                 "65536x65536:rgba8", "5X5:rgb8", "5x5:RGB8"):
        expect_failure(imagenet + ["--raw", spec, short], 2, ["--raw"], f"--raw {spec}")

    # The command line.
    for args, names in (([chelsea, "--bogus"], ["--bogus"]),
                        ([chelsea, "-x"], ["-x"]),
                        ([chelsea, "--mode", "whiten"], ["whiten"]),
                        ([chelsea, "--layout", "chw"], ["chw"]),
                        ([chelsea, "--backend", "neon"], ["neon"]),
                        ([chelsea, "--epsilon", "abc"], ["--epsilon"]),
                        ([chelsea, "--epsilon", "-1"], ["--epsilon"]),
                        ([chelsea, "--epsilon", "nan"], ["--epsilon"]),
                        ([chelsea, "--epsilon", "inf"], ["--epsilon"]),
                        ([chelsea, "--epsilon", "1e999"], ["--epsilon"]),
                        ([chelsea, "--epsilon", ""], ["--epsilon"]),
                        ([chelsea, "--per-channel"], ["--per-channel"]),
                        ([chelsea, "--quiet=yes"], ["--quiet"]),
                        ([], ["no input"])):
        expect_failure(imagenet + args, 2, names, f"bad command line {args}")
    expect_failure(["apply", "--preset", "imagenet", "--stats", "s.json", chelsea], 2, ["--stats", "--preset"],
                   "--stats and --preset together")
    expect_failure(["apply", chelsea], 2, ["standardize"], "standardize without statistics")
    expect_failure(["apply", "--mode", "center", chelsea], 2, ["center"], "center without statistics")
    expect_failure(["apply", "--preset", "resnet", chelsea], 2, ["resnet"], "unknown preset")
    expect_failure(["apply", chelsea, "--preset"], 2, ["--preset"], "option without its value")
    r = run(imagenet + [chelsea])
    assert r.returncode == 2 and "-o" in r.stderr, r
    r = run(imagenet + [chelsea, "-o"])
    assert r.returncode == 2 and "-o" in r.stderr, r

    # Channels: raw statistics against images, and images against each other without statistics
    # (decoded images take the statistics' channels: test_decode.py).
    gray_raw = write("gray.raw", b"\0" * 16)
    expect_failure(imagenet + ["--raw", "4x4:gray8", gray_raw], 1, [gray_raw], "raw gray8, RGB statistics")
    expect_failure(imagenet + [chelsea, os.path.join(DATA, "rocket.jpg")], 1, ["rocket.jpg"], "different sizes")
    expect_failure(["apply", "--mode", "minmax", chelsea, os.path.join(DATA, "astronaut.png"), camera], 1, [camera],
                   "gray and colour in one batch")

    # Statistics files.
    bad_stats = {
        "missing.json": None,
        "empty.json": "",
        "truncated.json": '{"format": "pixnorm-stats", "version": 1,',
        "not_json.json": "mean = 0.5\n",
        "std0.json": json.dumps({"format": "pixnorm-stats", "version": 1, "channel_order": "RGB", "rescale": 1,
                                 "mean": [0, 0, 0], "std": [1, 0, 1]}),
        "two_means.json": json.dumps({"format": "pixnorm-stats", "version": 1, "channel_order": "RGB", "rescale": 1,
                                      "mean": [0, 0]}),
        "wrong_format.json": json.dumps({"format": "other", "version": 1, "channel_order": "RGB", "rescale": 1,
                                         "mean": [0]}),
        "rescale0.json": json.dumps({"format": "pixnorm-stats", "version": 1, "channel_order": "RGB", "rescale": 0,
                                     "mean": [0]}),
    }
    for name, content in bad_stats.items():
        path = os.path.join(WORK, name)
        if content is not None:
            write(name, content.encode())
        expect_failure(["apply", "--stats", path, chelsea], 1, [name], f"bad statistics {name}")

    # The output itself.
    r = run(imagenet + [chelsea, "-o", os.path.join(WORK, "no", "such", "dir", "out.npy")])
    assert r.returncode == 1 and "out.npy" in r.stderr and not os.path.exists(os.path.join(WORK, "no")), r
    os.makedirs(os.path.join(WORK, "a_directory.npy"), exist_ok=True)
    r = run(imagenet + [chelsea, "-o", os.path.join(WORK, "a_directory.npy")])
    assert r.returncode == 1 and "a_directory.npy" in r.stderr, r
    assert os.listdir(os.path.join(WORK, "a_directory.npy")) == [], "a file was left in the output's place"


@test
def signals_remove_the_temporary_file():
    # Many 1x1 images: the run lasts long enough to be interrupted while it writes.
    work = os.path.join(WORK, "signals")
    os.makedirs(work, exist_ok=True)
    shutil.copy(os.path.join(DATA, "pixel.png"), os.path.join(work, "p.png"))
    for sig in (signal.SIGTERM, signal.SIGINT):
        proc = subprocess.Popen([PIXNORM, "apply", "--mode", "minmax", "-o", "out.npy"] + ["p.png"] * 60000,
                                cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while proc.poll() is None and time.time() < deadline:
            if any(n.startswith(".out.npy.") for n in os.listdir(work)):
                proc.send_signal(sig)
                break
            time.sleep(0.001)
        rc = proc.wait(60)
        if rc == 0:
            print(f"  note: the run ended before {sig.name} could be sent; nothing checked")
            os.remove(os.path.join(work, "out.npy"))
            continue
        assert rc == -sig, f"{sig.name}: exit {rc}"
        assert sorted(os.listdir(work)) == ["p.png"], f"{sig.name}: left {os.listdir(work)}"


def main():
    def report_tolerance():
        print(f"largest |out - ref| / (size of the terms): {worst_ratio:.3g} (allowed {TOL:g}; 2^-24 = {2 ** -24:.3g})")

    return cli_harness.main(globals(), TESTS, "pixnorm_cli_", epilogue=report_tolerance)


if __name__ == "__main__":
    sys.exit(main())
