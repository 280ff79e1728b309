"""Fidelity of the cv-* and torch-* interpolations and of Keras' load_img recipe on real photos,
against the libraries installed from Debian: OpenCV 4.6 (cv2.resize, INTER_LINEAR_EXACT and
INTER_CUBIC: byte for byte), torchvision 0.14 (F.resize on uint8 tensors, bilinear and bicubic
with antialias, bicubic without: within 1), at down- and up-scaling factors, with Resize(N) +
CenterCrop, the flip, every backend; and keras_preprocessing's load_img(target_size=...,
interpolation=...) against `apply --stats` of `stats import --from keras --target-size
--interpolation` (pixnorm decoding the file itself: byte for byte). Photos: examples/data and
python-matplotlib-data's sample images (landscape, portrait, grayscale, RGBA, odd sizes).
The matrix (pipeline x max difference, share exact) is printed at the end.

usage: test_fw.py PIXNORM DATA_DIR   (Debian's /usr/bin/python3 with numpy, PIL, cv2, torchvision,
keras_preprocessing)
"""
import json
import os
import subprocess
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness  # noqa: E402

try:
    from PIL import Image
except ImportError:
    sys.exit("test_fw.py: PIL is missing: run .ci/install-deps --test (python3-pil)")

PIXNORM = DATA = WORK = None
DEBIAN = "/usr/share/matplotlib/mpl-data/sample_data"  # python-matplotlib-data (.ci/install-deps --test)
PHOTOS = ["rocket.jpg", "astronaut.png", "camera.png", os.path.join(DEBIAN, "grace_hopper.jpg"),
          os.path.join(DEBIAN, "logo2.png"), os.path.join(DEBIAN, "Minduka_Present_Blue_Pack.png")]
CV = ["cv-linear-exact", "cv-cubic"]
TORCH = ["torch-bilinear-aa", "torch-bicubic-aa", "torch-bicubic"]
EXACT = set(CV) | {"keras"}
# (x factor, y factor): shrinking, growing, one axis alone, mixed, exactly half
FACTORS = [(0.1, 0.1), (0.25, 0.3), (0.5, 0.5), (0.73, 0.81), (1.0, 0.6), (1.3, 1.7), (2.0, 2.0), (0.6, 2.2)]
BACKENDS = ["scalar", "highway", "xsimd"]
matrix = {}  # pipeline -> [max difference, exact samples, samples]
warnings.filterwarnings("ignore")


def photo_path(p):
    return p if os.path.isabs(p) else os.path.join(DATA, p)


def images():
    """(name, PIL image): the photos (RGBA as convert('RGB')) and odd-sized crops of two of them."""
    out = []
    for p in PHOTOS:
        path = photo_path(p)
        if not os.path.exists(path):
            raise AssertionError(f"missing {path}: install python-matplotlib-data (.ci/install-deps --test)")
        img = Image.open(path)
        out.append((os.path.basename(p), img if img.mode == "L" else img.convert("RGB")))
    rocket = dict(out)["rocket.jpg"]
    out.append(("rocket 333x211", rocket.crop((101, 37, 434, 248))))
    out.append(("grace_hopper 171x299", dict(out)["grace_hopper.jpg"].crop((77, 150, 248, 449))))
    return out


def backends():
    r = subprocess.run([PIXNORM, "info"], capture_output=True, text=True)
    lines = [line.split() for line in r.stdout.splitlines()]
    return [b for b in BACKENDS if any(l[:2] == [b, "available;"] for l in lines)]


def pixels(arr, args, backend="auto"):
    """pixnorm's resampled uint8 samples (HWC) of a raw RGB or gray image."""
    h, w = arr.shape[:2]
    fmt = "gray8" if arr.ndim == 2 else "rgb8"
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


def compare(got, ref, what, pipeline):
    ref = np.asarray(ref)
    if ref.ndim == 2:
        ref = ref[:, :, None]
    assert got.shape == ref.shape, f"{what}: shape {got.shape}, reference {ref.shape}"
    d = np.abs(got.astype(np.int32) - ref.astype(np.int32))
    m = matrix.setdefault(pipeline, [0, 0, 0])
    m[0] = max(m[0], int(d.max()))
    m[1] += int((d == 0).sum())
    m[2] += d.size
    limit = 0 if pipeline.split(" ")[0] in EXACT else 1
    assert d.max() <= limit, f"{what}: max difference {d.max()}, {(d != 0).mean():.4%} of the samples differ"


