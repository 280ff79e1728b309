"""Plans against `pixnorm apply` byte for byte; out= without a copy; bad arguments; threads."""
import threading
import time

import numpy as np
import pytest

import pixnorm
from conftest import run_cli

FORMAT_CHANNELS = {"gray8": 1, "rgb8": 3, "bgr8": 3, "rgba8": 4, "bgra8": 4}


def cli_apply(cli, tmp_path, raw_bytes, spec, args):
    src = tmp_path / "frame.raw"
    src.write_bytes(raw_bytes)
    out = tmp_path / "out.npy"
    run_cli(cli, "apply", "--raw", spec, *args, src, "-o", out, "-q")
    return np.load(out)[0]


def frame(rng, w, h, fmt):
    if fmt in FORMAT_CHANNELS:
        c = FORMAT_CHANNELS[fmt]
        return rng.integers(0, 256, (h, w) if c == 1 else (h, w, c), dtype=np.uint8)
    cw, ch = (w + 1) // 2, (h + 1) // 2
    if fmt == "yuyv":
        return rng.integers(0, 256, (h, 2 * w), dtype=np.uint8)
    return rng.integers(0, 256, w * h + 2 * cw * ch, dtype=np.uint8)


CASES = [
    # (format, w, h, Plan options, CLI options)
    ("rgb8", 64, 48, {}, []),
    ("rgb8", 64, 48, {"layout": "nhwc", "dtype": "f16"}, ["--layout", "nhwc", "--dtype", "f16"]),
    ("bgr8", 50, 31, {"size": (24, 20), "interp": "area"}, ["--resize", "24x20", "--interp", "area"]),
    ("rgba8", 77, 40, {"size": (32, 32), "fit": "letterbox", "letterbox_fill": 7},
     ["--resize", "32x32", "--letterbox", "7"]),
    ("bgra8", 60, 45, {"size": (30, 30), "fit": "center-crop", "flip": True}, ["--resize", "30x30", "--crop", "center", "--flip"]),
    ("gray8", 40, 30, {"mode": "minmax"}, ["--mode", "minmax"]),
    ("rgb8", 90, 70, {"size": (32, 32), "fit": "center-crop", "resize_short": 41, "interp": "pil-bilinear"},
     ["--resize", "32x32", "--crop", "center", "--resize-short", "41", "--interp", "pil-bilinear"]),
    ("rgb8", 64, 48, {"roi": (5, 6, 40, 30), "size": (20, 16), "interp": "pil-lanczos"},
     ["--crop", "40x30+5+6", "--resize", "20x16", "--interp", "pil-lanczos"]),
    ("rgb8", 64, 48, {"dtype": "int8", "quant_scale": 0.0186, "quant_zero_point": -3, "layout": "nhwc"},
     ["--dtype", "int8", "--quant-scale", "0.0186", "--quant-zero-point", "-3", "--layout", "nhwc"]),
    ("rgb8", 64, 48, {"dtype": "uint8", "quant_scale": 0.0171, "quant_zero_point": 114},
     ["--dtype", "uint8", "--quant-scale", "0.0171", "--quant-zero-point", "114"]),
    ("rgb8", 64, 48, {"mode": "sample-standardize", "per_channel": True, "epsilon": 0.5},
     ["--mode", "sample-standardize", "--per-channel", "--epsilon", "0.5"]),
    ("rgb8", 64, 48, {"backend": "scalar", "mode": "center"}, ["--backend", "scalar", "--mode", "center"]),
    ("nv12", 64, 48, {"size": (32, 24), "layout": "nhwc", "dtype": "int8", "quant_scale": 0.02},
     ["--resize", "32x24", "--layout", "nhwc", "--dtype", "int8", "--quant-scale", "0.02"]),
    ("nv21", 63, 47, {"yuv_matrix": "bt709", "yuv_range": "full"}, ["--yuv", "bt709", "--range", "full"]),
    ("i420", 64, 48, {"size": (16, 16), "interp": "nearest"}, ["--resize", "16x16", "--interp", "nearest"]),
    ("yuyv", 64, 48, {"flip": True}, ["--flip"]),
]


