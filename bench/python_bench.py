#!/usr/bin/python3
"""The Python binding's cost and the frame path from Python against its peers, in one run.

    PYTHONPATH=build/python bench/python_bench.py [--cli build/tools/pixnorm] [--fit-images N] [--quick]

1. Per-call overhead at 224x224 RGB8 -> f32 NCHW: plan(img, out=buf) called from a Python loop,
   against the same pixnorm_plan_run called from a C loop (the difference is what the binding, its
   checks and the Python call cost per frame; goal: at most 2 us).
2. The frame path, 640x480 RGB8 and NV12 -> 1x3x224x224 f32 (bilinear resize, ImageNet
   mean/std) from Python: pixnorm against numpy (cv2.resize, then float arithmetic), OpenCV
   (cv2.resize + cv2.dnn.blobFromImage, then / std) and torchvision (tensor transforms), all on
   the same frames, interleaved, median per call; ratios to pixnorm.
3. fit, images per second on the same generated 640x480 JPEGs: pixnorm.dask_fit on a LocalCluster
   of 2 worker processes (1 thread each) against `pixnorm fit --threads 2` (with --cli).
Ratios hold within one run only; the machine's other load moves absolute numbers.
"""
import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import pixnorm

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def median_us(fn, rounds, inner):
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times) * 1e6


def interleaved(cases, rounds, inner):
    """Each case's median per call, the cases alternated round by round."""
    samples = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            samples[name].append((time.perf_counter() - t0) / inner)
    return {name: statistics.median(v) * 1e6 for name, v in samples.items()}


