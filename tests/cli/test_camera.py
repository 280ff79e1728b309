"""End-to-end tests of `pixnorm apply` on camera-style work: resizing against OpenCV's
cv2.resize on real photos, YUV frames against a float64 matrix and OpenCV's conversion, the
torchvision and YOLO recipes, f16/int8/uint8 outputs against numpy, and refusals.

usage: test_camera.py PIXNORM DATA_DIR   (Debian's /usr/bin/python3 with numpy and cv2)
"""
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness  # noqa: E402

try:
    import cv2
except ImportError:  # the OpenCV comparisons are skipped, the rest runs
    cv2 = None

PIXNORM = DATA = WORK = None
PHOTOS = ["rocket.jpg", "chelsea.png", "astronaut.png", "coffee.jpg"]
MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])
findings = []


def run(args):
    return subprocess.run([PIXNORM] + [str(a) for a in args], capture_output=True, text=True, cwd=WORK,
                          timeout=120)


def apply(args, name="out.npy"):
    out = os.path.join(WORK, name)
    r = run(["apply", "-q"] + list(args) + ["-o", out])
    assert r.returncode == 0, f"pixnorm apply {args}: exit {r.returncode}: {r.stderr}"
    return np.load(out)


def pixels(args):
    """The uint8 samples pixnorm feeds the normalization (mode rescale without statistics: f = x), HWC."""
    t = apply(["--mode", "rescale", "--layout", "nhwc"] + list(args))
    assert t.dtype == np.float32
    assert np.all(t == np.round(t)) and t.min() >= 0 and t.max() <= 255
    return t[0]


def decoded(photo):
    return pixels([os.path.join(DATA, photo)]).astype(np.uint8)


def note(text):
    findings.append(text)
    print("      " + text)


# ---------------------------------------------------------------- resizing against OpenCV

