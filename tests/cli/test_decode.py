"""Decoding as the training pipelines decode: pixnorm's pixels against Pillow 9.4's
np.asarray(Image.open(path).convert('RGB')) (and convert('L')), byte for byte, on real photos
(the bundled samples, a photo Debian ships as sample data, re-encoded variants of them) and on
generated grayscale, gray+alpha, 1-bit, palette, CMYK and 16-bit images; OpenCV agrees on ordinary
JPEGs. Corrupt PNGs (bit flips in the compressed data), truncated JPEGs and files that are not
regular files are refused with a message naming them.

Usage: test_decode.py PIXNORM DATA_DIR CORPUS_DIR. PIXNORM_CLI_TEST=name runs one test.
Needs numpy, Pillow (python3-pil) and OpenCV (python3-opencv): .ci/install-deps --test."""
import glob
import json
import os
import struct
import subprocess
import sys
import warnings
import zlib

import numpy as np
from PIL import Image

import cli_harness

PIXNORM = DATA = CORPUS = WORK = None
TESTS = []
# A photo Debian ships (python-matplotlib-data, in .ci/install-deps --test).
DEBIAN_PHOTOS = ["/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg",
                 "/usr/share/matplotlib/mpl-data/sample_data/logo2.png",
                 "/usr/share/matplotlib/mpl-data/sample_data/Minduka_Present_Blue_Pack.png"]
warnings.simplefilter("ignore")  # Pillow's note on palette transparency given as bytes


def test(fn):
    TESTS.append(fn)
    return fn


def run(args, **kw):
    return subprocess.run([PIXNORM] + [str(a) for a in args], capture_output=True, text=True, **kw)


def gray_stats():
    path = os.path.join(WORK, "gray_unit.json")
    if not os.path.exists(path):
        with open(path, "w") as f:
            json.dump({"format": "pixnorm-stats", "version": 1, "channel_order": "GRAY", "rescale": 1 / 255,
                       "mean": [0.0], "std": [1.0], "epsilon": 0.0}, f)
    return path


def decoded(path, gray=False, flags=()):
    """The pixels pixnorm decodes: apply in rescale mode (x / 255 in float32, NHWC), times 255
    and rounded, which is exact for every uint8 value."""
    out = os.path.join(WORK, "decoded.npy")
    stats = ["--stats", gray_stats()] if gray else ["--preset", "unit"]
    r = run(["apply", *stats, "--mode", "rescale", "--layout", "nhwc", *flags, path, "-o", out, "-q"])
    assert r.returncode == 0, f"{path}: exit {r.returncode}: {r.stderr}"
    x = np.load(out)[0] * 255
    assert np.abs(x - np.rint(x)).max() < 1e-3, path
    return np.rint(x).astype(np.uint8)


def pillow(path, mode="RGB"):
    with Image.open(path) as im:
        a = np.asarray(im.convert(mode))
    return a[..., None] if a.ndim == 2 else a


# ---------------------------------------------------------------- generated files

def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def write_png(path, samples, color_type, depth, plte=None, trns=None):
    """A PNG of `samples` (H, W, C integers) with the given colour type and bit depth, written by
    hand: Pillow cannot write 16-bit colour, gray+alpha of 16 bits or 2-bit gray."""
    h, w = samples.shape[:2]
    flat = samples.reshape(h, -1)
    rows = []
    for y in range(h):
        if depth == 16:
            row = flat[y].astype(">u2").tobytes()
        elif depth == 8:
            row = flat[y].astype(np.uint8).tobytes()
        else:
            bits = "".join(format(int(v), f"0{depth}b") for v in flat[y])
            bits += "0" * (-len(bits) % 8)
            row = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))
        rows.append(b"\0" + row)
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 0))
    if plte is not None:
        data += png_chunk(b"PLTE", bytes(np.asarray(plte, np.uint8).reshape(-1)))
    if trns is not None:
        data += png_chunk(b"tRNS", trns)
    data += png_chunk(b"IDAT", zlib.compress(b"".join(rows))) + png_chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)
    return path


def photos():
    """The real photos: bundled samples and Debian's sample photo."""
    found = sorted(glob.glob(os.path.join(DATA, "*.jpg")) + glob.glob(os.path.join(DATA, "*.png")))
    missing = [p for p in DEBIAN_PHOTOS if not os.path.exists(p)]
    assert not missing, f"missing {missing}: install python-matplotlib-data (.ci/install-deps --test)"
    return found + DEBIAN_PHOTOS


