#!/usr/bin/python3
"""End-to-end proof with a real inference engine: pixnorm's NV12 preprocessing, fed to a real
network, gives the logits that the usual Python training preprocessing gives.

    test_onnx_e2e.py ONNX_CLASSIFY DATA_DIR WORKDIR

ONNX_CLASSIFY is the built examples/onnx_classify, DATA_DIR is examples/data, WORKDIR a scratch
folder (created; the model and the frame are written there, about 47 MB).

1. make_model.py writes ResNet-18 with fixed random weights (seed 0) as ONNX.
2. A camera-like frame: examples/data/rocket.jpg resized to 640x480, converted by OpenCV to
   BT.601 limited-range YUV 4:2:0 (COLOR_BGR2YUV_I420) and rearranged as NV12.
3. Reference: the frame decoded to RGB with the float64 BT.601 limited-range matrix (each chroma
   sample shared by its 2x2 block, rounded and clipped to uint8), then torchvision as people
   train: Resize(256, antialias=False) on the uint8 tensor, CenterCrop(224), /255,
   Normalize(ImageNet mean, std), through the model in OpenCV DNN.
4. onnx_classify does the same with one pixnorm plan (NV12 in, 1x3x224x224 float out) and the
   same OpenCV DNN; its input tensor and logits are compared with the reference.

The right setup must agree within the tolerances below: f32, f16, f32 on the scalar backend
(bit-identical to the default one), and f32 for other frame sizes. Deliberately wrong setups (a
BGR tensor, no division by std, full-range YUV) must land far outside them, which shows that the
tolerances can fail. A frame of the wrong size and a missing model must be refused.

5. The Pillow recipe (torchvision's weights' transforms() on PIL images): the frame converted to
   RGB with pixnorm's fixed-point BT.601 (16.16 coefficients, replicated here in numpy), as a PIL
   image through Resize(256) + CenterCrop(224) + ToTensor + Normalize, against onnx_classify
   --interp pil-bilinear (and pil-bicubic): Pillow's resampling is reproduced byte for byte, so
   the tensors agree to float rounding, the top-5 classes are the same, in the same order, and
   the logits agree within 1e-4.
"""
import json
import os
import subprocess
import sys
import time

import numpy as np

try:
    import cv2
    import torch
    import torchvision.transforms as T
except ImportError as e:
    sys.exit(f"test_onnx_e2e.py: {e}: needs python3-torch, python3-torchvision, python3-onnx, python3-opencv")

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_model  # noqa: E402

FRAME_W, FRAME_H = 640, 480
SIZE, RESIZE_SHORT = 224, 256
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
# One uint8 step of the resized RGB image in normalized units: 1 / (255 * std[c]), 0.0171..0.0175.
STEP = 1.0 / (255.0 * np.array(STD))

# ---------------------------------------------------------------- tolerances
# Both paths round the resized image to uint8 (torchvision's Resize on a uint8 tensor does too),
# so they can differ only where the bilinear value lies within a hair of .5 and pixnorm's integer
# weights and fixed-point YUV land on the other side: one uint8 step (0.0175) on a few elements.
# Measured (rocket frame, ResNet-18 seed 0, Highway AVX3 and scalar alike, which agree bit for bit):
#   tensor: 93 of 150528 samples one step off (31 per channel, all at bilinear values within
#   0.019 of .5), none more; max abs 0.0175 (f32) and 0.0179 (f16, which adds its own rounding,
#   <= 0.001 for |x| < 4); mean abs 1.1e-5 (f32), 1.6e-4 (f16)
#   logits: max abs diff 1.5e-4 (f32) and 1.7e-4 (f16), 5e-5 of the largest |logit| (3.05);
#   top-1 and top-5 identical; the top-1 margin is 0.354.
#   other sizes: 44..185 samples one step off, none more; logits within 2.0e-4.
# For scale, on the same crop: every sample moved by a random -1, 0 or +1 step moves the logits
# by up to 0.013, every sample moved up by one step by 0.053, and the mistakes below by 0.4..2.3.
TENSOR_MAX_STEPS = 2.1        # no sample more than 2 uint8 steps away (a tie plus a YUV rounding)
TENSOR_MAX_FRACTION_OFF = 0.01  # at most 1% of samples off by a step or more (measured 0.06%)
TENSOR_MEAN_ABS = 1e-3        # a systematic one-step bias would give 0.0175, f16 rounding gives 1.6e-4
LOGIT_MAX_ABS = 0.01          # 0.33% of the largest |logit|; 1/35 of the top-1 margin; below what a
                              # random +-1 step on every sample does (0.013); 65 x the measured 1.5e-4