@pytest.mark.parametrize("fmt,w,h,opts,args", CASES)
def test_plan_equals_cli_apply(cli, tmp_path, fmt, w, h, opts, args):
    rng = np.random.default_rng(w * h)
    img = frame(rng, w, h, fmt)
    stats = pixnorm.Stats.preset("imagenet" if fmt != "gray8" else "unit")
    if fmt == "gray8":
        stats = pixnorm.Stats.from_values([0.4], [0.3], rescale=1 / 255, channel_order="GRAY")
    plan = pixnorm.Plan(stats, fmt, w, h, **opts)
    got = plan(img)
    preset = ["--preset", "imagenet"] if fmt != "gray8" else []
    if fmt == "gray8":
        path = tmp_path / "g.json"
        stats.save(str(path))
        preset = ["--stats", path]
    expected = cli_apply(cli, tmp_path, np.ascontiguousarray(img).tobytes(), "%dx%d:%s" % (w, h, fmt), preset + args)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert got.tobytes() == expected.tobytes()


@pytest.mark.parametrize("rounding", ["round", "floor"])
def test_recipe_plan_equals_cli_apply_stats(cli, tmp_path, rounding):
    s = pixnorm.Stats.preset("imagenet")
    s.recipe = {"resize_short": 41, "interp": "pil-bicubic", "crop": (32, 32), "crop_rounding": rounding}
    s.save(str(tmp_path / "r.json"))
    img = np.random.default_rng(8).integers(0, 256, (70, 91, 3), dtype=np.uint8)
    got = pixnorm.Plan(s, "rgb8", 91, 70)(img)
    expected = cli_apply(cli, tmp_path, img.tobytes(), "91x70:rgb8", ["--stats", tmp_path / "r.json"])
    assert got.shape == (3, 32, 32) and got.tobytes() == expected.tobytes()