def cv_resize(arr, size, name):
    import cv2
    return cv2.resize(arr, size, interpolation={"cv-linear-exact": cv2.INTER_LINEAR_EXACT,
                                                "cv-cubic": cv2.INTER_CUBIC}[name])


def torch_resize(arr, size, name):
    """torchvision.transforms.functional.resize of the uint8 tensor (C, H, W); size (w, h) or an int."""
    import torch
    import torchvision.transforms.functional as F
    from torchvision.transforms import InterpolationMode as IM
    t = torch.from_numpy(np.ascontiguousarray(arr))
    t = t[None] if t.ndim == 2 else t.permute(2, 0, 1)
    mode = IM.BILINEAR if name == "torch-bilinear-aa" else IM.BICUBIC
    s = [size] if isinstance(size, int) else [size[1], size[0]]
    out = F.resize(t, s, mode, antialias=name != "torch-bicubic")
    return out.permute(1, 2, 0).numpy()


def reference(arr, size, name):
    return cv_resize(arr, size, name) if name in CV else torch_resize(arr, size, name)


def test_every_interp_and_factor():
    for name, img in images():
        arr = np.asarray(img)
        h, w = arr.shape[:2]
        for interp in CV + TORCH:
            for fx, fy in FACTORS:
                ow, oh = max(1, round(w * fx)), max(1, round(h * fy))
                got = pixels(arr, ["--resize", f"{ow}x{oh}", "--interp", interp])
                compare(got, reference(arr, (ow, oh), interp), f"{name} {interp} {w}x{h} -> {ow}x{oh}",
                        f"{interp} {'down' if ow * oh < w * h else 'up'}")