def variants():
    """Re-encoded real photos in the forms training sets hold, and generated images of every
    PNG colour type and depth. Returns the paths (made once)."""
    folder = os.path.join(WORK, "variants")
    if os.path.isdir(folder):
        return sorted(glob.glob(os.path.join(folder, "*")))
    os.makedirs(folder)
    sources = [p for p in photos() if os.path.basename(p) in ("astronaut.png", "chelsea.png", "rocket.jpg",
                                                              "grace_hopper.jpg", "coffee.jpg")]
    for src in sources:
        stem = os.path.splitext(os.path.basename(src))[0]
        with Image.open(src) as im:
            rgb = im.convert("RGB")
        odd = rgb.crop((3, 5, min(rgb.width, 3 + 201), min(rgb.height, 5 + 147)))  # partial MCUs at the edges
        for name, im, kw in (("q75-420", rgb, dict(quality=75, subsampling=2)),
                             ("q90-422", rgb, dict(quality=90, subsampling=1)),
                             ("q95-444", rgb, dict(quality=95, subsampling=0)),
                             ("progressive", rgb, dict(quality=85, progressive=True)),
                             ("optimized-odd", odd, dict(quality=80, optimize=True)),
                             ("gray", rgb.convert("L"), dict(quality=90)),
                             ("gray-progressive", rgb.convert("L"), dict(quality=70, progressive=True)),
                             ("cmyk", rgb.convert("CMYK"), dict(quality=90)),
                             ("cmyk-odd", odd.convert("CMYK"), dict(quality=60))):
            im.save(os.path.join(folder, f"{stem}-{name}.jpg"), **kw)
        small = rgb.resize((97, 61))
        small.convert("L").save(os.path.join(folder, f"{stem}-L.png"))
        small.convert("LA").save(os.path.join(folder, f"{stem}-LA.png"))
        small.convert("1").save(os.path.join(folder, f"{stem}-1bit.png"))
        small.convert("RGBA").save(os.path.join(folder, f"{stem}-RGBA.png"))
        small.quantize(256).save(os.path.join(folder, f"{stem}-P256.png"))
        small.quantize(16).save(os.path.join(folder, f"{stem}-P16.png"), bits=4)
        p = small.quantize(64)
        p.info["transparency"] = 3
        p.save(os.path.join(folder, f"{stem}-P64-trns.png"), transparency=3)
    rng = np.random.default_rng(7)
    gray16 = rng.integers(0, 65536, (23, 31, 1))
    gray16[0, :6, 0] = [0, 1, 254, 255, 256, 65535]  # Pillow's mode "I": clipped to 255 in convert
    write_png(os.path.join(folder, "gen-gray16.png"), gray16, 0, 16)
    write_png(os.path.join(folder, "gen-gray16-small-values.png"), rng.integers(0, 256, (9, 14, 1)), 0, 16)
    write_png(os.path.join(folder, "gen-rgb16.png"), rng.integers(0, 65536, (17, 29, 3)), 2, 16)
    write_png(os.path.join(folder, "gen-la16.png"), rng.integers(0, 65536, (13, 11, 2)), 4, 16)
    write_png(os.path.join(folder, "gen-rgba16.png"), rng.integers(0, 65536, (12, 19, 4)), 6, 16)
    for depth in (1, 2, 4):
        write_png(os.path.join(folder, f"gen-gray{depth}.png"), rng.integers(0, 1 << depth, (15, 21, 1)), 0, depth)
        write_png(os.path.join(folder, f"gen-palette{depth}.png"), rng.integers(0, 1 << depth, (15, 21, 1)), 3,
                  depth, plte=rng.integers(0, 256, (1 << depth, 3)))
    # Indices past the palette's end: Pillow's palette is a gray ramp there.
    write_png(os.path.join(folder, "gen-palette-short.png"), rng.integers(0, 256, (16, 16, 1)), 3, 8,
              plte=rng.integers(0, 256, (5, 3)), trns=bytes([0, 128]))
    write_png(os.path.join(folder, "gen-gray-trns.png"), rng.integers(0, 256, (8, 8, 1)), 0, 8, trns=b"\0\x05")
    return sorted(glob.glob(os.path.join(folder, "*")))


def corpus_seeds():
    """The fuzz corpus' valid JPEG and PNG seeds: interlaced, restart markers, low bit depths."""
    return sorted(p for p in glob.glob(os.path.join(CORPUS, "*")) if p.endswith((".jpg", ".png"))
                  and not os.path.basename(p).startswith(("bad-", "regress-")))


