#!/usr/bin/python3
"""Writes a small real image classifier as ONNX, for the end-to-end test of examples/onnx_classify.

    make_model.py OUT.onnx

torchvision's ResNet-18 (1000 classes) with random weights from torch.manual_seed(0), in eval
mode, exported with opset 11 (read by OpenCV 4.6 DNN) for one 1x3x224x224 float32 NCHW input.
No pretrained weights are needed (and none could be downloaded): the test compares two
preprocessing paths through the same network, so what matters is that the network is a real
architecture (convolutions, batch norm folded at export, pooling, a linear head) and that its
logits depend clearly on the input. ResNet-18 is chosen for that: with random init its logits
have a spread of about 1 and a top-1 margin of about 0.4 on a photo, while MobileNetV3, MNASNet
and ShuffleNet give logits around 1e-9..1e-2 (their heads are initialized near zero).
The weights are random but fixed: the same seed gives the same network on every run.
"""
import sys

import torch
import torchvision


def inline_identity_constants(path):
    """torch 1.13 stores equal folded constants once (with random init every batch-norm bias is
    zero) and fans them out through Identity nodes, which OpenCV 4.6 DNN rejects ("Identity:
    inputs.size()"). Gives each Identity output its own copy of the constant instead."""
    import onnx
    model = onnx.load(path)
    graph = model.graph
    constants = {t.name: t for t in graph.initializer}
    for node in list(graph.node):
        if node.op_type == "Identity" and node.input[0] in constants:
            copy = onnx.TensorProto()
            copy.CopyFrom(constants[node.input[0]])
            copy.name = node.output[0]
            graph.initializer.append(copy)
            graph.node.remove(node)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def export(out):
    """Builds the network, writes it to `out` and checks it in OpenCV DNN. Returns a summary line."""
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None, num_classes=1000).eval()
    example = torch.zeros(1, 3, 224, 224, dtype=torch.float32)
    with torch.no_grad():
        torch.onnx.export(model, example, out, opset_version=11, input_names=["input"],
                          output_names=["logits"], do_constant_folding=True)
    inline_identity_constants(out)

    # The file must be one that OpenCV's DNN reads, and it must compute what torch computes.
    import cv2
    import numpy as np
    net = cv2.dnn.readNetFromONNX(out)
    probe = torch.from_numpy(np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32))
    net.setInput(probe.numpy())
    got = net.forward().reshape(-1)
    with torch.no_grad():
        want = model(probe).numpy().reshape(-1)
    diff = float(np.abs(got - want).max())
    if diff > 1e-3 * max(1.0, float(np.abs(want).max())):
        raise RuntimeError(f"OpenCV DNN disagrees with torch on {out} (max abs logit diff {diff})")
    return f"{out}: resnet18 (seed 0), opset 11; OpenCV DNN vs torch max abs logit diff {diff:.1e}"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    torch.set_num_threads(2)
    try:
        print("make_model:", export(sys.argv[1]))
    except RuntimeError as e:
        sys.exit(f"make_model: {e}")


if __name__ == "__main__":
    main()
