#!/usr/bin/python3
"""A camera loop as on a Raspberry Pi: NV12 frames (as picamera2 hands them over, one numpy array
per frame) to an int8 NHWC tensor written straight into the interpreter's input buffer.

    camera_loop.py [IMAGE] [--frames N] [--size 640x480]

With tflite_runtime, `out` would be interpreter.tensor(input_index)() (a view of the input tensor)
and the quantization that of interpreter.get_input_details()[0]["quantization"]. Here a still image
moving across the frame stands in for the camera, and a numpy array for the input tensor.
"""
import argparse
import os
import time

import cv2
import numpy as np

import pixnorm

HERE = os.path.dirname(os.path.abspath(__file__))


def nv12_frames(image, w, h, count):
    """NV12 frames (h * 3 // 2, w) uint8, as picamera2's capture_array("main") with format "YUV420"
    would be converted to; the picture pans so that frames differ."""
    bgr = cv2.imread(image, cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit("camera_loop.py: cannot read %s" % image)
    big = cv2.resize(bgr, (w + 64, h), interpolation=cv2.INTER_AREA)
    for i in range(count):
        crop = np.ascontiguousarray(big[:, i % 64: i % 64 + w])
        i420 = cv2.cvtColor(crop, cv2.COLOR_BGR2YUV_I420)
        u = i420[h: h + h // 4].reshape(-1)
        v = i420[h + h // 4:].reshape(-1)
        nv12 = np.empty((h * 3 // 2, w), np.uint8)
        nv12[:h] = i420[:h]
        nv12[h:].reshape(-1)[0::2] = u
        nv12[h:].reshape(-1)[1::2] = v
        yield nv12


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("image", nargs="?", default=os.path.join(HERE, "..", "data", "rocket.jpg"))
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--size", default="640x480")
    a = ap.parse_args()
    w, h = map(int, a.size.split("x"))

    # A typical quantized TFLite model input: 1x224x224x3 int8, scale 1/128 around zero point 0
    # (MobileNet's x / 127.5 - 1), preset "tf".
    scale, zero_point = 0.0078125, 0
    plan = pixnorm.Plan(pixnorm.Stats.preset("tf"), "nv12", w, h, size=(224, 224), fit="center-crop",
                        layout="nhwc", dtype="int8", quant_scale=scale, quant_zero_point=zero_point)
    input_tensor = np.zeros((1, 224, 224, 3), np.int8)  # interpreter.tensor(input_index)() in real code

    frames = list(nv12_frames(a.image, w, h, a.frames))
    times = []
    for frame in frames:
        t0 = time.perf_counter()
        plan(frame, out=input_tensor)  # no allocation, no copy: the tensor is filled in place
        times.append(time.perf_counter() - t0)
        # interpreter.invoke() would run here.
    times.sort()
    print("%d frames %dx%d NV12 -> 1x224x224x3 int8 (scale %g, zero point %d), backend %s (%s): "
          "median %.1f us per frame" % (len(frames), w, h, scale, zero_point, plan.backend, plan.target,
                                        times[len(times) // 2] * 1e6))
    print("last tensor: min %d, max %d, mean %.2f" % (input_tensor.min(), input_tensor.max(), input_tensor.mean()))


if __name__ == "__main__":
    main()