# ---------------------------------------------------------------- tests

@test
def identical_to_pillow():
    files = photos() + variants() + corpus_seeds()
    samples = 0
    for path in files:
        got, want = decoded(path), pillow(path)
        assert got.shape == want.shape, (path, got.shape, want.shape)
        diff = np.count_nonzero(got != want)
        assert diff == 0, f"{path}: {diff} of {got.size} samples differ from Pillow's, by up to " \
                          f"{np.abs(got.astype(int) - want).max()}"
        samples += got.size
    print(f"      {len(files)} images, {samples} samples, all identical to Pillow {Image.__version__}'s "
          f"convert('RGB')")


@test
def gray_statistics_take_pillows_L():
    files = [p for p in photos() + variants() + corpus_seeds()]
    for path in files:
        got, want = decoded(path, gray=True), pillow(path, "L")
        assert np.array_equal(got, want), f"{path}: differs from Pillow's convert('L') in " \
                                          f"{np.count_nonzero(got != want)} samples"


@test
def refusals_as_pillow():
    """Every JPEG of the fuzz corpus, damaged ones included, is refused exactly when Pillow
    refuses it, and decodes to Pillow's pixels otherwise. PNGs: pixnorm refuses whatever Pillow
    refuses, and more (a wrong IDAT CRC or Adler-32 Pillow does not check, data past the
    image's, a missing IEND)."""
    stricter = []
    for path in sorted(glob.glob(os.path.join(CORPUS, "*.jpg")) + glob.glob(os.path.join(CORPUS, "*.png"))):
        r = run(["apply", "--preset", "unit", "--mode", "rescale", "--layout", "nhwc", path, "-o",
                 os.path.join(WORK, "r.npy"), "-q"])
        try:
            want = pillow(path)
        except Exception:
            want = None
        if r.returncode == 0 and want is not None:
            got = np.rint(np.load(os.path.join(WORK, "r.npy"))[0] * 255).astype(np.uint8)
            assert np.array_equal(got, want), f"{path}: decoded unlike Pillow"
        elif r.returncode == 0:
            raise AssertionError(f"{path}: Pillow refuses it, pixnorm decodes it")
        else:
            assert r.returncode == 1 and r.stderr.startswith(f"pixnorm: {path}: "), r.stderr
            if want is not None:
                assert path.endswith(".png"), f"{path}: refused ({r.stderr.strip()}), but Pillow decodes it"
                stricter.append(os.path.basename(path))
    print(f"      refused though Pillow decodes them: {', '.join(stricter) or 'none'}")


@test
def opencv_agrees_on_jpegs():
    import cv2
    jpegs = [p for p in photos() + variants() if p.endswith(".jpg") and "cmyk" not in p and "gray" not in p]
    for path in jpegs:
        ref = cv2.imread(path, cv2.IMREAD_COLOR)[..., ::-1]
        assert np.array_equal(decoded(path), ref), f"{path}: differs from cv2.imread"
    print(f"      {len(jpegs)} JPEGs identical to OpenCV {cv2.__version__}'s imread")