def test_resize_short_center_crop_and_flip():
    """Resize(N) then CenterCrop(C) (offsets rounded, as torchvision), and the flip."""
    for name, img in images()[:4]:
        arr = np.asarray(img)
        h, w = arr.shape[:2]
        for interp in CV + TORCH:
            for short, crop in [(256, 224), (232, 224), (120, 97)]:
                rw, rh = (short, short * h // w) if w <= h else (short * w // h, short)
                full = np.asarray(reference(arr, (rw, rh), interp))
                top, left = int(round((rh - crop) / 2.0)), int(round((rw - crop) / 2.0))
                ref = full[top:top + crop, left:left + crop]
                got = pixels(arr, ["--resize", f"{crop}x{crop}", "--crop", "center", "--resize-short", short,
                                   "--interp", interp])
                compare(got, ref, f"{name} {interp} resize-short {short} crop {crop}", f"{interp} short+crop")
            got = pixels(arr, ["--resize", "200x150", "--interp", interp, "--flip"])
            ref = np.asarray(reference(arr, (200, 150), interp))[:, ::-1]
            compare(got, ref, f"{name} {interp} flip", f"{interp} down")


def test_backends_agree_with_the_libraries():
    img = Image.open(os.path.join(DATA, "rocket.jpg")).convert("RGB")
    arr = np.asarray(img)
    for b in backends():
        for interp in CV + TORCH:
            for ow, oh in [(224, 224), (211, 97), (901, 603)]:
                got = pixels(arr, ["--resize", f"{ow}x{oh}", "--interp", interp], backend=b)
                compare(got, reference(arr, (ow, oh), interp), f"{b} {interp} -> {ow}x{oh}",
                        f"{interp} {'down' if ow < 640 else 'up'}")


def test_keras_load_img_recipe():
    """load_img(path, target_size=(h, w), interpolation=NAME) against apply --stats of the import."""
    from keras_preprocessing.image import load_img
    np.save(os.path.join(WORK, "zero.npy"), np.zeros(3, np.float32))
    np.save(os.path.join(WORK, "one.npy"), np.ones(3, np.float32))
    stats = os.path.join(WORK, "keras.json")
    for p in PHOTOS:
        path = photo_path(p)
        for tw, th in [(224, 224), (150, 100), (333, 500)]:
            for interp in ["nearest", "bilinear", "bicubic", "lanczos", "box", "hamming"]:
                r = subprocess.run([PIXNORM, "stats", "import", "--from", "keras", os.path.join(WORK, "zero.npy"),
                                    os.path.join(WORK, "one.npy"), "--units", "raw", "--target-size", f"{tw}x{th}",
                                    "--interpolation", interp, "-o", stats], capture_output=True, text=True)
                assert r.returncode == 0, r.stderr
                out = os.path.join(WORK, "keras.npy")
                r = subprocess.run([PIXNORM, "apply", "-q", "--stats", stats, "--layout", "nhwc", path, "-o", out],
                                   capture_output=True, text=True, timeout=120)
                assert r.returncode == 0, r.stderr
                got = np.load(out)[0]
                assert np.all(got == np.round(got)), "mean 0, std 1 should leave the samples whole"
                ref = np.asarray(load_img(path, target_size=(th, tw), interpolation=interp))
                compare(got.astype(np.uint8), ref, f"keras {os.path.basename(p)} {interp} {tw}x{th}",
                        f"keras {interp}")


def test_recipe_carries_the_new_interps():
    """A statistics file whose recipe names each new interpolation: stats show and the C header
    print it, apply --stats on the photo file uses it (Resize(256) + CenterCrop(224) as the
    library computes it on the decoded image), a misspelt name is refused with the field named."""
    path = os.path.join(DATA, "rocket.jpg")
    arr = np.asarray(Image.open(path).convert("RGB"))
    stats = os.path.join(WORK, "recipe.json")
    for value, interp in enumerate(CV + TORCH):
        doc = {"format": "pixnorm-stats", "version": 1, "channel_order": "RGB", "rescale": 1.0, "mean": [0, 0, 0],
               "std": [1, 1, 1], "preprocess": {"version": 1, "resize_short": 256, "interp": interp,
                                                "crop": {"width": 224, "height": 224}, "crop_rounding": "round"}}
        with open(stats, "w") as f:
            json.dump(doc, f)
        r = subprocess.run([PIXNORM, "stats", "show", stats], capture_output=True, text=True)
        assert r.returncode == 0 and f"({interp})" in r.stdout, (interp, r.stdout, r.stderr)
        header = os.path.join(WORK, "recipe_stats.h")
        r = subprocess.run([PIXNORM, "stats", "export", stats, "--c-header", "-o", header], capture_output=True,
                           text=True)
        assert r.returncode == 0, r.stderr
        macro = "PIXNORM_INTERP_" + interp.upper().replace("-", "_")
        with open(header) as f:
            line = f"#define RECIPE_STATS_INTERP {9 + value} /* {macro} (\"{interp}\")"
            assert line in f.read(), line
        out = os.path.join(WORK, "recipe.npy")
        r = subprocess.run([PIXNORM, "apply", "-q", "--stats", stats, "--layout", "nhwc", path, "-o", out],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        got = np.load(out)[0]
        assert np.all(got == np.round(got))
        h, w = arr.shape[:2]
        rw, rh = (256, 256 * h // w) if w <= h else (256 * w // h, 256)
        top, left = int(round((rh - 224) / 2.0)), int(round((rw - 224) / 2.0))
        ref = np.asarray(reference(arr, (rw, rh), interp))[top:top + 224, left:left + 224]
        compare(got.astype(np.uint8), ref, f"apply --stats with {interp}", f"{interp} short+crop")
    doc["preprocess"]["interp"] = "torch-bicubic-antialias"
    with open(stats, "w") as f:
        json.dump(doc, f)
    r = subprocess.run([PIXNORM, "stats", "show", stats], capture_output=True, text=True)
    assert r.returncode != 0 and "preprocess.interp" in r.stderr, r.stderr


def report():
    if not matrix:
        return
    print("      pipeline                       max difference   share exact   samples")
    for k in sorted(matrix):
        m = matrix[k]
        print(f"      {k:<30} {m[0]:>14}   {m[1] / m[2]:>11.6f}   {m[2]:>7}")


TESTS = [test_every_interp_and_factor, test_resize_short_center_crop_and_flip, test_backends_agree_with_the_libraries,
         test_keras_load_img_recipe, test_recipe_carries_the_new_interps]


def main():
    return cli_harness.main(globals(), TESTS, "pixnorm_fw_", epilogue=report)


if __name__ == "__main__":
    sys.exit(main())