def test_bilinear_matches_opencv():
    if cv2 is None:
        return note("cv2 missing: bilinear comparison skipped")
    worst, total, equal = 0, 0, 0
    for photo in PHOTOS:
        src = decoded(photo)
        for w, h in [(224, 224), (150, 100), (97, 61), (300, 250), (640, 480)]:
            got = pixels(["--resize", f"{w}x{h}", os.path.join(DATA, photo)])
            ref = cv2.resize(src, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
            d = np.abs(got - ref)
            worst = max(worst, d.max())
            total += d.size
            equal += int((d == 0).sum())
    note(f"bilinear vs cv2.resize INTER_LINEAR on {len(PHOTOS)} photos x 5 sizes: max {worst:g} level, "
         f"{100 * equal / total:.2f}% equal")
    assert worst <= 1, worst


def test_area_matches_opencv():
    if cv2 is None:
        return note("cv2 missing: area comparison skipped")
    worst, mean = 0, []
    for photo in PHOTOS:
        src = decoded(photo)
        for w, h in [(112, 112), (100, 70), (37, 23)]:
            got = pixels(["--resize", f"{w}x{h}", "--interp", "area", os.path.join(DATA, photo)])
            ref = cv2.resize(src, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
            d = np.abs(got - ref)
            worst = max(worst, d.max())
            mean.append(d.mean())
    note(f"area vs cv2.resize INTER_AREA (shrinking): max {worst:g} level, mean {np.mean(mean):.4f}")
    assert worst <= 1, worst


def test_nearest_matches_opencv():
    if cv2 is None:
        return note("cv2 missing: nearest comparison skipped")
    same, total = 0, 0
    for photo in PHOTOS:
        src = decoded(photo)
        for w, h in [(224, 224), (333, 101)]:
            got = pixels(["--resize", f"{w}x{h}", "--interp", "nearest", os.path.join(DATA, photo)])
            ref = cv2.resize(src, (w, h), interpolation=cv2.INTER_NEAREST_EXACT).astype(np.float32)
            same += int((got == ref).sum())
            total += got.size
    # OpenCV picks the source index in 16.16 fixed point ((ifx * x + ifx / 2 - 1) >> 16); pixnorm
    # computes floor((x + 0.5) * src / dst) exactly, so the two differ where that lands within
    # 2^-16 of a pixel edge.
    note(f"nearest vs cv2.resize INTER_NEAREST_EXACT: {100 * same / total:.3f}% equal")
    assert same / total > 0.99


# ---------------------------------------------------------------- YUV frames

def rgb_to_yuv420(rgb, fmt, kr=0.299, kb=0.114):
    """A BT.601 (or kr/kb) limited-range 4:2:0 or 4:2:2 frame from RGB, in float64, rounded."""
    h, w, _ = rgb.shape
    x = rgb.astype(np.float64)
    y = kr * x[..., 0] + (1 - kr - kb) * x[..., 1] + kb * x[..., 2]
    u = (x[..., 2] - y) / (2 * (1 - kb))
    v = (x[..., 0] - y) / (2 * (1 - kr))
    Y = np.clip(np.round(16 + y * 219 / 255), 0, 255).astype(np.uint8)
    cw, ch = (w + 1) // 2, (h + 1) // 2
    if fmt == "yuyv":
        pad = np.pad(np.stack([u, v], -1), ((0, 0), (0, w % 2), (0, 0)), mode="edge")
        c = pad.reshape(h, cw, 2, 2).mean(axis=2)
        C = np.clip(np.round(128 + c * 224 / 255), 0, 255).astype(np.uint8)
        Yp = np.pad(Y, ((0, 0), (0, w % 2)), mode="edge").reshape(h, cw, 2)
        return np.stack([Yp[..., 0], C[..., 0], Yp[..., 1], C[..., 1]], -1).tobytes()
    pad = np.pad(np.stack([u, v], -1), ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    c = pad.reshape(ch, 2, cw, 2, 2).mean(axis=(1, 3))
    C = np.clip(np.round(128 + c * 224 / 255), 0, 255).astype(np.uint8)
    if fmt == "nv12":
        return Y.tobytes() + C.tobytes()
    if fmt == "nv21":
        return Y.tobytes() + C[..., ::-1].tobytes()
    return Y.tobytes() + C[..., 0].tobytes() + C[..., 1].tobytes()  # i420


def yuv_reference(frame, w, h, fmt):
    """float64 BT.601 limited-range decoding of a frame, chroma shared by its 2x2 (2x1) block."""
    b = np.frombuffer(frame, np.uint8)
    cw, ch = (w + 1) // 2, (h + 1) // 2
    if fmt == "yuyv":
        q = b.reshape(h, cw, 4)
        Y = np.stack([q[..., 0], q[..., 2]], -1).reshape(h, 2 * cw)[:, :w].astype(np.float64)
        U = np.repeat(q[..., 1], 2, axis=1)[:, :w].astype(np.float64)
        V = np.repeat(q[..., 3], 2, axis=1)[:, :w].astype(np.float64)
    else:
        Y = b[:w * h].reshape(h, w).astype(np.float64)
        c = b[w * h:]
        if fmt in ("nv12", "nv21"):
            c = c.reshape(ch, cw, 2)
            U, V = (c[..., 0], c[..., 1]) if fmt == "nv12" else (c[..., 1], c[..., 0])
        else:
            U, V = c[:cw * ch].reshape(ch, cw), c[cw * ch:].reshape(ch, cw)
        U = np.repeat(np.repeat(U, 2, 0), 2, 1)[:h, :w].astype(np.float64)
        V = np.repeat(np.repeat(V, 2, 0), 2, 1)[:h, :w].astype(np.float64)
    y = (Y - 16) * 255 / 219
    u, v = (U - 128) * 255 / 224, (V - 128) * 255 / 224
    r = y + 1.402 * v
    g = y - 0.114 * 1.772 / 0.587 * u - 0.299 * 1.402 / 0.587 * v
    bl = y + 1.772 * u
    return np.clip(np.round(np.stack([r, g, bl], -1)), 0, 255)


def test_yuv_frames_against_float64():
    src = decoded("rocket.jpg")[:101, :151]  # odd sizes: chroma of the last row and column
    h, w, _ = src.shape
    for fmt in ["nv12", "nv21", "i420", "yuyv"]:
        frame = rgb_to_yuv420(src, fmt)
        path = os.path.join(WORK, f"frame.{fmt}")
        with open(path, "wb") as f:
            f.write(frame)
        got = pixels(["--raw", f"{w}x{h}:{fmt}", path])
        ref = yuv_reference(frame, w, h, fmt)
        d = np.abs(got - ref)
        note(f"{fmt} {w}x{h} vs float64 BT.601 limited: max {d.max():g} level, {100 * (d == 0).mean():.2f}% equal")
        assert d.max() <= 1
    if cv2 is not None:  # OpenCV's own NV12 decoding (BT.601 limited, fixed point), even sizes
        even = decoded("chelsea.png")
        hh, ww, _ = even.shape
        frame = rgb_to_yuv420(even, "nv12")
        path = os.path.join(WORK, "even.nv12")
        with open(path, "wb") as f:
            f.write(frame)
        got = pixels(["--raw", f"{ww}x{hh}:nv12", path])
        ref = cv2.cvtColor(np.frombuffer(frame, np.uint8).reshape(hh * 3 // 2, ww), cv2.COLOR_YUV2RGB_NV12)
        d = np.abs(got - ref)
        note(f"nv12 vs cv2.cvtColor COLOR_YUV2RGB_NV12: max {d.max():g} levels, mean {d.mean():.3f}")
        assert d.max() <= 2
    # BT.709 and full range are other numbers: the options reach the plan.
    frame = rgb_to_yuv420(src, "nv12")
    with open(os.path.join(WORK, "f.nv12"), "wb") as f:
        f.write(frame)
    a = pixels(["--raw", f"{w}x{h}:nv12", "f.nv12"])
    b = pixels(["--raw", f"{w}x{h}:nv12", "--yuv", "bt709", "f.nv12"])
    c = pixels(["--raw", f"{w}x{h}:nv12", "--range", "full", "f.nv12"])
    note(f"same frame decoded as BT.709 / full range: max {np.abs(a - b).max():g} / {np.abs(a - c).max():g} levels "
         f"from BT.601 limited")
    assert np.abs(a - b).max() >= 3 and np.abs(a - c).max() >= 10


# ---------------------------------------------------------------- recipes

def test_torchvision_recipe_in_one_plan():
    """Resize(256) + CenterCrop(224) + Normalize, as one plan, vs the two steps done with OpenCV."""
    if cv2 is None:
        return note("cv2 missing: recipe comparison skipped")
    photo = os.path.join(DATA, "rocket.jpg")  # 640x427
    src = decoded("rocket.jpg")
    h, w, _ = src.shape
    rw, rh = (256, 256 * h // w) if w <= h else (256 * w // h, 256)
    resized = cv2.resize(src, (rw, rh), interpolation=cv2.INTER_LINEAR)
    top, left = int(round((rh - 224) / 2.0)), int(round((rw - 224) / 2.0))
    ref = resized[top:top + 224, left:left + 224].astype(np.float64)
    got = pixels(["--resize", "224x224", "--crop", "center", "--resize-short", "256", photo])
    d = np.abs(got - ref)
    note(f"resize-short 256 + center crop 224 vs cv2 resize then crop: max {d.max():g} level, mean {d.mean():.3f}")
    assert d.max() <= 1
    t = apply(["--preset", "imagenet", "--resize", "224x224", "--crop", "center", "--resize-short", "256", photo])
    assert t.shape == (1, 3, 224, 224)
    want = ((got / 255.0 - MEAN) / STD).transpose(2, 0, 1)
    assert np.abs(t[0] - want).max() < 1e-5


def test_letterbox_recipe():
    if cv2 is None:
        return note("cv2 missing: letterbox comparison skipped")
    photo = os.path.join(DATA, "rocket.jpg")
    src = decoded("rocket.jpg")
    h, w, _ = src.shape
    r = min(320 / h, 320 / w)
    nw, nh = int(round(w * r)), int(round(h * r))
    dw, dh = (320 - nw) / 2, (320 - nh) / 2
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    ref = cv2.copyMakeBorder(cv2.resize(src, (nw, nh), interpolation=cv2.INTER_LINEAR), top, bottom, left, right,
                             cv2.BORDER_CONSTANT, value=(114, 114, 114)).astype(np.float64)
    got = pixels(["--resize", "320x320", "--letterbox", "114", photo])
    d = np.abs(got - ref)
    note(f"letterbox 320 vs YOLO's resize + copyMakeBorder: max {d.max():g} level; borders exact")
    assert d.max() <= 1
    assert np.all(got[:top] == 114) and np.all(got[320 - bottom:] == 114)
    flipped = pixels(["--resize", "320x320", "--letterbox", "114", "--flip", photo])
    assert np.array_equal(flipped, got[:, ::-1])


def test_region_of_interest():
    photo = os.path.join(DATA, "rocket.jpg")
    src = decoded("rocket.jpg")
    got = pixels(["--crop", "100x60+30+200", photo])
    assert np.array_equal(got, src[200:260, 30:130])


# ---------------------------------------------------------------- output types

def test_output_types_against_numpy():
    photo = os.path.join(DATA, "chelsea.png")
    base = ["--preset", "imagenet", "--resize", "96x80", "--layout", "nhwc", photo]
    f = apply(base, "f32.npy")
    h = apply(base + ["--dtype", "f16"], "f16.npy")
    assert h.dtype == np.float16 and h.shape == f.shape
    assert np.array_equal(h.view(np.uint16), f.astype(np.float16).view(np.uint16)), "f16 != numpy's rounding"
    for dtype, zp, lo, hi in [("int8", -14, -128, 127), ("uint8", 114, 0, 255)]:
        for scale in [0.0186, 0.0078125]:
            q = apply(base + ["--dtype", dtype, "--quant-scale", scale, "--quant-zero-point", zp], "q.npy")
            assert q.dtype == np.dtype(dtype) and q.shape == f.shape
            want = np.clip(np.rint(f.astype(np.float64) / scale) + zp, lo, hi)
            d = np.abs(q.astype(np.int32) - want)
            frac = np.abs(f.astype(np.float64) / scale % 1 - 0.5)
            assert d.max() <= 1 and np.all(frac[d > 0] < 1e-4), "only float-rounding ties may differ"
            note(f"{dtype} scale {scale} zp {zp}: {int((d > 0).sum())} of {d.size} differ from the unfolded "
                 f"formula (all within 1e-4 of a tie), {int(((q == lo) | (q == hi)).sum())} saturated")


# ---------------------------------------------------------------- refusals

def expect(args, code, words):
    out = os.path.join(WORK, "refused.npy")
    if os.path.exists(out):
        os.remove(out)
    r = run(["apply", "-o", out] + [str(a) for a in args])
    assert r.returncode == code, f"{args}: exit {r.returncode}, expected {code}: {r.stderr}"
    for w in words:
        assert w in r.stderr, f"{args}: {w!r} not in {r.stderr!r}"
    assert not os.path.exists(out), f"{args}: output written"
    assert not [n for n in os.listdir(WORK) if n.startswith("refused.npy")], "temporary file left"


def test_refusals():
    photo = os.path.join(DATA, "chelsea.png")
    with open(os.path.join(WORK, "short.nv12"), "wb") as f:
        f.write(b"\x80" * 100)
    expect(["--preset", "imagenet", "--dtype", "int8", photo], 2, ["--quant-scale"])
    expect(["--preset", "imagenet", "--quant-scale", "0.1", photo], 2, ["int8"])
    expect(["--preset", "imagenet", "--crop", "center", photo], 2, ["--resize"])
    expect(["--preset", "imagenet", "--letterbox", "114", photo], 2, ["--resize"])
    expect(["--preset", "imagenet", "--resize", "9x9", "--letterbox", "1", "--crop", "center", photo], 2, ["exclude"])
    expect(["--preset", "imagenet", "--yuv", "bt709", photo], 2, ["YUV"])
    expect(["--preset", "imagenet", "--resize", "0x9", photo], 2, ["--resize width"])
    expect(["--preset", "imagenet", "--resize", "12", photo], 2, ["WxH"])
    expect(["--preset", "imagenet", "--letterbox", "300", "--resize", "9x9", photo], 2, ["--letterbox"])
    expect(["--preset", "imagenet", "--dtype", "int8", "--quant-scale", "1", "--quant-zero-point", "200", photo], 2,
           ["quant_zero_point"])
    expect(["--preset", "imagenet", "--raw", "64x48:nv12", "short.nv12"], 1, ["short.nv12", "4608"])
    expect(["--preset", "imagenet", "--crop", "100x100+200+200", photo], 1, ["chelsea.png", "not inside"])
    expect(["--preset", "imagenet", "--resize", "300x300", "--crop", "center", "--resize-short", "100", photo], 1,
           ["chelsea.png", "smaller than"])
    # Different sizes need --resize; with it they go into one tensor.
    expect(["--preset", "imagenet", photo, os.path.join(DATA, "rocket.jpg")], 1, ["--resize"])
    t = apply(["--preset", "imagenet", "--resize", "64x64", photo, os.path.join(DATA, "rocket.jpg")])
    assert t.shape == (2, 3, 64, 64)


TESTS = [test_bilinear_matches_opencv, test_area_matches_opencv, test_nearest_matches_opencv,
         test_yuv_frames_against_float64, test_torchvision_recipe_in_one_plan, test_letterbox_recipe,
         test_region_of_interest, test_output_types_against_numpy, test_refusals]


def main():
    return cli_harness.main(globals(), TESTS, "pixnorm_camera_")


if __name__ == "__main__":
    sys.exit(main())