WRONG_MIN_LOGIT_DIFF = 10 * LOGIT_MAX_ABS  # each deliberate mistake must move the logits this far
# Note: pixnorm's bilinear is torchvision's Resize(antialias=False). Against Resize(256,
# antialias=True) (PIL images; torchvision >= 0.17's default for tensors too) this test fails:
# samples up to 54 steps apart at edges, 32% of them a step or more, logits 0.051 apart.


def make_frame(data_dir, work, w, h):
    """rocket.jpg (640x427) resized to w x h as an NV12 file (Y rows of w bytes, then
    ceil(h/2) rows of ceil(w/2) U,V pairs); returns its path. OpenCV converts even sizes only:
    an odd size is the next even frame with its last luma column or row dropped."""
    bgr = cv2.imread(os.path.join(data_dir, "rocket.jpg"), cv2.IMREAD_COLOR)
    assert bgr is not None, f"cannot read {data_dir}/rocket.jpg"
    ew, eh = w + w % 2, h + h % 2
    bgr = cv2.resize(bgr, (ew, eh), interpolation=cv2.INTER_LINEAR)
    i420 = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420)  # (eh * 3/2, ew): Y, then U, then V planes
    cw, ch = ew // 2, eh // 2
    y = i420[:h, :w]
    chroma = i420[eh:].reshape(-1)  # U then V, each ch x cw (a plane may start mid-row)
    u = chroma[:ch * cw].reshape(ch, cw)
    v = chroma[ch * cw:].reshape(ch, cw)
    uv = np.stack([u, v], axis=-1)  # NV12: U,V interleaved
    path = os.path.join(work, f"rocket_{w}x{h}.nv12")
    with open(path, "wb") as f:
        f.write(np.ascontiguousarray(y).tobytes())
        f.write(uv.tobytes())
    return path


def decode_nv12(path, w, h):
    """NV12 to RGB uint8 (h, w, 3) with the float64 BT.601 limited-range matrix."""
    raw = np.fromfile(path, dtype=np.uint8)
    cw, ch = (w + 1) // 2, (h + 1) // 2
    assert raw.size == w * h + 2 * cw * ch
    y = raw[:w * h].reshape(h, w).astype(np.float64)
    uv = raw[w * h:].reshape(ch, cw, 2).astype(np.float64)
    u = uv[:, :, 0].repeat(2, axis=0).repeat(2, axis=1)[:h, :w] - 128.0
    v = uv[:, :, 1].repeat(2, axis=0).repeat(2, axis=1)[:h, :w] - 128.0
    yy = 1.164383 * (y - 16.0)
    r = yy + 1.596027 * v
    g = yy - 0.391762 * u - 0.812968 * v
    b = yy + 2.017232 * u
    rgb = np.stack([r, g, b], axis=-1)
    return np.clip(np.round(rgb), 0, 255).astype(np.uint8)


def decode_nv12_fixed(path, w, h):
    """NV12 to RGB uint8 (h, w, 3) as pixnorm converts it: BT.601 limited range in 16.16 fixed point
    (coefficients rounded half to even), (y - 16) * cy + 2^15 plus the chroma terms, >> 16, clamped."""
    raw = np.fromfile(path, dtype=np.uint8)
    cw, ch = (w + 1) // 2, (h + 1) // 2
    y = raw[:w * h].reshape(h, w).astype(np.int64)
    uv = raw[w * h:].reshape(ch, cw, 2).astype(np.int64)
    u = uv[:, :, 0].repeat(2, axis=0).repeat(2, axis=1)[:h, :w] - 128
    v = uv[:, :, 1].repeat(2, axis=0).repeat(2, axis=1)[:h, :w] - 128
    kr, kb = 0.299, 0.114
    kg = 1.0 - kr - kb
    ys, cs = 255.0 / 219.0, 255.0 / 224.0
    fx = lambda x: int(np.rint(x * 65536.0))  # noqa: E731
    cy, crv, cbu = fx(ys), fx(2.0 * (1.0 - kr) * cs), fx(2.0 * (1.0 - kb) * cs)
    cgu, cgv = fx(2.0 * kb * (1.0 - kb) / kg * cs), fx(2.0 * kr * (1.0 - kr) / kg * cs)
    yv = (y - 16) * cy + (1 << 15)
    planes = [yv + crv * v, yv - cgu * u - cgv * v, yv + cbu * u]
    return np.stack([np.clip(np.where(p < 0, 0, p >> 16), 0, 255) for p in planes], axis=-1).astype(np.uint8)


