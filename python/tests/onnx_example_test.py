"""examples/python/onnx_classify.py prints the same top-5 as the C example examples/onnx_classify
on the end-to-end test's model (tests/e2e/make_model.py) and frames, odd sizes included.
Usage: onnx_example_test.py SOURCE_DIR ONNX_CLASSIFY WORKDIR"""
import os
import subprocess
import sys

import cv2
import numpy as np

source, c_example, work = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.join(source, "tests", "e2e"))
import make_model  # noqa: E402

os.makedirs(work, exist_ok=True)
model = os.path.join(work, "resnet18_seed0.onnx")
if not os.path.exists(model):
    print("model:", make_model.export(model))


def make_frame(w, h):
    bgr = cv2.imread(os.path.join(source, "examples", "data", "rocket.jpg"), cv2.IMREAD_COLOR)
    ew, eh = w + w % 2, h + h % 2
    i420 = cv2.cvtColor(cv2.resize(bgr, (ew, eh), interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2YUV_I420)
    cw, ch = ew // 2, eh // 2
    chroma = i420[eh:].reshape(-1)
    uv = np.stack([chroma[: ch * cw].reshape(ch, cw), chroma[ch * cw:].reshape(ch, cw)], axis=-1)
    path = os.path.join(work, "frame_%dx%d.nv12" % (w, h))
    with open(path, "wb") as f:
        f.write(np.ascontiguousarray(i420[:h, :w]).tobytes())
        f.write(uv.tobytes())
    return path


def top5(lines):
    text = lines.decode().splitlines()
    start = next(i for i, line in enumerate(text) if line.startswith("top-"))
    return text[start:]


failed = 0
for w, h, extra in [(640, 480, []), (641, 479, []), (640, 480, ["--full-range"])]:
    frame = make_frame(w, h)
    args = [model, frame, str(w), str(h)] + extra
    c = top5(subprocess.check_output([c_example] + args))
    py = top5(subprocess.check_output([sys.executable, os.path.join(source, "examples", "python", "onnx_classify.py")]
                                      + args))
    ok = c == py and len(c) == 6
    failed += not ok
    print("%s %dx%d %s\n  C:      %s\n  Python: %s" % ("ok  " if ok else "FAIL", w, h, " ".join(extra),
                                                       " | ".join(c), " | ".join(py)))
sys.exit(1 if failed else 0)
