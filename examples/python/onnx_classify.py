#!/usr/bin/python3
"""examples/onnx_classify from Python: one NV12 camera frame through an ImageNet-style ONNX
classifier run by OpenCV's DNN module, preprocessed by one pixnorm plan.

    onnx_classify.py MODEL.onnx FRAME.nv12 WIDTH HEIGHT [--preset NAME | --stats FILE] [--full-range]

The same settings as the C example (torchvision's Resize(256) + CenterCrop(224) + ToTensor +
Normalize on the RGB frame, BT.601), so the same tensor, the same logits and the same top-5 lines.
"""
import argparse
import sys

import cv2
import numpy as np

import pixnorm


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("frame")
    ap.add_argument("width", type=int)
    ap.add_argument("height", type=int)
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--preset", default="imagenet")
    group.add_argument("--stats")
    ap.add_argument("--full-range", action="store_true")
    a = ap.parse_args()

    stats = pixnorm.Stats.load(a.stats) if a.stats else pixnorm.Stats.preset(a.preset)
    plan = pixnorm.Plan(stats, "nv12", a.width, a.height, size=(224, 224), fit="center-crop", resize_short=256,
                        interp="bilinear", yuv_matrix="bt601", yuv_range="full" if a.full_range else "limited",
                        layout="nchw", dtype="f32", recipe=False)
    w, h = a.width, a.height
    cw, ch = (w + 1) // 2, (h + 1) // 2
    raw = np.fromfile(a.frame, dtype=np.uint8)
    if raw.size != w * h + ch * cw * 2:
        sys.exit("onnx_classify.py: %s: %d bytes, but an NV12 frame of %dx%d has %d" % (a.frame, raw.size, w, h,
                                                                                       w * h + ch * cw * 2))
    # The two planes as views of the file's bytes: an odd width has chroma rows of width + 1 bytes.
    y = raw[: w * h].reshape(h, w)
    uv = raw[w * h:].reshape(ch, cw, 2)

    blob = np.empty((1,) + plan.shape, np.float32)  # the network's input, written in place
    plan((y, uv), out=blob)
    print("pixnorm %s, backend %s (%s): %dx%d NV12 -> %dx%dx%d f32" % (pixnorm.version(), plan.backend, plan.target,
                                                                       w, h, *plan.shape))
    net = cv2.dnn.readNetFromONNX(a.model)
    net.setInput(blob)
    logits = net.forward().reshape(-1)
    top = min(5, logits.size)
    # Ties keep the lower index first, as the C example's partial_sort over an increasing order does
    # for distinct logits (equal logits are not expected from a real network).
    order = sorted(range(logits.size), key=lambda i: -logits[i])[:top]
    print("top-%d of %d classes:" % (top, logits.size))
    for i in order:
        print("  %4d  %10.5f" % (i, float(logits[i])))


if __name__ == "__main__":
    main()