def overhead(quick):
    img = np.random.default_rng(0).integers(0, 256, (224, 224, 3), dtype=np.uint8)
    plan = pixnorm.Plan(pixnorm.Stats.preset("imagenet"), "rgb8", 224, 224)
    out = np.empty(plan.shape, np.float32)
    rounds, inner = (15, 200) if quick else (41, 1000)
    c_loop, py_loop = [], []
    for _ in range(rounds):  # interleaved, so that both see the same machine
        t0 = time.perf_counter()
        plan._raw_run_loop(img, out, inner)
        c_loop.append((time.perf_counter() - t0) / inner)
        t0 = time.perf_counter()
        for _ in range(inner):
            plan(img, out=out)
        py_loop.append((time.perf_counter() - t0) / inner)
    c_us, py_us = statistics.median(c_loop) * 1e6, statistics.median(py_loop) * 1e6
    alloc_us = median_us(lambda: plan(img), rounds // 3 + 1, inner)
    print("1. per call, 224x224 RGB8 -> f32 NCHW (%s %s):" % (plan.backend, plan.target))
    print("   C loop (pixnorm_plan_run)       %8.2f us" % c_us)
    print("   Python plan(img, out=buf)        %8.2f us   overhead %.2f us (goal <= 2 us)" % (py_us, py_us - c_us))
    print("   Python plan(img) (new array)     %8.2f us" % alloc_us)


def frame_path(quick):
    import cv2
    rng = np.random.default_rng(1)
    w, h = 640, 480
    frames = [cv2.GaussianBlur(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), (5, 5), 0) for _ in range(4)]
    nv12s = []
    for f in frames:
        i420 = cv2.cvtColor(f, cv2.COLOR_RGB2YUV_I420)
        nv12 = np.empty_like(i420)
        nv12[:h] = i420[:h]
        nv12[h:].reshape(-1)[0::2] = i420[h:h + h // 4].reshape(-1)
        nv12[h:].reshape(-1)[1::2] = i420[h + h // 4:].reshape(-1)
        nv12s.append(nv12)
    stats = pixnorm.Stats.preset("imagenet")
    plan = pixnorm.Plan(stats, "rgb8", w, h, size=(224, 224), interp="bilinear")
    plan_nv12 = pixnorm.Plan(stats, "nv12", w, h, size=(224, 224), interp="bilinear")
    out = np.empty((1,) + plan.shape, np.float32)
    k = [0]

    def nxt():
        k[0] = (k[0] + 1) % len(frames)
        return k[0]

    def numpy_path():
        x = cv2.resize(frames[nxt()], (224, 224), interpolation=cv2.INTER_LINEAR)
        return ((x / 255.0 - MEAN) / STD).astype(np.float32).transpose(2, 0, 1)[None]

    def cv2_path():
        x = cv2.resize(frames[nxt()], (224, 224), interpolation=cv2.INTER_LINEAR)
        blob = cv2.dnn.blobFromImage(x, 1 / 255.0, (224, 224), tuple(float(m) * 255 for m in MEAN), swapRB=False)
        return blob / STD.reshape(1, 3, 1, 1)

    def cv2_nv12_path():
        rgb = cv2.cvtColor(nv12s[nxt()], cv2.COLOR_YUV2RGB_NV12)
        x = cv2.resize(rgb, (224, 224), interpolation=cv2.INTER_LINEAR)
        blob = cv2.dnn.blobFromImage(x, 1 / 255.0, (224, 224), tuple(float(m) * 255 for m in MEAN), swapRB=False)
        return blob / STD.reshape(1, 3, 1, 1)

    cases = {
        "pixnorm rgb8 (out=)": lambda: plan(frames[nxt()], out=out),
        "pixnorm rgb8 (new array)": lambda: plan(frames[nxt()]),
        "numpy (cv2.resize + float)": numpy_path,
        "cv2 resize + blobFromImage": cv2_path,
        "pixnorm nv12 (out=)": lambda: plan_nv12(nv12s[nxt()], out=out),
        "cv2 nv12: cvtColor + resize + blob": cv2_nv12_path,
    }
    try:
        import torch
        import torchvision.transforms as T
        torch.set_num_threads(1)
        tv = T.Compose([T.ToTensor(), T.Resize((224, 224), antialias=False), T.Normalize(MEAN.tolist(), STD.tolist())])
        cases["torchvision (tensor transforms)"] = lambda: tv(frames[nxt()]).unsqueeze(0)
    except ImportError:
        print("   (torchvision not installed: left out)")
    rounds, inner = (7, 20) if quick else (21, 50)
    r = interleaved(cases, rounds, inner)
    base, base_nv12 = r["pixnorm rgb8 (out=)"], r["pixnorm nv12 (out=)"]
    print("2. 640x480 -> 1x3x224x224 f32, bilinear, ImageNet mean/std, one thread, median per frame:")
    for name, us in r.items():
        ref = base_nv12 if "nv12" in name else base
        print("   %-36s %9.1f us   %6.2fx pixnorm" % (name, us, us / ref))


def fit_speed(cli, count, quick):
    import cv2
    from distributed import Client, LocalCluster
    import pixnorm.dask_fit
    work = tempfile.mkdtemp(prefix="pixnorm-bench-")
    try:
        folder = os.path.join(work, "images")
        os.mkdir(folder)
        rng = np.random.default_rng(2)
        base = cv2.GaussianBlur(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8), (9, 9), 0)
        for i in range(count):
            cv2.imwrite(os.path.join(folder, "img_%04d.jpg" % i), np.roll(base, i * 7, axis=1),
                        [cv2.IMWRITE_JPEG_QUALITY, 90])
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=40)
        client = Client(cluster)
        client.run(lambda: __import__("pixnorm").version())
        rounds = 1 if quick else 3
        dask_rates, cli_rates = [], []
        expected = None
        for _ in range(rounds):
            t0 = time.perf_counter()
            stats = pixnorm.dask_fit.fit(folder, client=client, partitions=8)
            dask_rates.append(count / (time.perf_counter() - t0))
            if cli:
                out = os.path.join(work, "cli.json")
                t0 = time.perf_counter()
                subprocess.run([cli, "fit", folder, "-o", out, "-q", "--threads", "2"], check=True)
                cli_rates.append(count / (time.perf_counter() - t0))
                with open(out) as f:
                    expected = f.read()
        client.close()
        cluster.close()
        print("3. fit of %d 640x480 JPEGs, images/s (best of %d):" % (count, rounds))
        print("   Dask, LocalCluster 2 workers x 1 thread   %8.1f" % max(dask_rates))
        if cli:
            print("   pixnorm fit --threads 2                   %8.1f   (Dask/CLI %.2f; same file: %s)"
                  % (max(cli_rates), max(dask_rates) / max(cli_rates), stats.to_json() == expected))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", help="the pixnorm executable, for the fit comparison")
    ap.add_argument("--fit-images", type=int, default=300)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    print("pixnorm %s (Python %s), %s" % (pixnorm.version(), platform.python_version(), cpu_name()))
    overhead(a.quick)
    frame_path(a.quick)
    try:
        import distributed  # noqa: F401
    except ImportError:
        print("3. (dask.distributed not installed: fit comparison left out)")
        return
    fit_speed(a.cli, a.fit_images, a.quick)


if __name__ == "__main__":
    sys.exit(main())
