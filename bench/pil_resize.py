"""torchvision's Resize(256) + CenterCrop(224) on a 640x480 RGB frame: Pillow's Image.resize
(and the whole torchvision recipe up to the normalized tensor) timed here, beside pixnorm's fused
pil-bilinear plan and its OpenCV-style bilinear plan timed by pixnorm_bench in the same run.

usage: /usr/bin/python3 bench/pil_resize.py PIXNORM_BENCH   (Debian's python3-pil, python3-torchvision)
"""
import json
import subprocess
import sys
import timeit

import numpy as np
from PIL import Image


def median_us(fn, reps=31):
    fn()
    times = [timeit.timeit(fn, number=1) for _ in range(reps)]
    return sorted(times)[reps // 2] * 1e6


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    rng = np.random.default_rng(1)
    # A smooth frame with noise, like a camera image (the time does not depend on the content).
    y, x = np.mgrid[0:480, 0:640]
    frame = np.stack([x * 255 // 639, y * 255 // 479, (x + y) % 256], axis=2) + rng.integers(0, 8, (480, 640, 3))
    img = Image.fromarray(frame.clip(0, 255).astype(np.uint8))
    pil = median_us(lambda: img.resize((341, 256), Image.BILINEAR))
    tv = None
    try:
        import torchvision.transforms as T
        recipe = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                            T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
        tv = median_us(lambda: recipe(img))
    except ImportError:
        pass
    r = subprocess.run([sys.argv[1], "--frames", "--frame-sizes", "640x480", "--quick", "--json"], capture_output=True,
                       text=True, check=True)
    rows = json.loads(r.stdout)["frames"]
    auto = {row["recipe"]: row["seconds"] * 1e6 for row in rows
            if row.get("auto") and row.get("source_format") == "rgb8" and row.get("dtype") == "f32"}
    fused, cv_style = auto.get("pil-crop256"), auto.get("crop256")
    print(f"Pillow Image.resize 640x480 -> 341x256 bilinear: {pil:.1f} us")
    if tv is not None:
        print(f"torchvision Resize(256) + CenterCrop(224) + ToTensor + Normalize: {tv:.1f} us")
    if fused and cv_style:
        print(f"pixnorm pil-bilinear Resize(256) + CenterCrop(224) to f32 NCHW, fused: {fused:.1f} us "
              f"= {fused / pil:.3f}x Pillow's resize (goal <= 0.05), {fused / cv_style:.2f}x pixnorm's "
              f"bilinear plan of {cv_style:.1f} us (goal <= 1.5)")
        if tv is not None:
            print(f"  and {fused / tv:.3f}x the whole torchvision recipe")


if __name__ == "__main__":
    main()
