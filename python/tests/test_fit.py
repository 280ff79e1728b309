"""decode() and the exact accumulators against `pixnorm apply` and `pixnorm fit`, byte for byte."""
import os
import pickle

import numpy as np
import pytest

import pixnorm
from conftest import run_cli


def cli_pixels(cli, tmp_path, path, gray):
    # uint8 output of rescale with quant_scale 1/255: q = x exactly, the CLI's decoded pixels.
    stats = tmp_path / "id.json"
    pixnorm.Stats.from_values([0.0], [1.0], rescale=1 / 255, channel_order="GRAY" if gray else "RGB").save(str(stats))
    run_cli(cli, "apply", "--stats", stats, "--mode", "rescale", "--layout", "nhwc", "--dtype", "uint8",
            "--quant-scale", repr(1 / 255), path, "-o", tmp_path / "px.npy", "-q")
    return np.load(tmp_path / "px.npy")[0]


@pytest.mark.parametrize("name", ["astronaut.png", "camera.png", "coffee.jpg", "rocket.jpg", "gradient.png"])
def test_decode_equals_cli(cli, data, tmp_path, name):
    path = os.path.join(data, name)
    img = pixnorm.decode(path)
    gray = img.ndim == 2
    expected = cli_pixels(cli, tmp_path, path, gray)
    assert img.tobytes() == expected.tobytes()
    rgb = pixnorm.decode(path, colour="rgb")
    assert rgb.shape[2] == 3 and rgb.tobytes() == cli_pixels(cli, tmp_path, path, False).tobytes()
    with open(path, "rb") as f:
        assert pixnorm.decode_bytes(f.read(), name).tobytes() == img.tobytes()


def test_decode_errors(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(ValueError, match="bad.png"):
        pixnorm.decode(str(bad))
    with pytest.raises(ValueError, match="missing.jpg"):
        pixnorm.decode(str(tmp_path / "missing.jpg"))
    with pytest.raises(ValueError, match="colour"):
        pixnorm.decode(str(bad), colour="cmyk")


def cli_fit(cli, folder, out, *args):
    run_cli(cli, "fit", folder, "-o", out, "-q", "--threads", "2", *args)
    with open(out) as f:
        return f.read()


@pytest.mark.parametrize("args,colour,resize", [([], "auto", None), (["--gray"], "gray", None),
                                                (["--rgb", "--resize", "32x24"], "rgb", (32, 24))])
def test_accumulator_equals_cli_fit(cli, dataset, tmp_path, args, colour, resize):
    expected = cli_fit(cli, dataset, tmp_path / "cli.json", *args)
    files = pixnorm.list_images(dataset)
    acc = pixnorm.fit_files(files, colour=colour, resize=resize)
    assert acc.skipped == 1 and acc.files == len(files)
    got = acc.to_stats(subject=dataset, source=pixnorm.fit_source(dataset, colour, resize)).to_json()
    assert got == expected
    assert acc.record() == (tmp_path / "cli.json.files").read_bytes()
    # Any split, merged in any order, pickled on the way: the same sums.
    parts = [pixnorm.fit_files(files[i::3], colour=colour, resize=resize) for i in range(3)]
    merged = pixnorm.Accumulator(colour, resize)
    for p in reversed(parts):
        merged.merge(pickle.loads(pickle.dumps(p)))
    assert merged.to_stats(subject=dataset, source=pixnorm.fit_source(dataset, colour, resize)).to_json() == expected


def test_gray_part_merged_into_colour_parts(dataset):
    files = pixnorm.list_images(dataset)
    gray = [f for f in files if f.endswith("camera.png")]
    colour = [f for f in files if not f.endswith("camera.png")]
    whole = pixnorm.fit_files(files).to_stats().to_json()
    g, c = pixnorm.fit_files(gray), pixnorm.fit_files(colour)
    assert g.channels == 1 and c.channels == 3
    g.merge(c)
    assert g.to_stats().to_json() == whole


def test_add_array_equals_add_file(data):
    path = os.path.join(data, "chelsea.png")
    a, b = pixnorm.Accumulator(), pixnorm.Accumulator()
    a.add_file(path)
    b.add_array(pixnorm.decode(path))
    sa, sb = a.state, b.state
    for k in ("channels", "pixels", "sum", "sum_sq", "min", "max", "images"):
        assert sa[k] == sb[k], k


def test_accumulator_refusals(data, tmp_path):
    path = os.path.join(data, "coffee.jpg")
    a = pixnorm.Accumulator()
    a.add_file(path)
    with pytest.raises(ValueError, match="already added"):
        a.add_file(path)
    b = pixnorm.Accumulator()
    b.add_file(path)
    before = a.state
    with pytest.raises(ValueError, match="share a file"):
        a.merge(b)
    assert a.state == before
    with pytest.raises(ValueError, match="other settings"):
        a.merge(pixnorm.Accumulator("gray"))
    with pytest.raises(ValueError, match="no images"):
        pixnorm.Accumulator().to_stats()
    broken = tmp_path / "x.jpg"
    broken.write_bytes(b"nope")
    with pytest.raises(ValueError, match="x.jpg"):
        pixnorm.Accumulator().add_file(str(broken), strict=True)
    with pytest.raises(TypeError, match="uint8"):
        a.add_array(np.zeros((4, 4, 3), np.float32))
    state = dict(a.state, sum=["999999999999999999999", "1", "1"])
    with pytest.raises(ValueError, match="Accumulator state"):
        pixnorm._pixnorm._accumulator_from_state(state)