def pil_reference(model, frame, w, h, mode):
    """torchvision on a PIL image: Resize(256), CenterCrop(224), ToTensor, Normalize; the logits."""
    from PIL import Image
    img = Image.fromarray(decode_nv12_fixed(frame, w, h))
    tf = T.Compose([T.Resize(RESIZE_SHORT, interpolation=mode), T.CenterCrop(SIZE), T.ToTensor(),
                    T.Normalize(mean=MEAN, std=STD)])
    tensor = tf(img).unsqueeze(0).numpy()
    return tensor, dnn_logits(model, tensor)


def torchvision_crop(rgb):
    """Resize(256) and CenterCrop(224) on the uint8 CHW tensor (torchvision rounds back to uint8)."""
    x = torch.from_numpy(rgb).permute(2, 0, 1).contiguous()
    x = T.Resize(RESIZE_SHORT, interpolation=T.InterpolationMode.BILINEAR, antialias=False)(x)
    return T.CenterCrop(SIZE)(x)


def torchvision_normalize(crop_u8):
    x = crop_u8.to(torch.float32) / 255.0
    return T.Normalize(mean=MEAN, std=STD)(x).unsqueeze(0).numpy()  # 1x3x224x224 float32


def dnn_logits(model, tensor):
    net = cv2.dnn.readNetFromONNX(model)
    net.setInput(np.ascontiguousarray(tensor, dtype=np.float32))
    return net.forward().reshape(-1).astype(np.float64)


def reference(model, frame, w, h):
    """The Python path: the uint8 crop, the normalized tensor and the logits."""
    crop = torchvision_crop(decode_nv12(frame, w, h))
    tensor = torchvision_normalize(crop)
    return crop, tensor, dnn_logits(model, tensor)


def run_example(exe, model, frame, w, h, work, name, *options, env=None):
    logits = os.path.join(work, f"{name}.logits.txt")
    tensor = os.path.join(work, f"{name}.tensor")
    for p in (logits, tensor):
        if os.path.exists(p):
            os.remove(p)
    args = [exe, model, frame, str(w), str(h), "--logits", logits, "--tensor", tensor] + list(options)
    full_env = dict(os.environ)  # a CI stage with PIXNORM_FORCE_SCALAR=1 makes every run scalar
    full_env.update(env or {})
    r = subprocess.run(args, capture_output=True, text=True, timeout=120, env=full_env)
    assert r.returncode == 0, f"{name}: {' '.join(args)}: exit {r.returncode}\n{r.stdout}{r.stderr}"
    dtype = np.float16 if "f16" in options else np.float32
    t = np.fromfile(tensor, dtype=dtype).astype(np.float32)
    assert t.size == 3 * SIZE * SIZE, f"{name}: tensor of {t.size} samples"
    got = np.loadtxt(logits, dtype=np.float64)
    return r.stdout, t.reshape(1, 3, SIZE, SIZE), got


def compare_logits(ref, got):
    diff = np.abs(got - ref)
    top5_ref = set(np.argsort(-ref)[:5].tolist())
    top5_got = set(np.argsort(-got)[:5].tolist())
    return {"max_abs": float(diff.max()), "rel": float(diff.max() / np.abs(ref).max()),
            "top1": int(np.argmax(got)), "top1_equal": bool(np.argmax(got) == np.argmax(ref)),
            "top5_overlap": len(top5_ref & top5_got)}


def compare_tensors(ref, got):
    diff = np.abs(got.astype(np.float64) - ref.astype(np.float64))[0]
    steps = diff / STEP[:, None, None]  # in uint8 steps of the resized image
    c, y, x = np.unravel_index(int(np.argmax(diff)), diff.shape)
    return {"max_abs": float(diff.max()), "mean_abs": float(diff.mean()),
            "where": f"{'RGB'[c]}[y={y}, x={x}]", "max_steps": float(steps.max()),
            "off_1_step": int((steps > 0.5).sum()), "off_2_steps": int((steps > 1.5).sum())}


def fmt(d):
    return ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in d.items())


