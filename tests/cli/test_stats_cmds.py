#!/usr/bin/python3
"""End-to-end tests of `pixnorm stats export`, `pixnorm stats import` and `pixnorm check`.

    test_stats_cmds.py PIXNORM DATA_DIR CC CXX

export: the header is compiled as C99 and as C++17 with -Wall -Wextra -pedantic -Werror into a
program that prints its values; the doubles must equal the statistics file's, and
(float)x * scale[c] + bias[c] must equal, bit for bit, what `pixnorm apply` writes for every
uint8 value x. import: the written statistics are read back here with Python's json module and
compared with the inputs, and every refusal must exit 1 (2 for a bad command line) with one
message naming the file and the field, leaving no output. check: the per-channel moments it
reports are compared with numpy on `pixnorm apply`'s output, and the swap and units cases
must warn and exit 3.
"""
import json
import os
import re
import struct
import subprocess
import sys
import zlib

import cli_harness

try:
    import numpy as np
except ImportError:
    sys.exit("test_stats_cmds.py: numpy is missing: run .ci/install-deps --test (python3-numpy)")

PIXNORM = DATA = CC = CXX = WORK = None
EXIT_WARNING = 3


def run(args, cwd=None):
    return subprocess.run([PIXNORM] + [str(a) for a in args], capture_output=True, text=True, cwd=cwd or WORK,
                          timeout=120)


def path(name):
    return os.path.join(WORK, name)


def write_json(name, doc):
    with open(path(name), "w") as f:
        f.write(doc if isinstance(doc, str) else json.dumps(doc))
    return path(name)


def write_stats(name, order, rescale, mean, std=None, epsilon=None, **extra):
    doc = {"format": "pixnorm-stats", "version": 1, "channel_order": order, "rescale": rescale, "mean": mean}
    if std is not None:
        doc["std"] = std
    if epsilon is not None:
        doc["epsilon"] = epsilon
    doc.update(extra)
    return write_json(name, doc)


def read_json(p):
    with open(p) as f:
        return json.load(f)


def apply_npy(args, out_name="apply.npy"):
    r = run(["apply"] + list(args) + ["-o", path(out_name), "-q"])
    assert r.returncode == 0, f"apply {args}: {r.stderr}"
    return np.load(path(out_name))


def expect_failure(args, code, names, out):
    """Runs `pixnorm ARGS` twice, without the output file `out` and with an existing one: each run
    must exit with `code`, print one stderr line naming each of `names`, create nothing, and leave
    the existing file byte-identical."""
    directory = os.path.dirname(out)
    for existing in (False, True):
        if os.path.exists(out):
            os.remove(out)
        before = os.urandom(100) if existing else None
        if existing:
            with open(out, "wb") as f:
                f.write(before)
        listing = sorted(os.listdir(directory))
        r = run(args)
        label = f"pixnorm {' '.join(map(str, args))} ({'existing' if existing else 'no'} output)"
        assert r.returncode == code, f"{label}: exit {r.returncode}, expected {code}: {r.stderr!r}"
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("pixnorm: "), f"{label}: stderr {r.stderr!r}"
        for name in names:
            assert str(name) in lines[0], f"{label}: message does not name {name!r}: {lines[0]!r}"
        assert sorted(os.listdir(directory)) == listing, f"{label}: files left: {os.listdir(directory)}"
        if existing:
            with open(out, "rb") as f:
                assert f.read() == before, f"{label}: the existing output changed"
    return lines[0]


# ---------------------------------------------------------------- images

def write_ppm(name, pixels):
    h, w, _ = pixels.shape
    with open(path(name), "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (w, h) + np.ascontiguousarray(pixels, np.uint8).tobytes())
    return path(name)


def write_raw(name, pixels):
    with open(path(name), "wb") as f:
        f.write(np.ascontiguousarray(pixels, np.uint8).tobytes())
    return path(name)


def tinted(seed, h=48, w=64):
    """A strongly tinted RGB image (R about 200, G 120, B 50), so that swapping R and B shows."""
    rng = np.random.default_rng(seed)
    planes = [rng.normal(m, s, (h, w)) for m, s in ((200, 20), (120, 30), (50, 15))]
    return np.clip(np.rint(np.stack(planes, -1)), 0, 255).astype(np.uint8)


def fitted(images, scale=255.0):
    """Population mean and std per RGB channel of the images, in units of x / scale."""
    x = np.concatenate([i.reshape(-1, 3) for i in images]).astype(np.float64) / scale
    return list(x.mean(0)), list(x.std(0))


# ---------------------------------------------------------------- PNG checking

def png_size(p):
    """Checks the PNG structure (signature, every chunk's CRC, 8-bit RGB, the inflated data's length
    and filter bytes) and returns (width, height)."""
    with open(p, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    pos, chunks = 8, []
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        crc, = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind}"
        chunks.append((kind, body))
        pos += 12 + n
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND", [c[0] for c in chunks]
    w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, ctype, interlace) == (8, 2, 0), (depth, ctype, interlace)
    raw = zlib.decompress(b"".join(b for k, b in chunks if k == b"IDAT"))
    assert len(raw) == h * (1 + 3 * w), f"{len(raw)} bytes of pixel data for {w}x{h}"
    assert all(raw[y * (1 + 3 * w)] <= 4 for y in range(h)), "bad filter byte"
    return w, h


