"""Shared fixtures: the CLI (PIXNORM_CLI), the sample images (PIXNORM_DATA) and a small data set."""
import os
import shutil
import subprocess

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("PIXNORM_CLI")
    if not path or not os.access(path, os.X_OK):
        pytest.skip("PIXNORM_CLI is not set to the built pixnorm executable")
    return path


@pytest.fixture(scope="session")
def data():
    return os.environ.get("PIXNORM_DATA", os.path.join(ROOT, "examples", "data"))


def run_cli(cli, *args, ok=True):
    r = subprocess.run([cli, *map(str, args)], capture_output=True)
    if ok and r.returncode != 0:
        raise AssertionError("pixnorm %s failed (%d): %s" % (" ".join(map(str, args)), r.returncode, r.stderr.decode()))
    return r


@pytest.fixture(scope="session")
def dataset(tmp_path_factory, data):
    """A folder like a training set: photos, a gray image, generated JPEGs and PNGs in class
    sub-folders, a corrupt file (skipped by fit) and a hidden file (ignored)."""
    import cv2
    root = tmp_path_factory.mktemp("dataset") / "train"
    rng = np.random.default_rng(20)
    for i, cls in enumerate(["cat", "dog", "zebra"]):
        (root / cls).mkdir(parents=True)
        for j in range(14):
            h, w = int(rng.integers(24, 90)), int(rng.integers(24, 90))
            img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
            img[:, :, i] //= 2  # channels differ per class
            ext = ".png" if j % 3 == 0 else ".jpg"
            cv2.imwrite(str(root / cls / ("img_%02d%s" % (j, ext))), img)
    (root / "gray").mkdir()
    for name in ["camera.png", "gradient.png"]:
        shutil.copy(os.path.join(data, name), root / "gray" / name)
    for name in ["astronaut.png", "coffee.jpg", "rocket.jpg", "chelsea.png"]:
        shutil.copy(os.path.join(data, name), root / name)
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (root / ".hidden.png").write_bytes(b"ignored")
    return str(root)