@test
def stb_differs_on_jpegs():
    """What the comparison switch PIXNORM_DECODER=stb (the decoder before) gives: stb_image's
    JPEG decoding is not libjpeg's. Reported, and proves the switch reaches stb."""
    jpegs = [p for p in photos() + variants() if p.endswith(".jpg") and "cmyk" not in p]
    differing = total = worst = 0
    env = dict(os.environ, PIXNORM_DECODER="stb")
    for path in jpegs:
        out = os.path.join(WORK, "stb.npy")
        r = subprocess.run([PIXNORM, "apply", "--preset", "unit", "--mode", "rescale", "--layout", "nhwc", path,
                            "-o", out, "-q"], capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
        got = np.rint(np.load(out)[0] * 255).astype(int)
        want = pillow(path).astype(int)
        differing += np.count_nonzero(got != want)
        total += got.size
        worst = max(worst, np.abs(got - want).max())
    assert differing > 0, "PIXNORM_DECODER=stb gave Pillow's pixels: the switch does not reach stb_image"
    print(f"      stb_image: {differing} of {total} samples ({100 * differing / total:.2f}%) differ from Pillow's, "
          f"by up to {worst}")


def quietly(fn):
    """fn() with file descriptor 2 silenced: OpenCV's libpng prints every error it meets."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            return fn()
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@test
def exif_orientation():
    """--exif apply turns JPEGs and PNGs as Pillow's ImageOps.exif_transpose (and, for JPEGs,
    cv2.imread) do; by default the orientation is ignored, as Image.open does."""
    import cv2
    from PIL import ImageOps
    with Image.open(os.path.join(DATA, "rocket.jpg")) as im:
        base = im.convert("RGB").crop((100, 50, 100 + 61, 50 + 37))  # not square
    folder = os.path.join(WORK, "exif")
    os.makedirs(folder)
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        for ext in ("jpg", "png"):
            path = os.path.join(folder, f"o{orientation}.{ext}")
            base.save(path, exif=exif.tobytes(), **({"quality": 90} if ext == "jpg" else {}))
            with Image.open(path) as im:
                assert im.getexif().get(0x0112) == orientation, path
                want = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
            got = decoded(path, flags=("--exif", "apply"))
            assert np.array_equal(got, want), f"{path}: --exif apply differs from exif_transpose"
            assert np.array_equal(decoded(path), pillow(path)), f"{path}: the default must ignore the orientation"
            if ext == "jpg":
                assert np.array_equal(got, cv2.imread(path, cv2.IMREAD_COLOR)[..., ::-1]), path
    # Oriented images of one size in one tensor, with a resize: the plan sees the turned size.
    out = os.path.join(WORK, "exif.npy")
    r = run(["apply", "--preset", "imagenet", "--exif", "apply", "--resize", "20x30",
             *[os.path.join(folder, f"o{o}.jpg") for o in range(1, 9)], "-o", out])
    assert r.returncode == 0 and np.load(out).shape == (8, 3, 30, 20), r.stderr
    r = run(["apply", "--preset", "imagenet", "--exif", "rotate", os.path.join(folder, "o1.jpg"), "-o", out])
    assert r.returncode == 2 and "--exif" in r.stderr, r.stderr


def idat_span(data):
    pos = 8
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            return pos + 8, n
        pos += 12 + n
    raise AssertionError("no IDAT")


@test
def png_bit_flips_refused():
    import cv2
    for src in (os.path.join(DATA, "astronaut.png"), os.path.join(DATA, "chelsea.png")):
        data = open(src, "rb").read()
        start, n = idat_span(data)
        accepted, pil_accepted, cv_accepted = [], 0, 0
        for i in range(60):
            flipped = bytearray(data)
            flipped[start + 2 + (n - 6) * i // 60] ^= 1 << (i % 8)  # inside the deflate data
            path = os.path.join(WORK, f"flip{i}.png")
            with open(path, "wb") as f:
                f.write(flipped)
            r = run(["apply", "--preset", "imagenet", path, "-o", os.path.join(WORK, "flip.npy")])
            if r.returncode == 0:
                accepted.append(i)
            else:
                assert r.returncode == 1 and r.stderr.startswith(f"pixnorm: {path}: cannot decode: corrupt PNG"), \
                    r.stderr
            try:
                with Image.open(path) as im:
                    im.convert("RGB")
                pil_accepted += 1
            except Exception:
                pass
            cv_accepted += quietly(lambda: cv2.imread(path)) is not None
            os.remove(path)
        assert not accepted, f"{src}: {len(accepted)} of 60 variants with a flipped bit accepted: {accepted}"
        print(f"      {os.path.basename(src)}: 60 bit flips, all refused (Pillow accepts {pil_accepted}, "
              f"OpenCV {cv_accepted})")


@test
def png_crc_errors_refused():
    data = bytearray(open(os.path.join(DATA, "chelsea.png"), "rb").read())
    # A bad CRC on IHDR and on an ancillary chunk, the data untouched: both refused.
    bad_ihdr = bytearray(data)
    bad_ihdr[8 + 8 + 13] ^= 1
    text = png_chunk(b"tEXt", b"Comment\0hello")
    bad_text = bytes(data[:33]) + text[:-1] + bytes([text[-1] ^ 1]) + bytes(data[33:])
    for name, content in (("bad-ihdr-crc.png", bad_ihdr), ("bad-text-crc.png", bad_text)):
        path = os.path.join(WORK, name)
        with open(path, "wb") as f:
            f.write(content)
        r = run(["apply", "--preset", "imagenet", path, "-o", os.path.join(WORK, "x.npy")])
        assert r.returncode == 1 and f"pixnorm: {path}: cannot decode: corrupt PNG" in r.stderr \
            and "CRC" in r.stderr, r.stderr


@test
def truncated_jpeg_as_pillow():
    """Pillow refuses a JPEG whose data ends early (ImageFile.LOAD_TRUNCATED_IMAGES is False by
    default), even one that lacks only its end-of-image marker: so does pixnorm."""
    data = open(os.path.join(DATA, "rocket.jpg"), "rb").read()
    assert data.endswith(b"\xff\xd9")
    for name, size in (("cut.jpg", len(data) * 2 // 3), ("no_eoi.jpg", len(data) - 2)):
        cut = os.path.join(WORK, name)
        with open(cut, "wb") as f:
            f.write(data[:size])
        r = run(["apply", "--preset", "imagenet", cut, "-o", os.path.join(WORK, "x.npy")])
        assert r.returncode == 1 and r.stderr.strip() == f"pixnorm: {cut}: cannot decode: truncated JPEG", r.stderr
        try:
            pillow(cut)
            raise AssertionError(f"Pillow decoded {name}")
        except OSError:
            pass


@test
def not_regular_files_refused():
    fifo = os.path.join(WORK, "x.png")
    os.mkfifo(fifo)
    folder = os.path.join(WORK, "d.png")
    os.mkdir(folder)
    out = os.path.join(WORK, "x.npy")
    for path, what in ((fifo, "a FIFO"), (folder, "a directory"), ("/dev/null", "a device")):
        for cmd in (["apply", "--preset", "imagenet", path, "-o", out], ["check", "--preset", "imagenet", path]):
            # A FIFO without a writer blocks an open() for reading: the timeout catches a regression.
            r = run(cmd, timeout=20)
            assert r.returncode == 1 and r.stderr.strip() == f"pixnorm: {path}: not a regular file ({what})", \
                (cmd, r.stderr)
    os.remove(fifo)


@test
def every_kind_under_rgb_statistics():
    """apply, check and fit take every kind of image with RGB statistics, no flag needed, and fit
    counts the kinds in its summary."""
    folder = os.path.join(WORK, "mixed")
    os.makedirs(folder)
    by_kind = {"RGB": "rocket-q75-420.jpg", "grayscale": "chelsea-gray.jpg", "CMYK": "astronaut-cmyk.jpg",
               "palette": "chelsea-P64-trns.png", "gray+alpha": "astronaut-LA.png", "1-bit": "chelsea-1bit.png",
               "RGBA": "astronaut-RGBA.png"}
    variant_dir = os.path.dirname(variants()[0])
    paths = []
    for name in by_kind.values():
        paths.append(os.path.join(folder, name))
        with open(os.path.join(variant_dir, name), "rb") as src, open(paths[-1], "wb") as dst:
            dst.write(src.read())
    # apply: one batch of every kind (resized to one size).
    out = os.path.join(WORK, "batch.npy")
    r = run(["apply", "--preset", "imagenet", "--resize", "32x32", *paths, "-o", out])
    assert r.returncode == 0 and np.load(out).shape == (len(paths), 3, 32, 32), r.stderr
    r = run(["check", "--preset", "imagenet", *paths])
    assert r.returncode in (0, 3), r.stderr  # 3: the photos are not ImageNet's statistics
    stats = os.path.join(WORK, "mixed.json")
    r = run(["fit", folder, "-o", stats])
    assert r.returncode == 0, r.stderr
    line = [x for x in r.stderr.splitlines() if x.startswith("pixnorm: decoded: ")]
    assert len(line) == 1 and line[0].endswith("; converted to RGB as Pillow's convert('RGB') does"), r.stderr
    counts = dict(reversed(part.split(" ", 1)) for part in line[0][len("pixnorm: decoded: "):].split(";")[0]
                  .split(", "))
    assert counts == {kind: "1" for kind in by_kind}, counts
    # The exact sums of Pillow's pixels.
    with open(stats) as f:
        doc = json.load(f)
    arrays = [pillow(p).reshape(-1, 3).astype(np.int64) for p in sorted(paths)]
    all_pixels = np.concatenate(arrays)
    assert doc["accumulators"]["sum"] == [str(int(v)) for v in all_pixels.sum(0)], doc["accumulators"]
    assert doc["accumulators"]["sum_sq"] == [str(int(v)) for v in (all_pixels ** 2).sum(0)], doc["accumulators"]


def main():
    global CORPUS
    return cli_harness.main(globals(), TESTS, "pixnorm_decode_", extra=("CORPUS",))


if __name__ == "__main__":
    sys.exit(main())