def png_pixels(p):
    """(H, W, 3) uint8 pixels, decoded by the CLI itself (--mode rescale gives the integers)."""
    t = apply_npy(["--mode", "rescale", "--layout", "nhwc", p], "png.npy")[0]
    assert np.array_equal(t, np.rint(t)), "rescale mode must give integers"
    return t.astype(np.uint8)


# ---------------------------------------------------------------- tests

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def help_texts():
    r = run(["--help"])
    for words in ("stats export", "stats import", "check"):
        assert words in r.stdout, f"pixnorm --help does not mention {words}"
    r = run(["stats", "--help"])
    assert r.returncode == 0 and all(w in r.stdout for w in ("export", "import", "show")), r
    r = run(["stats", "export", "--help"])
    assert r.returncode == 0, r
    for w in ("--c-header", "--name", "--preset", "-o", "-ffp-contract=off", "scale", "bias", "Example"):
        assert w in r.stdout, f"stats export --help does not mention {w}"
    r = run(["stats", "import", "--help"])
    assert r.returncode == 0, r
    for w in ("--from hf", "--from keras", "--units", "raw", "unit", "--channel-order", "--epsilon", "rescale_factor",
              "do_normalize", "image_mean", "image_std", "(1, 1, 1, C)", "source", "imported_from"):
        assert w in r.stdout, f"stats import --help does not mention {w}"
    r = run(["check", "--help"])
    assert r.returncode == 0, r
    for w in ("--stats", "--preset", "--plot", "--raw", "--mode", "1 expected std", "0.5..2", "swap", "units", "960 x (40 + 180",
              "Exit status: 0 no warning, 3 a warning"):
        assert w in r.stdout, f"check --help does not mention {w!r}"
    for args in (["stats"], ["stats", "frobnicate"], ["check"], ["check", "--frob"]):
        r = run(args)
        assert r.returncode == 2, f"{args}: exit {r.returncode}"


# ---------------------------------------------------------------- export

PROGRAM = r"""
#include <stdio.h>
#include <string.h>
#include "%(header)s"
#include "%(header)s" /* the include guard */
#include "other_stats.h" /* another prefix: no clash */

int main(void) {
  unsigned c;
  int x;
  printf("%%s %%s %%d %%d %%d\n", %(UP)s_PIXNORM_VERSION, %(UP)s_CHANNEL_ORDER, %(UP)s_CHANNELS,
         %(UP)s_OUTPUT_CHANNELS, %(UP)s_HAS_STD);
  printf("%%a %%a\n", %(UP)s_RESCALE, %(UP)s_EPSILON);
  for (c = 0; c < %(UP)s_CHANNELS; ++c) printf("%%a %%a\n", %(lo)s_mean[c], %(lo)s_std[c]);
  for (c = 0; c < %(UP)s_OUTPUT_CHANNELS; ++c) {
    for (x = 0; x < 256; ++x) {
      const float v = (float)x * %(lo)s_scale[c] + %(lo)s_bias[c];
      unsigned long bits = 0;
      unsigned int u;
      memcpy(&u, &v, sizeof u);
      bits = u;
      printf("%%08lx%%s", bits, x == 255 ? "\n" : " ");
    }
  }
  return other_stats_scale[0] > 0 ? 0 : 1;
}
"""

ONLY_INCLUDED = '#include "%s"\nint unused_header_is_quiet(void);\nint unused_header_is_quiet(void) { return 0; }\n'


def compile_and_run(header, name, tag):
    src = path(f"prog_{tag}.c")
    with open(src, "w") as f:
        f.write(PROGRAM % {"header": os.path.basename(header), "UP": name.upper() + "_STATS", "lo": name + "_stats"})
    with open(path(f"quiet_{tag}.c"), "w") as f:
        f.write(ONLY_INCLUDED % os.path.basename(header))
    outputs = []
    for compiler, std, extra in ((CC, "-std=c99", ["-pedantic"]), (CXX, "-std=c++17", ["-pedantic", "-x", "c++"])):
        exe = path(f"prog_{tag}_{std[5:]}")
        flags = [std, "-Wall", "-Wextra", "-Werror", "-ffp-contract=off", "-I", WORK] + extra
        r = subprocess.run([compiler] + flags + [src, "-o", exe], capture_output=True, text=True)
        assert r.returncode == 0, f"{compiler} {std} {header}:\n{r.stderr}"
        r = subprocess.run([compiler] + flags + ["-c", path(f"quiet_{tag}.c"), "-o", exe + ".o"], capture_output=True,
                           text=True)
        assert r.returncode == 0 and r.stderr == "", f"{compiler} {std}: including only: {r.stderr}"
        r = subprocess.run([exe], capture_output=True, text=True)
        assert r.returncode == 0, f"{exe}: exit {r.returncode}"
        outputs.append(r.stdout)
    assert outputs[0] == outputs[1], f"{header}: C and C++ programs disagree"
    return outputs[0].splitlines()


