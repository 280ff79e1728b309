"""Fidelity of the pil-* interpolations against the real Pillow (Debian's python3-pil, 9.4):
`pixnorm apply --mode rescale` (f = x, the resampled uint8 samples) compared byte for byte with
np.asarray(img.resize(...)) on the sample photos and generated odd-sized RGB and grayscale
images, every filter at down- and up-scaling factors on every backend, plus torchvision's
Resize(256) + CenterCrop(224), ImageOps.fit (center crop), a region (Image.crop then resize),
the flip, RGBA/BGR sources and YUV refusal-free conversion. The inputs are given as raw pixels
decoded by PIL, so that only the resampling is compared.

usage: test_pil.py PIXNORM DATA_DIR   (Debian's /usr/bin/python3 with numpy and PIL)
"""
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness  # noqa: E402

try:
    from PIL import Image, ImageOps
except ImportError:
    Image = None

PIXNORM = DATA = WORK = None
PHOTOS = ["rocket.jpg", "chelsea.png", "astronaut.png", "coffee.jpg"]
FILTERS = ["pil-nearest", "pil-box", "pil-bilinear", "pil-hamming", "pil-bicubic", "pil-lanczos"]
# (x factor, y factor): shrinking, growing, one axis alone, mixed
FACTORS = [(0.1, 0.1), (0.25, 0.3), (0.37, 0.5), (0.5, 0.5), (0.73, 0.81), (1.0, 0.6), (0.7, 1.0), (1.3, 1.7),
           (2.0, 2.0), (4.0, 3.1), (0.6, 2.2)]
BACKENDS = ["scalar", "highway", "xsimd"]
matrix = {}  # (filter, factor) -> [max difference, exact samples, samples]


def pil_filter(name):
    return {"pil-nearest": Image.NEAREST, "pil-box": Image.BOX, "pil-bilinear": Image.BILINEAR,
            "pil-hamming": Image.HAMMING, "pil-bicubic": Image.BICUBIC, "pil-lanczos": Image.LANCZOS}[name]


def backends():
    r = subprocess.run([PIXNORM, "info"], capture_output=True, text=True)
    lines = [line.split() for line in r.stdout.splitlines()]
    return [b for b in BACKENDS if any(l[:2] == [b, "available;"] for l in lines)]


