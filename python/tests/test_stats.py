"""Statistics: presets, files, values and the importers, against the CLI's files byte for byte."""
import json
import os
import pickle

import numpy as np
import pytest

import pixnorm
from conftest import run_cli


@pytest.mark.parametrize("name", ["imagenet", "tf", "caffe", "unit"])
def test_preset_matches_c_api_and_saves(tmp_path, name):
    s = pixnorm.Stats.preset(name)
    path = tmp_path / "s.json"
    s.save(str(path))
    assert path.read_text() == s.to_json()
    assert pixnorm.Stats.load(str(path)).to_json() == s.to_json()
    assert pickle.loads(pickle.dumps(s)).to_json() == s.to_json()


def test_unknown_preset_and_bad_file(tmp_path):
    with pytest.raises(pixnorm.InvalidArgument, match="nope"):
        pixnorm.Stats.preset("nope")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "pixnorm-stats", "version": 1, "channel_order": "RGB", "rescale": 1, '
                   '"mean": [0, 0, 0], "std": [1, -1, 1]}')
    with pytest.raises(pixnorm.InvalidStats, match="bad.json"):
        pixnorm.Stats.load(str(bad))
    with pytest.raises(pixnorm.IOError, match="missing.json"):
        pixnorm.Stats.load(str(tmp_path / "missing.json"))


def test_from_values_and_recipe():
    s = pixnorm.Stats.from_values([0.5, 0.4, 0.3], [0.2, 0.25, 0.3], rescale=1 / 255, epsilon=1e-6)
    v = s.values
    assert v["mean"] == [0.5, 0.4, 0.3] and v["std"] == [0.2, 0.25, 0.3] and v["epsilon"] == 1e-6
    s.recipe = {"resize_short": 256, "interp": "pil-bilinear", "crop": (224, 224)}
    assert s.recipe["resize_short"] == 256 and s.recipe["crop"] == (224, 224)
    assert json.loads(s.to_json())["preprocess"]["interp"] == "pil-bilinear"
    with pytest.raises(pixnorm.InvalidStats):
        pixnorm.Stats.from_values([0.5], [0.0])
    with pytest.raises(ValueError, match="std: expected as many"):
        pixnorm.Stats.from_values([0.5, 0.4, 0.3], [0.2])
    with pytest.raises(ValueError, match="unknown key 'crop_size'"):
        s.recipe = {"crop_size": 3}


def without_source(text):
    d = json.loads(text)
    d.pop("source", None)
    return d


HF_CLIP = {"crop_size": {"height": 224, "width": 224}, "do_center_crop": True, "do_normalize": True,
           "do_rescale": True, "do_resize": True, "image_mean": [0.48145466, 0.4578275, 0.40821073],
           "image_processor_type": "CLIPImageProcessor", "image_std": [0.26862954, 0.26130258, 0.27577711],
           "resample": 3, "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 224}}


def test_hf_config_as_cli(cli, tmp_path):
    cfg = tmp_path / "preprocessor_config.json"
    cfg.write_text(json.dumps(HF_CLIP))
    run_cli(cli, "stats", "import", "--from", "hf", cfg, "-o", tmp_path / "cli.json", "-q")
    expected = (tmp_path / "cli.json").read_text()
    assert pixnorm.from_hf_config(str(cfg)).to_json() == expected  # source names the same file
    assert pixnorm.from_hf_config(str(tmp_path)).to_json() == expected  # a model folder
    assert without_source(pixnorm.from_hf_config(dict(HF_CLIP)).to_json()) == without_source(expected)
    with pytest.raises(ValueError, match="longest_edge"):
        pixnorm.from_hf_config(dict(HF_CLIP, size={"longest_edge": 3}))


def test_torchvision_transforms_as_cli(cli, tmp_path):
    T = pytest.importorskip("torchvision.transforms")
    from torchvision.transforms import InterpolationMode
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    cases = [
        (T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(mean, std)]),
         {"resize": 256, "interpolation": "bilinear", "center_crop": 224, "mean": mean, "std": std}),
        (T.Compose([T.Resize((240, 200), interpolation=InterpolationMode.BICUBIC), T.ToTensor()]),
         {"resize": [240, 200], "interpolation": "bicubic"}),
        (T.Compose([T.CenterCrop([100, 120]), T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3)]),
         {"center_crop": [100, 120], "mean": [0.5] * 3, "std": [0.5] * 3}),
    ]
    for i, (transform, described) in enumerate(cases):
        spec = tmp_path / ("t%d.json" % i)
        spec.write_text(json.dumps(described))
        run_cli(cli, "stats", "import", "--from", "torchvision", spec, "-o", tmp_path / "cli.json", "-q")
        expected = without_source((tmp_path / "cli.json").read_text())
        assert without_source(pixnorm.from_torchvision(transform).to_json()) == expected, described
    with pytest.raises(ValueError, match="RandomHorizontalFlip"):
        pixnorm.from_torchvision(T.Compose([T.RandomHorizontalFlip(), T.ToTensor()]))


def test_torchvision_weights_transforms():
    models = pytest.importorskip("torchvision.models")
    t = models.ResNet18_Weights.IMAGENET1K_V1.transforms()
    s = pixnorm.from_torchvision(t)
    assert s.recipe == {"version": 1, "resize": None, "resize_short": 256, "interp": "pil-bilinear",
                        "crop": (224, 224), "crop_rounding": "round"}
    assert s.values["mean"] == [0.485, 0.456, 0.406]


def test_keras_generator_as_cli_and_keras(cli, tmp_path):
    kp = pytest.importorskip("keras_preprocessing.image")
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (6, 20, 24, 3)).astype(np.float32)
    g = kp.ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True, rescale=1 / 255)
    g.fit(x)
    stats, mode = pixnorm.from_keras(g)
    assert mode == "standardize"
    np.save(tmp_path / "m.npy", g.mean.ravel().astype(np.float64))
    np.save(tmp_path / "s.npy", g.std.ravel().astype(np.float64))
    run_cli(cli, "stats", "import", "--from", "keras", tmp_path / "m.npy", tmp_path / "s.npy", "--units", "raw",
            "--rescale", repr(1 / 255), "-o", tmp_path / "cli.json", "-q")
    cli_values = pixnorm.Stats.load(str(tmp_path / "cli.json")).values
    assert stats.values == cli_values
    # And against Keras itself: standardize() in float32, pixnorm folds in double then float32.
    img = x[0].astype(np.uint8)
    plan = pixnorm.Plan(stats, "rgb8", 24, 20, layout="nhwc", mode=mode)
    np.testing.assert_allclose(plan(img), g.standardize(img.astype(np.float32).copy()), rtol=0, atol=2e-5)
    gs = kp.ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True, rescale=2.0)
    stats, mode = pixnorm.from_keras(gs)
    assert mode == "sample-standardize" and stats.values["rescale"] == 2.0
    plan = pixnorm.Plan(stats, "rgb8", 24, 20, layout="nhwc", mode=mode)
    np.testing.assert_allclose(plan(img), gs.standardize(img.astype(np.float32).copy()), rtol=0, atol=2e-5)
    with pytest.raises(ValueError, match="fit\\(\\) was not called"):
        pixnorm.from_keras(kp.ImageDataGenerator(featurewise_center=True))