EXPORT_CASES = [
    # name, channel order, rescale, mean, std, epsilon, raw format of the ramp
    ("rgbmodel", "RGB", 1 / 255, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], None, "rgb8"),
    ("bgrraw", "BGR", 1.0, [103.939, 116.779, 123.68], None, None, "bgr8"),
    ("glob", "RGB", 1 / 127.5, [1.0], [1.0], None, "rgb8"),
    ("gray", "GRAY", 0.0039215686274509803, [0.1234567890123456789], [0.3], 1e-6, "gray8"),
    ("odd", "RGB", 3.0, [-1e5, 2.5e-3, 7.0], [1e3, 0.5, 1 / 3], 0.25, "rgb8"),
]


@test
def export_header_compiles_and_matches_apply():
    r = run(["stats", "export", "--preset", "imagenet", "--c-header", "-o", path("other_stats.h"), "-q"])
    assert r.returncode == 0 and r.stderr == "", r
    ramp = {"rgb8": np.repeat(np.arange(256, dtype=np.uint8), 3), "bgr8": np.repeat(np.arange(256, dtype=np.uint8), 3),
            "gray8": np.arange(256, dtype=np.uint8)}
    for name, order, rescale, mean, std, eps, fmt in EXPORT_CASES:
        stats = write_stats(f"{name}.json", order, rescale, mean, std, eps)
        header = path(f"{name}_stats.h")
        r = run(["stats", "export", stats, "--c-header", "-o", header])  # default prefix: the file name's
        assert r.returncode == 0, r.stderr
        assert r.stderr.startswith(f"pixnorm: wrote {header}"), r.stderr
        with open(header) as f:
            text = f.read()
        guard = f"{name.upper()}_STATS_H"
        assert f"#ifndef {guard}\n#define {guard}\n" in text, f"{header}: include guard {guard}"
        assert "pixnorm 0." in text and "-ffp-contract=off" in text and "(float)x" in text, header
        lines = compile_and_run(header, name, name)
        version, got_order, channels, out_channels, has_std = lines[0].split()
        assert version.startswith("0.") and got_order == order, lines[0]
        assert int(channels) == len(mean) and int(has_std) == (std is not None), lines[0]
        c_out = 1 if order == "GRAY" else 3
        assert int(out_channels) == c_out, lines[0]
        got_rescale, got_eps = map(float.fromhex, lines[1].split())
        assert got_rescale == rescale and got_eps == (eps or 0.0), lines[1]
        for c in range(len(mean)):
            m, s = map(float.fromhex, lines[2 + c].split())
            assert m == mean[c] and s == (std[c] if std else 1.0), f"{name}: channel {c}: {m!r} {s!r}"
        bits = np.array([[int(b, 16) for b in line.split()] for line in lines[2 + len(mean):]], np.uint32)
        assert bits.shape == (c_out, 256), bits.shape
        write_raw(f"ramp_{fmt}", ramp[fmt])
        tensor = apply_npy(["--stats", stats, "--raw", f"256x1:{fmt}", path(f"ramp_{fmt}")])
        expected = tensor.reshape(c_out, 256).view(np.uint32)
        if not np.array_equal(bits, expected):
            c, x = np.argwhere(bits != expected)[0]
            raise AssertionError(f"{name}: channel {c}, x {x}: header gives {bits[c, x]:08x}, "
                                 f"pixnorm apply {expected[c, x]:08x}")

    # --name, and a name whose file name starts with a digit
    r = run(["stats", "export", "--preset", "tf", "--c-header", "--name", "Net2", "-o", path("2net.h"), "-q"])
    assert r.returncode == 0, r.stderr
    with open(path("2net.h")) as f:
        text = f.read()
    assert "#ifndef NET2_2NET_H" in text and "Net2_stats_scale" in text and "NET2_STATS_RESCALE" in text, text


@test
def export_failures():
    out = path("fail/out.h")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    good = write_stats("good.json", "RGB", 1 / 255, [0.5], [0.25])
    expect_failure(["stats", "export", good, "-o", out], 2, ["--c-header"], out)
    expect_failure(["stats", "export", good, "--c-header", "--name", "9lives", "-o", out], 2, ["9lives"], out)
    expect_failure(["stats", "export", good, "--c-header", "--name", "a-b", "-o", out], 2, ["a-b"], out)
    expect_failure(["stats", "export", good, good, "--c-header", "-o", out], 2, ["one statistics file"], out)
    expect_failure(["stats", "export", good, "--preset", "tf", "--c-header", "-o", out], 2, ["--preset"], out)
    expect_failure(["stats", "export", "--preset", "nope", "--c-header", "-o", out], 2, ["nope"], out)
    expect_failure(["stats", "export", good, "--c-header", "-o", path("fail/9.h")], 2, ["--name"], out)
    bad = write_stats("bad.json", "RGB", 1 / 255, [0.5], [-1.0])
    expect_failure(["stats", "export", bad, "--c-header", "-o", out], 1, ["bad.json", "std"], out)
    expect_failure(["stats", "export", path("missing.json"), "--c-header", "-o", out], 1, ["missing.json"], out)
    r = run(["stats", "export", good, "--c-header", "-o", path("no/such/dir/x.h")])
    assert r.returncode == 1 and "no/such/dir" in r.stderr, r