def pixels(arr, fmt, args, backend="auto", size=None):
    """pixnorm's resampled uint8 samples (HWC) of a raw image (size (w, h) for YUV frames)."""
    w, h = size if size else (arr.shape[1], arr.shape[0])
    src = os.path.join(WORK, "src.raw")
    np.ascontiguousarray(arr).tofile(src)
    out = os.path.join(WORK, "out.npy")
    r = subprocess.run([PIXNORM, "apply", "-q", "--mode", "rescale", "--layout", "nhwc", "--backend", backend,
                        "--raw", f"{w}x{h}:{fmt}"] + [str(a) for a in args] + [src, "-o", out],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"pixnorm apply {args}: exit {r.returncode}: {r.stderr}"
    t = np.load(out)[0]
    assert np.all(t == np.round(t)) and t.min() >= 0 and t.max() <= 255
    return t.astype(np.uint8)


def compare(got, ref, what, key=None):
    ref = np.asarray(ref)
    if ref.ndim == 2:
        ref = ref[:, :, None]
    assert got.shape == ref.shape, f"{what}: shape {got.shape}, Pillow {ref.shape}"
    d = np.abs(got.astype(np.int32) - ref.astype(np.int32))
    if key is not None:
        m = matrix.setdefault(key, [0, 0, 0])
        m[0] = max(m[0], int(d.max()))
        m[1] += int((d == 0).sum())
        m[2] += d.size
    assert d.max() == 0, f"{what}: max difference {d.max()}, {(d != 0).mean():.4%} of the samples differ"


def images():
    """(name, PIL image) for the photos and generated odd-sized RGB and grayscale images."""
    out = [(p, Image.open(os.path.join(DATA, p)).convert("RGB")) for p in PHOTOS]
    rng = np.random.default_rng(7)
    # Smooth content with sharp edges and noise: lanczos and bicubic overshoot and clamp.
    y, x = np.mgrid[0:131, 0:97]
    base = (np.sin(x / 5.0) * 90 + np.cos(y / 7.0) * 60 + 128 + rng.normal(0, 20, x.shape))
    base[40:60, 30:50] = 255
    base[70:90, 10:20] = 0
    rgb = np.stack([base, base[::-1], 255 - base], axis=2).clip(0, 255).astype(np.uint8)
    out.append(("generated 97x131", Image.fromarray(rgb)))
    out.append(("generated gray 97x131", Image.fromarray(base.clip(0, 255).astype(np.uint8))))
    out.append(("noise 13x7", Image.fromarray(rng.integers(0, 256, (7, 13, 3), dtype=np.uint8))))
    out.append(("noise 1x5", Image.fromarray(rng.integers(0, 256, (5, 1, 3), dtype=np.uint8))))
    return out


def fmt_of(img):
    return "gray8" if img.mode == "L" else "rgb8"


def test_every_filter_and_factor():
    if Image is None:
        return print("      PIL missing: skipped")
    for name, img in images():
        arr = np.asarray(img)
        w, h = img.size
        for f in FILTERS:
            for fx, fy in FACTORS:
                ow, oh = max(1, round(w * fx)), max(1, round(h * fy))
                if (ow, oh) == (w, h):
                    continue
                ref = img.resize((ow, oh), pil_filter(f))
                got = pixels(arr, fmt_of(img), ["--resize", f"{ow}x{oh}", "--interp", f])
                compare(got, ref, f"{name} {f} {w}x{h} -> {ow}x{oh}", key=(f, f"{fx}x{fy}"))


def test_backends_agree_with_pillow():
    if Image is None:
        return print("      PIL missing: skipped")
    img = Image.open(os.path.join(DATA, "chelsea.png")).convert("RGB")
    arr = np.asarray(img)
    w, h = img.size
    for b in backends():
        for f in FILTERS:
            for fx, fy in [(0.3, 0.45), (1.7, 1.2)]:
                ow, oh = round(w * fx), round(h * fy)
                got = pixels(arr, "rgb8", ["--resize", f"{ow}x{oh}", "--interp", f], backend=b)
                compare(got, img.resize((ow, oh), pil_filter(f)), f"{b} {f} -> {ow}x{oh}")


def test_torchvision_resize_center_crop():
    """torchvision.transforms.Resize(256) + CenterCrop(224) on a PIL image, as one plan."""
    if Image is None:
        return print("      PIL missing: skipped")
    try:
        import torchvision.transforms as T
        from torchvision.transforms import InterpolationMode
    except ImportError:
        return print("      torchvision missing: skipped")
    modes = {"pil-bilinear": InterpolationMode.BILINEAR, "pil-bicubic": InterpolationMode.BICUBIC,
             "pil-nearest": InterpolationMode.NEAREST, "pil-lanczos": InterpolationMode.LANCZOS,
             "pil-box": InterpolationMode.BOX, "pil-hamming": InterpolationMode.HAMMING}
    for name, img in images()[:5]:
        arr = np.asarray(img)
        for f, mode in modes.items():
            for short, crop in [(256, 224), (232, 224), (300, 97)]:
                ref = T.CenterCrop(crop)(T.Resize(short, interpolation=mode)(img))
                got = pixels(arr, "rgb8", ["--resize", f"{crop}x{crop}", "--crop", "center", "--resize-short", short,
                                           "--interp", f])
                compare(got, ref, f"{name} {f} Resize({short}) + CenterCrop({crop})")


def test_fit_region_flip_formats():
    """ImageOps.fit for --crop center alone; Image.crop then resize for a region; the flip;
    RGBA (as convert('RGB')), BGR and GRAY sources."""
    if Image is None:
        return print("      PIL missing: skipped")
    img = Image.open(os.path.join(DATA, "rocket.jpg")).convert("RGB")
    arr = np.asarray(img)
    w, h = img.size
    for f in FILTERS:
        flt = pil_filter(f)
        for ow, oh in [(224, 224), (100, 300), (320, 96)]:
            got = pixels(arr, "rgb8", ["--resize", f"{ow}x{oh}", "--crop", "center", "--interp", f])
            compare(got, ImageOps.fit(img, (ow, oh), flt), f"{f} ImageOps.fit {ow}x{oh}")
        box = (101, 37, 101 + 333, 37 + 211)
        got = pixels(arr, "rgb8", ["--crop", f"333x211+101+37", "--resize", "150x190", "--interp", f])
        compare(got, img.crop(box).resize((150, 190), flt), f"{f} region")
        got = pixels(arr, "rgb8", ["--resize", "200x150", "--interp", f, "--flip"])
        compare(got, np.asarray(img.resize((200, 150), flt))[:, ::-1], f"{f} flip")
        rgba = np.concatenate([arr, np.full(arr.shape[:2] + (1,), 77, np.uint8)], axis=2)
        got = pixels(rgba, "rgba8", ["--resize", "200x150", "--interp", f])
        compare(got, img.resize((200, 150), flt), f"{f} rgba8 source")
        got = pixels(arr[:, :, ::-1], "bgr8", ["--resize", "200x150", "--interp", f])
        compare(got[:, :, ::-1], img.resize((200, 150), flt), f"{f} bgr8 source")
        gray = img.convert("L")
        got = pixels(np.asarray(gray), "gray8", ["--resize", "123x77", "--interp", f])
        compare(got, gray.resize((123, 77), flt), f"{f} gray8 source")


def test_yuv_converted_first():
    """YUV: converted to RGB at full resolution (as pixnorm does without resizing), then resized."""
    if Image is None:
        return print("      PIL missing: skipped")
    rng = np.random.default_rng(3)
    w, h = 64, 48
    frame = rng.integers(16, 236, w * h * 3 // 2, dtype=np.uint8)
    rgb = pixels(frame, "nv12", [], size=(w, h))  # the conversion alone
    img = Image.fromarray(rgb)
    for f in FILTERS:
        got = pixels(frame, "nv12", ["--resize", "40x70", "--interp", f], size=(w, h))
        compare(got, img.resize((40, 70), pil_filter(f)), f"{f} nv12")


def report():
    if not matrix:
        return
    factors = []
    for (_, fac) in matrix:
        if fac not in factors:
            factors.append(fac)
    print("      filter x factor (x by y): max difference / share exact")
    print("      " + "filter".ljust(14) + "".join(f.rjust(12) for f in factors))
    for f in FILTERS:
        cells = []
        for fac in factors:
            m = matrix.get((f, fac))
            cells.append("-" if m is None else f"{m[0]}/{m[1] / m[2]:.4f}")
        print("      " + f.ljust(14) + "".join(c.rjust(12) for c in cells))


TESTS = [test_every_filter_and_factor, test_backends_agree_with_pillow, test_torchvision_resize_center_crop,
         test_fit_region_flip_formats, test_yuv_converted_first]


def main():
    return cli_harness.main(globals(), TESTS, "pixnorm_pil_", epilogue=report)


if __name__ == "__main__":
    sys.exit(main())