def write_stats(path, order, mean, std):
    body = {"format": "pixnorm-stats", "version": 1, "channel_order": order, "rescale": 1.0 / 255.0,
            "mean": mean}
    if std is not None:
        body["std"] = std
    with open(path, "w") as f:
        json.dump(body, f)
    return path


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    exe, data_dir, work = os.path.abspath(sys.argv[1]), sys.argv[2], os.path.abspath(sys.argv[3])
    os.makedirs(work, exist_ok=True)
    torch.set_num_threads(2)
    cv2.setNumThreads(2)
    start = time.monotonic()

    model = os.path.join(work, "resnet18_seed0.onnx")
    print("model:", make_model.export(model))
    frame = make_frame(data_dir, work, FRAME_W, FRAME_H)

    # ---- the reference path
    crop, ref_tensor, ref = reference(model, frame, FRAME_W, FRAME_H)
    order = np.argsort(-ref)
    print(f"reference: top-5 {order[:5].tolist()} logits {np.round(ref[order[:5]], 4).tolist()}, "
          f"top-1 margin {ref[order[0]] - ref[order[1]]:.4f}, max |logit| {np.abs(ref).max():.4f}")

    # How much the network moves when the input samples are off by one uint8 step: the scale of
    # difference to expect from rounding the resized image differently.
    rng = np.random.default_rng(1)
    noisy = torch.from_numpy(np.clip(crop.numpy().astype(np.int16) + rng.integers(-1, 2, crop.shape), 0, 255)
                             .astype(np.uint8))
    noise = compare_logits(ref, dnn_logits(model, torchvision_normalize(noisy)))
    print(f"sensitivity: every sample of the crop moved by a random -1, 0 or +1 step: logits {fmt(noise)}")
    biased = torch.clamp(crop.to(torch.int16) + 1, 0, 255).to(torch.uint8)
    bias = compare_logits(ref, dnn_logits(model, torchvision_normalize(biased)))
    print(f"sensitivity: every sample of the crop one step up: logits {fmt(bias)}")

    failures = []

    def expect(cond, what):
        if not cond:
            failures.append(what)
            print("FAIL:", what)

    def check_right(name, frame, w, h, ref_tensor, ref, options, env=None, verbose=True):
        out, tensor, got = run_example(exe, model, frame, w, h, work, name, *options, env=env)
        t = compare_tensors(ref_tensor, tensor)
        lg = compare_logits(ref, got)
        if verbose:
            print(f"--- {''.join(f'{k}={v} ' for k, v in (env or {}).items())}onnx_classify {w}x{h} "
                  f"{' '.join(options)}\n{out.rstrip()}")
            print(f"{name}: tensor vs torchvision: {fmt(t)}")
            print(f"{name}: logits vs reference: {fmt(lg)}")
        else:
            print(f"{name}: tensor {fmt(t)}; logits {fmt(lg)}")
        limit = TENSOR_MAX_STEPS + (0.1 if "f16" in options else 0.0)
        expect(t["max_steps"] <= limit, f"{name}: a tensor sample {t['max_steps']:.3g} uint8 steps off at "
               f"{t['where']} (limit {limit})")
        expect(t["off_1_step"] <= TENSOR_MAX_FRACTION_OFF * tensor.size,
               f"{name}: {t['off_1_step']} tensor samples a step or more off (limit {TENSOR_MAX_FRACTION_OFF:.0%})")
        expect(t["mean_abs"] <= TENSOR_MEAN_ABS, f"{name}: tensor mean abs diff {t['mean_abs']:.4g} > {TENSOR_MEAN_ABS}")
        expect(lg["max_abs"] <= LOGIT_MAX_ABS, f"{name}: logit max abs diff {lg['max_abs']:.4g} > {LOGIT_MAX_ABS}")
        expect(lg["top1_equal"], f"{name}: top-1 {lg['top1']} != reference {int(np.argmax(ref))}")
        expect(lg["top5_overlap"] == 5, f"{name}: top-5 overlap {lg['top5_overlap']}/5")
        return tensor

    # ---- the right setup: f32, f16, and f32 on the scalar backend (which must match bit for bit)
    imagenet = ["--preset", "imagenet"]
    auto = check_right("f32", frame, FRAME_W, FRAME_H, ref_tensor, ref, imagenet)
    check_right("f16", frame, FRAME_W, FRAME_H, ref_tensor, ref, imagenet + ["--dtype", "f16"])
    scalar = check_right("f32_scalar", frame, FRAME_W, FRAME_H, ref_tensor, ref, imagenet,
                         env={"PIXNORM_FORCE_SCALAR": "1"})
    expect(np.array_equal(auto, scalar), "the scalar backend's tensor differs from AUTO's")

    # Other frame sizes, for the geometry: odd (chroma rows of width + 1 bytes, a last chroma row
    # under one luma row), a crop offset of 59.5 (torchvision rounds half to even: 60), portrait,
    # upscaling, 16:9.
    for w, h in ((641, 481), (644, 480), (480, 644), (200, 150), (1280, 720)):
        other = make_frame(data_dir, work, w, h)
        _, other_tensor, other_ref = reference(model, other, w, h)
        check_right(f"f32_{w}x{h}", other, w, h, other_tensor, other_ref, imagenet, verbose=False)
        os.remove(other)

    # ---- the Pillow recipe: byte-identical resampling, so float rounding alone separates the paths
    for interp, mode in (("pil-bilinear", T.InterpolationMode.BILINEAR), ("pil-bicubic", T.InterpolationMode.BICUBIC)):
        for w, h in ((FRAME_W, FRAME_H), (641, 481), (480, 644)):
            f = frame if (w, h) == (FRAME_W, FRAME_H) else make_frame(data_dir, work, w, h)
            pil_tensor, pil_ref = pil_reference(model, f, w, h, mode)
            out, tensor, got = run_example(exe, model, f, w, h, work, f"{interp}_{w}x{h}", *imagenet, "--interp",
                                           interp)
            tdiff = float(np.abs(tensor.astype(np.float64) - pil_tensor).max())
            ldiff = float(np.abs(got - pil_ref).max())
            top_ref, top_got = np.argsort(-pil_ref)[:5].tolist(), np.argsort(-got)[:5].tolist()
            print(f"{interp} {w}x{h}: tensor max abs diff {tdiff:.3g}, logits max abs diff {ldiff:.3g}, "
                  f"top-5 {top_got} (reference {top_ref})")
            expect(tdiff <= 1e-5, f"{interp} {w}x{h}: tensor max abs diff {tdiff:.3g} > 1e-5")
            expect(ldiff <= 1e-4, f"{interp} {w}x{h}: logits max abs diff {ldiff:.3g} > 1e-4")
            expect(top_ref == top_got, f"{interp} {w}x{h}: top-5 {top_got} != reference {top_ref}")
            if f != frame:
                os.remove(f)
    # The tensor path's reference is not the Pillow recipe: the plain bilinear plan is far from it.
    pil_tensor, pil_ref = pil_reference(model, frame, FRAME_W, FRAME_H, T.InterpolationMode.BILINEAR)
    lg = compare_logits(pil_ref, run_example(exe, model, frame, FRAME_W, FRAME_H, work, "bilinear_vs_pil",
                                             *imagenet)[2])
    print(f"bilinear plan against the Pillow recipe: logits {fmt(lg)}")
    expect(lg["max_abs"] > 1e-3, "the bilinear plan is as close to the Pillow recipe as pil-bilinear: the check is blind")

    # ---- deliberately wrong setups: each must be far outside the tolerance
    wrong = {
        "bgr": ["--stats", write_stats(os.path.join(work, "imagenet_bgr.json"), "BGR", MEAN[::-1], STD[::-1])],
        "no_std": ["--stats", write_stats(os.path.join(work, "imagenet_no_std.json"), "RGB", MEAN, None)],
        "full_range": ["--preset", "imagenet", "--full-range"],
    }
    for name, options in wrong.items():
        _, tensor, got = run_example(exe, model, frame, FRAME_W, FRAME_H, work, "wrong_" + name, *options)
        t = compare_tensors(ref_tensor, tensor)
        lg = compare_logits(ref, got)
        print(f"wrong setup {name}: tensor {fmt(t)}; logits {fmt(lg)}")
        expect(lg["max_abs"] > WRONG_MIN_LOGIT_DIFF,
               f"wrong setup {name}: logit max abs diff {lg['max_abs']:.4g} <= {WRONG_MIN_LOGIT_DIFF:.3g}: "
               "the tolerance would not catch it")

    # ---- errors: a frame of the wrong size and a missing model are refused with a message
    r = subprocess.run([exe, model, frame, "642", "480"], capture_output=True, text=True, timeout=60)
    expect(r.returncode != 0 and "NV12 frame of 642x480" in r.stderr, f"wrong size accepted: {r.stderr}")
    r = subprocess.run([exe, os.path.join(work, "missing.onnx"), frame, "640", "480"], capture_output=True,
                       text=True, timeout=60)
    expect(r.returncode != 0 and "onnx_classify:" in r.stderr, f"missing model: exit {r.returncode} {r.stderr}")

    print(f"test_onnx_e2e: {time.monotonic() - start:.1f} s")
    if failures:
        sys.exit("test_onnx_e2e: FAILED:\n  " + "\n  ".join(failures))
    print("test_onnx_e2e: OK")


if __name__ == "__main__":
    main()