# ---------------------------------------------------------------- import

HF_CASES = [
    # config, expected (order, rescale, mean, std, units)
    ({"do_normalize": True, "do_rescale": True, "rescale_factor": 0.00392156862745098,
      "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
      "image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 224}, "crop_size": [224, 224],
      "resample": 3, "extra": [None, True, False, {"nested": [[[]]]}, "\u00e9\u4e2d\U0001F600", -0.0, 1e-300]},
     ("RGB", 1 / 255, [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711], "unit")),
    ({"image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], "feature_extractor_type": "ViTFeatureExtractor"},
     ("RGB", 1 / 255, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], "unit")),
    ({"do_rescale": False, "image_mean": [123.675, 116.28, 103.53], "image_std": [58.395, 57.12, 57.375]},
     ("RGB", 1.0, [123.675, 116.28, 103.53], [58.395, 57.12, 57.375], "raw")),
    ({"do_normalize": False, "rescale_factor": 0.00392156862745098}, ("RGB", 1 / 255, [0.0], [1.0], "unit")),
    ({"do_normalize": False, "do_rescale": True, "image_mean": "ignored"}, ("RGB", 1 / 255, [0.0], [1.0], "unit")),
    ({"image_mean": 0.5, "image_std": [0.5, 0.25, 0.125], "rescale_factor": 0.00784313725490196},
     ("RGB", 0.00784313725490196, [0.5] * 3, [0.5, 0.25, 0.125], "custom")),
    ({"image_mean": [0.5], "image_std": [0.25]}, ("RGB", 1 / 255, [0.5], [0.25], "unit")),
    ({"do_flip_channel_order": True, "do_normalize": False}, ("BGR", 1 / 255, [0.0], [1.0], "unit")),
]


@test
def import_hf():
    for i, (config, (order, rescale, mean, std, units)) in enumerate(HF_CASES):
        cfg = write_json(f"hf{i}/preprocessor_config.json".replace("/", "_"), config)
        out = path(f"hf{i}.json")
        r = run(["stats", "import", "--from", "hf", cfg, "-o", out])
        assert r.returncode == 0, f"case {i}: {r.stderr}"
        doc = read_json(out)
        assert doc["format"] == "pixnorm-stats" and doc["version"] == 1, doc
        assert (doc["channel_order"], doc["rescale"], doc["mean"], doc["std"]) == (order, rescale, mean, std), \
            f"case {i}: {doc}"
        src = doc["source"]
        assert src["imported_from"] == "hf" and src["files"] == [cfg] and src["units"] == units, f"case {i}: {src}"
        processor = config.get("image_processor_type", config.get("feature_extractor_type"))
        assert src.get("processor") == processor, src
        word = {"unit": "0..1 units", "raw": "0..255", "custom": "units of x *"}[units]
        assert word in r.stderr, f"case {i}: the summary does not state the units: {r.stderr!r}"

    # The imported statistics normalize as the Hugging Face processor does: x * rescale_factor, then
    # (y - image_mean) / image_std.
    rng = np.random.default_rng(7)
    img = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    write_raw("hf_img.rgb", img)
    cfg, _ = HF_CASES[0]
    tensor = apply_npy(["--stats", path("hf0.json"), "--no-recipe", "--raw", "7x5:rgb8",
                        path("hf_img.rgb")])[0].transpose(1, 2, 0)
    ref = (img * cfg["rescale_factor"] - np.array(cfg["image_mean"])) / np.array(cfg["image_std"])
    assert np.abs(tensor - ref).max() < 1e-5, np.abs(tensor - ref).max()
    # A byte order mark, as some editors write, is skipped.
    with open(path("bom.json"), "wb") as f:
        f.write(b"\xef\xbb\xbf" + json.dumps(HF_CASES[1][0]).encode())
    r = run(["stats", "import", "--from", "hf", path("bom.json"), "-o", path("bom_out.json"), "-q"])
    assert r.returncode == 0 and r.stderr == "", r


def npy_bytes(values, dtype="<f4", shape=None, version=1, fortran=False, header=None):
    arr = np.asarray(values, dtype=dtype)
    shape = arr.shape if shape is None else shape
    text = header or "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        dtype, fortran, "(%s)" % "".join(f"{d}, " for d in shape) if len(shape) == 1 else str(tuple(shape)))
    prefix = 10 if version == 1 else 12
    text += " " * ((64 - (prefix + len(text) + 1) % 64) % 64) + "\n"
    size = struct.pack("<H", len(text)) if version == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes([version, 0]) + size + text.encode("latin1") + arr.tobytes()


def write_npy(name, data):
    with open(path(name), "wb") as f:
        f.write(data if isinstance(data, bytes) else b"")
    return path(name)