def test_strided_input_and_planes_equal_contiguous():
    rng = np.random.default_rng(3)
    big = rng.integers(0, 256, (48, 80, 3), dtype=np.uint8)
    view = big[:, 8:72]  # rows padded: stride 240 for 192 bytes of pixels
    plan = pixnorm.Plan(pixnorm.Stats.preset("imagenet"), "rgb8", 64, 48, size=(32, 32))
    assert plan(view).tobytes() == plan(np.ascontiguousarray(view)).tobytes()
    w, h = 64, 48
    nv12 = rng.integers(0, 256, w * h * 3 // 2, dtype=np.uint8)
    yplane, uv = nv12[: w * h].reshape(h, w), nv12[w * h:].reshape(h // 2, w // 2, 2)
    p = pixnorm.Plan(pixnorm.Stats.preset("imagenet"), "nv12", w, h)
    assert p(nv12).tobytes() == p((yplane, uv)).tobytes() == p(nv12.reshape(h * 3 // 2, w)).tobytes()


def test_recipe_applied_and_overridden():
    s = pixnorm.Stats.preset("imagenet")
    s.recipe = {"resize_short": 64, "interp": "pil-bicubic", "crop": (48, 48)}
    plan = pixnorm.Plan(s, "rgb8", 100, 80)
    assert plan.shape == (3, 48, 48)
    assert plan.desc["interp"] == "pil-bicubic" and plan.desc["resize_short"] == 64
    assert pixnorm.Plan(s, "rgb8", 100, 80, interp="pil-box").desc["interp"] == "pil-box"
    assert pixnorm.Plan(s, "rgb8", 100, 80, recipe=False).shape == (3, 80, 100)


def test_out_is_written_in_place():
    rng = np.random.default_rng(4)
    img = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    plan = pixnorm.Plan(pixnorm.Stats.preset("imagenet"), "rgb8", 64, 48, size=(32, 32), layout="nhwc")
    expected = plan(img)
    out = np.zeros((1, 32, 32, 3), np.float32)  # an interpreter's input tensor
    r = plan(img, out=out)
    assert r is out and out[0].tobytes() == expected.tobytes()
    out2 = np.zeros((32, 32, 3), np.float32)
    assert plan(img, out=out2) is out2


def sentinel_out(shape, dtype=np.float32):
    out = np.full(shape, 7, dtype)
    return out, out.copy()


@pytest.mark.parametrize("bad,error,message", [
    (lambda img: img.astype(np.int16), TypeError, "uint8"),
    (lambda img: img.astype(np.float32), TypeError, "uint8"),
    (lambda img: img[:, :, :2], ValueError, "expected shape"),
    (lambda img: img[:-1], ValueError, "expected shape"),
    (lambda img: img.reshape(-1), ValueError, "expected shape"),
    (lambda img: np.asfortranarray(img), ValueError, "adjacent"),
    (lambda img: img[::-1], ValueError, "backwards"),
    (lambda img: [img], TypeError, "numpy"),
])
def test_bad_images_raise_and_write_nothing(bad, error, message):
    img = np.random.default_rng(5).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    plan = pixnorm.Plan(pixnorm.Stats.preset("imagenet"), "rgb8", 64, 48)
    out, before = sentinel_out(plan.shape)
    with pytest.raises(error, match=message):
        plan(bad(img), out=out)
    assert out.tobytes() == before.tobytes()


@pytest.mark.parametrize("make_out,error,message", [
    (lambda: np.zeros((3, 48, 64), np.float64), TypeError, "float32"),
    (lambda: np.zeros((3, 48, 63), np.float32), ValueError, "expected shape"),
    (lambda: np.zeros((2, 3, 48, 64), np.float32), ValueError, "expected shape"),
    (lambda: np.zeros((3, 48, 128), np.float32)[:, :, ::2], ValueError, "C-contiguous"),
    (lambda: np.zeros((64, 48, 3), np.float32).transpose(2, 1, 0), ValueError, "C-contiguous"),
    (lambda: np.zeros((3, 64, 48), np.float32).transpose(0, 2, 1), ValueError, "C-contiguous"),
    (lambda: np.frombuffer(bytes(3 * 48 * 64 * 4), np.float32).reshape(3, 48, 64), ValueError, "read-only"),
    (lambda: np.frombuffer(bytearray(3 * 48 * 64 * 4 + 1), np.uint8)[1:].view(np.float32).reshape(3, 48, 64),
     ValueError, "aligned"),
])
def test_bad_out_raises(make_out, error, message):
    img = np.zeros((48, 64, 3), np.uint8)
    plan = pixnorm.Plan(pixnorm.Stats.preset("imagenet"), "rgb8", 64, 48)
    out = make_out()
    before = out.copy()
    with pytest.raises(error, match=message):
        plan(img, out=out)
    assert out.tobytes() == before.tobytes()


def test_overlapping_out_refused_by_runtime():
    buf = np.zeros(48 * 64 * 3 * 5, np.uint8)
    img = buf[: 48 * 64 * 3].reshape(48, 64, 3)
    out = buf[: 48 * 64 * 3 * 4].view(np.float32).reshape(3, 48, 64)
    plan = pixnorm.Plan(pixnorm.Stats.preset("imagenet"), "rgb8", 64, 48)
    with pytest.raises(pixnorm.InvalidArgument, match="overlap|share"):
        plan(img, out=out)


def test_bad_plan_options():
    s = pixnorm.Stats.preset("imagenet")
    with pytest.raises(ValueError, match="format: unknown value 'rgb'"):
        pixnorm.Plan(s, "rgb", 4, 4)
    with pytest.raises(TypeError, match="unknown option 'sizes'"):
        pixnorm.Plan(s, "rgb8", 4, 4, sizes=(2, 2))
    with pytest.raises(pixnorm.InvalidArgument):
        pixnorm.Plan(s, "rgb8", 4, 4, dtype="int8")  # no quant_scale
    with pytest.raises(pixnorm.InvalidArgument):
        pixnorm.Plan(s, "rgb8", 0, 4)
    with pytest.raises(pixnorm.ChannelMismatch):
        pixnorm.Plan(s, "gray8", 4, 4)
    with pytest.raises(ValueError, match="interp"):
        pixnorm.Plan(s, "rgb8", 4, 4, interp="cubic")


def test_batch_equals_single_runs_and_cli(cli, tmp_path):
    rng = np.random.default_rng(6)
    imgs = [rng.integers(0, 256, (30, 40, 3), dtype=np.uint8) for _ in range(3)]
    plan = pixnorm.Plan(pixnorm.Stats.preset("imagenet"), "rgb8", 40, 30, batch=4, size=(20, 20), interp="pil-bilinear")
    got = plan.run_batch(imgs)
    assert got.shape == (3, 3, 20, 20)
    for i, img in enumerate(imgs):
        assert got[i].tobytes() == plan(img).tobytes()
    paths = []
    for i, img in enumerate(imgs):
        p = tmp_path / ("f%d.raw" % i)
        p.write_bytes(img.tobytes())
        paths.append(p)
    run_cli(cli, "apply", "--raw", "40x30:rgb8", "--preset", "imagenet", "--resize", "20x20", "--interp",
            "pil-bilinear", *paths, "-o", tmp_path / "b.npy", "-q")
    assert np.load(tmp_path / "b.npy").tobytes() == got.tobytes()
    with pytest.raises(ValueError, match="batch 4"):
        plan.run_batch(imgs * 2)
    out, before = sentinel_out((3, 3, 20, 20))
    with pytest.raises(ValueError, match="images\\[1\\]"):
        plan.run_batch([imgs[0], imgs[1][:, :30], imgs[2]], out=out)
    assert out.tobytes() == before.tobytes()


def test_threads_calling_one_plan():
    rng = np.random.default_rng(7)
    imgs = [rng.integers(0, 256, (120, 160, 3), dtype=np.uint8) for _ in range(8)]
    plan = pixnorm.Plan(pixnorm.Stats.preset("imagenet"), "rgb8", 160, 120, size=(64, 64), interp="pil-bicubic",
                        dtype="f16", threads=2)
    expected = [plan(img).tobytes() for img in imgs]
    failures = []

    def worker(k):
        for r in range(25):
            i = (k + r) % len(imgs)
            if plan(imgs[i]).tobytes() != expected[i]:
                failures.append((k, r))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_gil_released_during_run():
    # Another Python thread runs while a long plan run is inside the C call: its ticks fall in the
    # middle of the call, where a call holding the GIL would let none through.
    img = np.zeros((2160, 3840, 3), np.uint8)
    plan = pixnorm.Plan(pixnorm.Stats.preset("imagenet"), "rgb8", 3840, 2160, size=(1920, 1080), interp="pil-lanczos")
    ticks, stop = [], threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())

    t = threading.Thread(target=ticker)
    t.start()
    try:
        time.sleep(0.01)
        t0 = time.perf_counter()
        plan(img)
        t1 = time.perf_counter()
    finally:
        stop.set()
        t.join()
    lo, hi = t0 + 0.3 * (t1 - t0), t0 + 0.7 * (t1 - t0)
    assert t1 - t0 > 0.02, "the run is too short to tell"
    assert sum(lo < x < hi for x in ticks) > 0


def test_info():
    plan = pixnorm.Plan(pixnorm.Stats.preset("caffe"), "bgr8", 8, 8)
    assert plan.channel_order == "BGR" and plan.channels == 3 and plan.output_bytes == 3 * 64 * 4
    scale, bias = plan.params
    assert len(scale) == 3 and pixnorm.backend_available("scalar")
    assert plan.backend in ("scalar", "highway", "xsimd")


VARIANT_CASES = [
    {},
    {"layout": "nhwc"},
    {"dtype": "int8", "quant_scale": 0.0186, "quant_zero_point": -3},
    {"dtype": "int8", "quant_scale": 0.0186, "quant_zero_point": -3, "layout": "nhwc"},
]


@pytest.mark.parametrize("opts", VARIANT_CASES)
def test_variants_give_the_same_arrays(opts):
    img = np.random.default_rng(7).integers(0, 256, (37, 61, 3), dtype=np.uint8)
    s = pixnorm.Stats.preset("imagenet")
    reference_out = pixnorm.Plan(s, "rgb8", 61, 37, backend="scalar", **opts)(img)
    for variant in ("auto", "measure", "256", "512", 256, 512):
        plan = pixnorm.Plan(s, "rgb8", 61, 37, variant=variant, **opts)
        assert plan.desc["variant"] == str(variant)
        out = plan(img)
        assert out.dtype == reference_out.dtype and np.array_equal(out, reference_out), f"variant={variant!r} {opts}"


def test_variant_reaches_the_plan():
    s = pixnorm.Stats.preset("imagenet")
    assert pixnorm.Plan(s, "rgb8", 8, 8).desc["variant"] == "auto"
    # A target with several variants names the default one ("AVX3/512"); a plan names its own.
    default_target = pixnorm.backend_target(pixnorm.backend_default())
    for variant in ("256", "512"):
        target = pixnorm.Plan(s, "rgb8", 8, 8, variant=variant).target
        if "/" in default_target:
            assert target == default_target.split("/")[0] + "/" + variant, (variant, target, default_target)
        else:
            assert target == default_target, (variant, target, default_target)
    with pytest.raises(ValueError, match="variant: unknown value 'wide' \\(auto, measure, 256, 512\\)"):
        pixnorm.Plan(s, "rgb8", 8, 8, variant="wide")
    with pytest.raises(ValueError, match="variant: unknown value '128'"):
        pixnorm.Plan(s, "rgb8", 8, 8, variant=128)
    with pytest.raises(TypeError, match="unknown option 'variants'.*variant"):
        pixnorm.Plan(s, "rgb8", 8, 8, variants="256")