@test
def import_keras():
    mean3, std3 = [123.68, 116.78, 103.94], [58.393, 57.12, 57.375]
    cases = 0
    for shape in [(3,), (1, 1, 3), (1, 1, 1, 3)]:
        for dtype in ("<f4", "<f8"):
            for units, rescale in (("raw", 1.0), ("unit", 1 / 255)):
                # In the units declared: 0..1 statistics are the 0..255 ones divided by 255.
                mean_u, std_u = [v * rescale for v in mean3], [v * rescale for v in std3]
                m = path("mean.npy")
                np.save(m, np.array(mean_u, dtype).reshape(shape))
                s = write_npy("std.npy", npy_bytes(std_u, dtype, shape, version=2 if dtype == "<f8" else 1))
                out = path("keras.json")
                r = run(["stats", "import", "--from", "keras", m, s, "--units", units, "-o", out])
                assert r.returncode == 0, f"{shape} {dtype} {units}: {r.stderr}"
                doc = read_json(out)
                assert doc["channel_order"] == "RGB" and doc["rescale"] == rescale, doc
                want_m = [float(v) for v in np.array(mean_u, dtype)]
                want_s = [float(v) for v in np.array(std_u, dtype)]
                assert doc["mean"] == want_m and doc["std"] == want_s, f"{shape} {dtype}: {doc}"
                assert doc["source"] == {"imported_from": "keras", "files": [m, s], "units": units}, doc["source"]
                assert ("0..255" if units == "raw" else "0..1 units") in r.stderr, r.stderr
                cases += 1
    # One value for every channel, Fortran order (same bytes for these shapes), BGR, GRAY, epsilon.
    m = write_npy("m1.npy", npy_bytes([0.5], "<f8", (1, 1, 1), fortran=True))
    s = write_npy("s3.npy", npy_bytes([0.25, 0.5, 0.125], "<f4", (1, 1, 3), fortran=True))
    r = run(["stats", "import", "--from", "keras", m, s, "--units", "unit", "--channel-order", "BGR", "--epsilon",
             "1e-6", "-o", path("k2.json"), "-q"])
    assert r.returncode == 0, r.stderr
    doc = read_json(path("k2.json"))
    assert (doc["channel_order"], doc["mean"], doc["std"], doc["epsilon"]) == ("BGR", [0.5] * 3, [0.25, 0.5, 0.125],
                                                                                1e-6), doc
    s1 = write_npy("s1.npy", npy_bytes([0.25], "<f8", (1,)))
    r = run(["stats", "import", "--from", "keras", m, s1, "--units", "raw", "--channel-order", "GRAY", "-o",
             path("k3.json"), "-q"])
    assert r.returncode == 0, r.stderr
    doc = read_json(path("k3.json"))
    assert (doc["channel_order"], doc["rescale"], doc["mean"], doc["std"]) == ("GRAY", 1, [0.5], [0.25]), doc
    print(f"  {cases} keras shape/dtype/units combinations")


@test
def import_refusals():
    out = path("refuse/stats.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    good = {"image_mean": [0.5, 0.5, 0.5], "image_std": [0.25, 0.25, 0.25]}

    def hf(name, text, code, names):
        p = write_json(name, text)
        expect_failure(["stats", "import", "--from", "hf", p, "-o", out], code, [name] + names, out)

    dump = json.dumps
    hf("trailing.json", '{"image_mean": [0.5, 0.5, 0.5],\n "image_std": [0.5, 0.5, 0.5],}', 1, ["line 2"])
    hf("truncated.json", dump(good)[:-5], 1, ["JSON"])
    hf("quotes.json", "{'image_mean': [0.5]}", 1, ["JSON"])
    hf("empty.json", "", 1, ["JSON"])
    hf("array.json", "[1, 2, 3]", 1, ["object"])
    hf("garbage.json", dump(good) + " x", 1, ["after"])
    hf("leading0.json", '{"image_mean": [05], "image_std": [1]}', 1, ["JSON"])
    hf("ctrl.json", '{"a": "x\ty", "image_mean": [0.5], "image_std": [1]}', 1, ["control"])
    hf("surrogate.json", '{"a": "\\ud800", "image_mean": [0.5], "image_std": [1]}', 1, ["surrogate"])
    hf("deep.json", '{"a": ' + "[" * 100 + "]" * 100 + ', "image_mean": [0.5], "image_std": [1]}', 1, ["nested"])
    hf("nostd.json", dump({"image_mean": [0.5, 0.5, 0.5]}), 1, ["image_std", "missing"])
    hf("nomean.json", dump({"do_normalize": True, "image_std": [0.5]}), 1, ["image_mean", "missing"])
    hf("nonnum.json", dump({"image_mean": [0.5, "0.5", 0.5], "image_std": [1] * 3}), 1, ["image_mean[1]", "number"])
    hf("null.json", dump({"image_mean": None, "image_std": [1] * 3}), 1, ["image_mean", "null"])
    hf("nan.json", '{"image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, NaN, 0.5]}', 1, ["image_std[1]", "NaN"])
    hf("inf.json", '{"image_mean": [Infinity], "image_std": [1]}', 1, ["image_mean[0]", "Infinity"])
    hf("huge.json", '{"image_mean": [1e999], "image_std": [1]}', 1, ["image_mean[0]", "1e999"])
    hf("std0.json", dump({"image_mean": [0.5] * 3, "image_std": [0.5, 0.0, 0.5]}), 1, ["image_std[1]", "> 0"])
    hf("stdneg.json", dump({"image_mean": [0.5], "image_std": -1}), 1, ["image_std", "> 0"])
    hf("two.json", dump({"image_mean": [0.5, 0.5], "image_std": [0.5] * 3}), 1, ["image_mean", "2 values"])
    hf("four.json", dump({"image_mean": [0.5] * 3, "image_std": [0.5] * 4}), 1, ["image_std", "4 values"])
    hf("rescale0.json", dump(dict(good, rescale_factor=0)), 1, ["rescale_factor", "> 0"])
    hf("rescaletext.json", dump(dict(good, rescale_factor="1/255")), 1, ["rescale_factor", "number"])
    hf("flag.json", dump(dict(good, do_normalize="yes")), 1, ["do_normalize", "true or false"])
    hf("dup.json", '{"image_mean": [0.5], "image_std": [1], "image_mean": [0.1]}', 1, ["image_mean", "twice"])
    with open(path("utf8.json"), "wb") as f:
        f.write(b'{"a": "\xc3\x28", "image_mean": [0.5], "image_std": [1]}')
    expect_failure(["stats", "import", "--from", "hf", path("utf8.json"), "-o", out], 1, ["utf8.json", "UTF-8"], out)
    with open(path("big.json"), "w") as f:
        f.write('{"image_mean": [0.5], "image_std": [1], "pad": "' + "x" * (1 << 20) + '"}')
    expect_failure(["stats", "import", "--from", "hf", path("big.json"), "-o", out], 1, ["big.json", "limit"], out)
    expect_failure(["stats", "import", "--from", "hf", WORK, "-o", out], 1, [WORK, "regular"], out)
    expect_failure(["stats", "import", "--from", "hf", path("none.json"), "-o", out], 1, ["none.json"], out)

    m = path("mean_ok.npy")
    np.save(m, np.array([0.5, 0.5, 0.5], "<f4"))

    def keras(name, data, names, code=1):
        p = write_npy(name, data)
        expect_failure(["stats", "import", "--from", "keras", m, p, "--units", "unit", "-o", out], code,
                       [name] + names, out)

    keras("be.npy", npy_bytes([1, 2, 3], ">f4"), [">f4", "little-endian"])
    keras("int.npy", npy_bytes([1, 2, 3], "<i4"), ["<i4"])
    keras("half.npy", npy_bytes([1, 2, 3], "<f2"), ["<f2"])
    keras("shape23.npy", npy_bytes(np.ones((2, 3)), "<f4"), ["(2, 3)"])
    keras("shape31.npy", npy_bytes(np.ones((3, 1)), "<f4"), ["(3, 1)"])
    keras("shape13.npy", npy_bytes(np.ones((1, 3)), "<f4"), ["(1, 3)"])
    keras("four.npy", npy_bytes(np.ones(4), "<f4"), ["(4,)"])
    keras("scalar.npy", npy_bytes(np.float32(1), "<f4", ()), ["()"])
    keras("short.npy", npy_bytes([1, 2, 3], "<f4")[:-2], ["bytes"])
    keras("long.npy", npy_bytes([1, 2, 3], "<f4") + b"\0\0\0\0", ["bytes"])
    keras("magic.npy", b"\x93NUMPX" + npy_bytes([1, 2, 3])[6:], ["NumPy"])
    keras("version.npy", b"\x93NUMPY\x09\x00" + npy_bytes([1, 2, 3])[8:], ["version"])
    keras("hdrlen.npy", npy_bytes([1, 2, 3])[:8] + b"\xff\xff" + npy_bytes([1, 2, 3])[10:], ["truncated"])
    keras("badhdr.npy", npy_bytes([1, 2, 3], header="{'descr': '<f4', 'fortran_order': False}"), ["shape"])
    keras("extrakey.npy", npy_bytes([1, 2, 3], header="{'descr': '<f4', 'fortran_order': False, 'shape': (3,), "
                                                      "'x': 1}"), ["'x'"])
    keras("nan.npy", npy_bytes([1, np.nan, 1], "<f8"), ["entry 1", "finite"])
    keras("inf.npy", npy_bytes([np.inf, 1, 1], "<f4"), ["entry 0", "finite"])
    keras("zero.npy", npy_bytes([1, 0, 1], "<f4"), ["entry 1", "> 0"])
    keras("neg.npy", npy_bytes([-1], "<f4"), ["entry 0", "> 0"])
    keras("empty.npy", b"", ["NumPy"])
    std_ok = write_npy("std_ok.npy", npy_bytes([0.25, 0.25, 0.25]))
    nan_mean = write_npy("nanmean.npy", npy_bytes([np.nan], "<f4"))
    expect_failure(["stats", "import", "--from", "keras", nan_mean, std_ok, "--units", "raw", "-o", out], 1,
                   ["nanmean.npy", "finite"], out)
    for args, names in ((["--from", "keras", m, std_ok, "-o", out], ["--units"]),
                        (["--from", "keras", m, std_ok, "--units", "percent", "-o", out], ["percent"]),
                        (["--from", "keras", m, "--units", "raw", "-o", out], ["two files"]),
                        (["--from", "keras", m, std_ok, "--units", "raw", "--channel-order", "GRAY", "-o", out],
                         ["GRAY"]),
                        (["--from", "keras", m, std_ok, "--units", "raw", "--channel-order", "RBG", "-o", out],
                         ["RBG"]),
                        (["--from", "hf", path("hf0.json"), "--units", "raw", "-o", out], ["--units"]),
                        (["--from", "caffe", m, "-o", out], ["caffe"]),
                        (["--from", "keras", m, std_ok, "--units", "raw", "--epsilon", "-1", "-o", out],
                         ["--epsilon"]),
                        (["--from", "keras", m, std_ok, "--units", "raw"], ["-o"])):
        expect_failure(["stats", "import"] + args, 2, names, out)


# ---------------------------------------------------------------- check

def check_report(args):
    r = run(["check"] + list(args))
    assert r.returncode in (0, EXIT_WARNING), f"check {args}: exit {r.returncode}: {r.stderr}"
    rows = {}
    for line in r.stdout.splitlines():
        m = re.match(r"  (R|G|B|gray) +(\S+) +(\S+) +(\S+) +(\S+)$", line)
        if m:
            rows[m.group(1)] = [float(v) for v in m.groups()[1:]]
    return r, rows


def compare_with_apply(rows, tensors, order):
    """The reported mean/std/min/max (5 significant digits) against numpy over `pixnorm apply`'s output."""
    data = np.concatenate([t.reshape(t.shape[1], -1) for t in tensors], axis=1).astype(np.float64)
    for c, name in enumerate(order):
        mean, std, lo, hi = rows[name]
        want = data[c].mean(), data[c].std(), data[c].min(), data[c].max()
        for got, ref in zip((mean, std, lo, hi), want):
            assert abs(got - ref) <= 1e-4 * max(1.0, abs(ref)), f"{name}: reported {rows[name]}, numpy {want}"


@test
def check_matching_statistics():
    images = [tinted(1), tinted(2, 40, 30)]
    files = [write_ppm("t1.ppm", images[0]), write_ppm("t2.ppm", images[1])]
    mean, std = fitted(images)
    stats = write_stats("tinted.json", "RGB", 1 / 255, mean, std)
    r, rows = check_report(["--stats", stats] + files)
    assert r.returncode == 0 and "result: no warning" in r.stdout and "warning:" not in r.stdout, r.stdout
    for name in "RGB":
        assert abs(rows[name][0]) < 1e-4 and abs(rows[name][1] - 1) < 1e-4, rows
    tensors = [apply_npy(["--stats", stats, f], f"a{i}.npy") for i, f in enumerate(files)]
    compare_with_apply(rows, tensors, "RGB")
    # BGR statistics of the same data: the library maps the channels, and so must the check.
    bgr = write_stats("tinted_bgr.json", "BGR", 1 / 255, mean[::-1], std[::-1])
    r, rows_bgr = check_report(["--stats", bgr] + files)
    assert r.returncode == 0, r.stdout
    for name in "RGB":
        assert np.allclose(rows_bgr[name], rows[name], atol=1e-5), (rows_bgr, rows)
    # Real photographs with the ImageNet preset: no false alarm.
    photos = [os.path.join(DATA, n) for n in ("astronaut.png", "chelsea.png", "coffee.jpg", "rocket.jpg")]
    r, rows = check_report(["--preset", "imagenet"] + photos)
    assert r.returncode == 0, r.stdout
    compare_with_apply(rows, [apply_npy(["--preset", "imagenet", p], f"p{i}.npy") for i, p in enumerate(photos)],
                       "RGB")
    # Gray statistics and gray images.
    gray = np.random.default_rng(3).normal(90, 25, (32, 32, 1)).clip(0, 255).astype(np.uint8)
    g = write_raw("g.gray", gray)
    gs = write_stats("gray.json", "GRAY", 1 / 255, [float(gray.mean()) / 255], [float(gray.std()) / 255])
    r, rows = check_report(["--stats", gs, "--raw", "32x32:gray8", g])
    assert r.returncode == 0 and set(rows) == {"gray"}, r.stdout
    compare_with_apply(rows, [apply_npy(["--stats", gs, "--raw", "32x32:gray8", g])], ["gray"])


@test
def check_red_blue_swap():
    images = [tinted(4), tinted(5)]
    mean, std = fitted(images)
    stats = write_stats("swap.json", "RGB", 1 / 255, mean, std)
    # The camera delivers BGR but the firmware declares RGB8: R and B arrive exchanged.
    files = [write_raw(f"swapped{i}.raw", img[..., ::-1]) for i, img in enumerate(images)]
    r, rows = check_report(["--stats", stats, "--raw", "64x48:rgb8"] + files)
    assert r.returncode == EXIT_WARNING, (r.returncode, r.stdout)
    assert "red and blue look swapped" in r.stdout and "far from mean 0" in r.stdout, r.stdout
    assert "units:" not in r.stdout, r.stdout
    assert abs(rows["R"][0]) > 5 and abs(rows["B"][0]) > 5 and abs(rows["G"][0]) < 1e-4, rows
    # Declared as what it is, the same data passes.
    r, _ = check_report(["--stats", stats, "--raw", "64x48:bgr8"] + files)
    assert r.returncode == 0, r.stdout
    # Statistics whose channel order was written wrong: the same warning.
    wrong = write_stats("swap_label.json", "BGR", 1 / 255, mean, std)
    r, _ = check_report(["--stats", wrong, "--raw", "64x48:rgb8"] + [write_raw("rgb.raw", images[0])])
    assert r.returncode == EXIT_WARNING and "red and blue look swapped" in r.stdout, r.stdout


@test
def check_units():
    images = [tinted(6)]
    f = write_ppm("u.ppm", images[0])
    mean_unit, std_unit = fitted(images)
    # Statistics in 0..1 units imported as raw (keras --units raw by mistake): rescale 1.
    as_raw = write_stats("units_raw.json", "RGB", 1.0, mean_unit, std_unit)
    r, rows = check_report(["--stats", as_raw, f])
    assert r.returncode == EXIT_WARNING and "units:" in r.stdout and "255 times too large" in r.stdout, r.stdout
    assert "with rescale 0.00392157 the fit would be" in r.stdout and "swapped" not in r.stdout, r.stdout
    for name in "RGB":
        assert abs(rows[name][1] / 255 - 1) < 1e-3, rows  # std 255 times 1
    # Statistics in 0..255 units with rescale 1/255.
    mean_raw, std_raw = fitted(images, 1.0)
    as_unit = write_stats("units_unit.json", "RGB", 1 / 255, mean_raw, std_raw)
    r, rows = check_report(["--stats", as_unit, f])
    assert r.returncode == EXIT_WARNING and "255 times too small" in r.stdout and "with rescale 1 " in r.stdout, \
        r.stdout
    for name in "RGB":
        assert abs(rows[name][1] * 255 - 1) < 1e-3, rows


@test
def check_plot():
    images = [tinted(8)]
    f = write_ppm("plot.ppm", images[0])
    mean, std = fitted(images)
    stats = write_stats("plot.json", "RGB", 1 / 255, mean, std)
    out = path("report.png")
    r = run(["check", "--stats", stats, f, "--plot", out])
    assert r.returncode == 0 and f"plot: {out}" in r.stdout, r
    assert png_size(out) == (960, 40 + 180 * 3)
    px = png_pixels(out)
    assert px.shape == (540 + 40, 960, 3), px.shape
    # Bars in each channel's colour on a white background: red dominant somewhere in the first row.
    assert (px == 255).all(axis=2).mean() > 0.5, "mostly white"
    red = (px[..., 0] > 150) & (px[..., 1] < 80) & (px[..., 2] < 80)
    blue = (px[..., 2] > 150) & (px[..., 0] < 80)
    assert red[40:220].sum() > 500 and blue[400:].sum() > 500 and red[400:].sum() == 0, "bars in channel colours"
    gray = np.full((16, 16, 1), 77, np.uint8)
    g = write_raw("flat.gray", gray)
    gs = write_stats("flat.json", "GRAY", 1 / 255, [0.3], [0.2])
    r = run(["check", "--stats", gs, "--raw", "16x16:gray8", g, "--plot", path("gray.png")])
    assert r.returncode == EXIT_WARNING and "std 0" in r.stdout, r  # a constant image does not vary
    assert png_size(path("gray.png")) == (960, 220)


@test
def check_failures():
    out = path("checkfail/report.png")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    color = write_ppm("c.ppm", tinted(9, 8, 8))
    gray = write_raw("g8.gray", np.zeros(64, np.uint8))
    expect_failure(["check", "--preset", "imagenet", "--plot", out], 2, ["no images"], out)
    expect_failure(["check", color, "--plot", out], 2, ["--stats"], out)
    expect_failure(["check", "--preset", "imagenet", "--stats", color, color, "--plot", out], 2, ["--preset"], out)
    expect_failure(["check", "--preset", "imagenet", "--raw", "8x8:gray8", gray, "--plot", out], 1,
                   ["g8.gray", "gray"], out)
    expect_failure(["check", "--preset", "imagenet", color, path("nothere.png"), "--plot", out], 1, ["nothere.png"],
                   out)
    expect_failure(["check", "--preset", "imagenet", "--raw", "9x8:rgb8", gray, "--plot", out], 1, ["g8.gray"], out)
    expect_failure(["check", "--stats", path("nope.json"), color, "--plot", out], 1, ["nope.json"], out)
    r = run(["check", "--preset", "imagenet", color, "--plot", path("no/dir/r.png")])
    assert r.returncode == 1 and "no/dir" in r.stderr, r


def main():
    return cli_harness.main(globals(), TESTS, "pixnorm_stats_", extra=("CC", "CXX"))


if __name__ == "__main__":
    sys.exit(main())
