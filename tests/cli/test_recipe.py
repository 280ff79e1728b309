#!/usr/bin/python3
"""The training recipe in the statistics file: `pixnorm stats import` carries the resize and crop
of Hugging Face configs (ViT, CLIP, ConvNeXt with crop_pct, ALIGN), of Keras (--rescale,
--target-size, --interpolation) and of a torchvision JSON into the "preprocess" section, refusing
or warning by name what it cannot reproduce; `stats show` and `stats export --c-header` print it;
and `pixnorm apply --stats FILE IMAGE` with no geometry option computes what the training
pipeline computed: torchvision's Resize(256) + CenterCrop(224) + ToTensor + Normalize on the PIL
image, and a Hugging Face processor (PIL resize, floored crop offsets) reproduced with PIL and
numpy, both within float rounding. Geometry options replace the recipe.

usage: test_recipe.py PIXNORM DATA_DIR   (Debian's /usr/bin/python3 with numpy, PIL, torchvision)
"""
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness  # noqa: E402

try:
    from PIL import Image
except ImportError:
    sys.exit("test_recipe.py: PIL is missing: run .ci/install-deps --test (python3-pil)")

PIXNORM = DATA = WORK = None
IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
CLIP_MEAN, CLIP_STD = [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]


def run(args):
    return subprocess.run([PIXNORM] + [str(a) for a in args], capture_output=True, text=True, cwd=WORK, timeout=120)


def path(name):
    return os.path.join(WORK, name)


def write_json(name, doc):
    with open(path(name), "w") as f:
        json.dump(doc, f)
    return path(name)


def imported(args, name="out.json"):
    """Runs stats import into `name` and returns (the written document, stderr)."""
    out = path(name)
    if os.path.exists(out):
        os.unlink(out)
    r = run(["stats", "import"] + args + ["-o", out])
    assert r.returncode == 0, r.stderr
    with open(out) as f:
        return json.load(f), r.stderr


def refused(args, *what, code=1):
    out = path("refused.json")
    if os.path.exists(out):
        os.unlink(out)
    r = run(["stats", "import"] + args + ["-o", out])
    assert r.returncode == code, (args, r.returncode, r.stderr)
    for w in what:
        assert w in r.stderr, (w, r.stderr)
    assert not os.path.exists(out), "a refused import left an output"


def recipe(**fields):
    base = {"version": 1}
    base.update(fields)
    base.setdefault("exif", "ignore")
    base.setdefault("convert", "RGB")
    return base


def photo(name, w, h):
    """A smooth, non-symmetric RGB picture saved as PNG (lossless: every decoder agrees)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.stack([127 + 120 * np.sin(x / 7.0 + y / 23.0), 127 + 120 * np.cos(x / 13.0 - y / 5.0),
                    (x * 3 + y * 5) % 256], axis=2)
    p = path(name)
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(p)
    return p


def apply(stats, image, *extra):
    out = path("applied.npy")
    r = run(["apply", "--stats", stats, image, "-o", out, "-q"] + list(extra))
    assert r.returncode == 0, r.stderr
    return np.load(out)[0]


VIT = {"do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5],
       "image_processor_type": "ViTImageProcessor", "image_std": [0.5, 0.5, 0.5], "resample": 2,
       "rescale_factor": 0.00392156862745098, "size": {"height": 224, "width": 224}}
CLIP = {"crop_size": {"height": 224, "width": 224}, "do_center_crop": True, "do_convert_rgb": True,
        "do_normalize": True, "do_rescale": True, "do_resize": True, "feature_extractor_type": "CLIPFeatureExtractor",
        "image_mean": CLIP_MEAN, "image_processor_type": "CLIPImageProcessor", "image_std": CLIP_STD, "resample": 3,
        "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 224}}
CONVNEXT = {"crop_pct": 0.875, "do_normalize": True, "do_rescale": True, "do_resize": True,
            "image_mean": IMAGENET_MEAN, "image_processor_type": "ConvNextImageProcessor", "image_std": IMAGENET_STD,
            "resample": 3, "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 224}}
ALIGN = {"crop_size": {"height": 289, "width": 289}, "do_center_crop": True, "do_normalize": False,
         "do_rescale": True, "do_resize": True, "image_mean": IMAGENET_MEAN,
         "image_processor_type": "EfficientNetImageProcessor", "image_std": IMAGENET_STD, "include_top": False,
         "processor_class": "AlignProcessor", "resample": 0, "rescale_factor": 0.00784313725490196,
         "rescale_offset": True, "size": {"height": 289, "width": 289}}


def test_hf_configs_carry_the_recipe():
    doc, _ = imported(["--from", "hf", write_json("vit.json", VIT)])
    assert doc["preprocess"] == recipe(resize={"width": 224, "height": 224}, interp="pil-bilinear"), doc
    doc, _ = imported(["--from", "hf", write_json("clip.json", CLIP)])
    assert doc["preprocess"] == recipe(resize_short=224, interp="pil-bicubic", crop={"width": 224, "height": 224},
                                       crop_rounding="floor"), doc
    assert doc["mean"] == CLIP_MEAN and doc["std"] == CLIP_STD
    # ConvNeXt: int(224 / 0.875) = 256, then a 224 crop; from 384 on a warp, no crop.
    doc, _ = imported(["--from", "hf", write_json("convnext.json", CONVNEXT)])
    assert doc["preprocess"] == recipe(resize_short=256, interp="pil-bicubic", crop={"width": 224, "height": 224},
                                       crop_rounding="floor"), doc
    doc, _ = imported(["--from", "hf", write_json("convnext384.json", dict(CONVNEXT, size={"shortest_edge": 384}))])
    assert doc["preprocess"] == recipe(resize={"width": 384, "height": 384}, interp="pil-bicubic"), doc
    doc, _ = imported(["--from", "hf", write_json("convnext_pct.json", dict(CONVNEXT, crop_pct=0.95))])
    assert doc["preprocess"]["resize_short"] == 235  # int(224 / 0.95) = int(235.79)
    # ALIGN: a crop equal to the resize is no crop; nearest is PIL's 0.
    doc, _ = imported(["--from", "hf", write_json("align.json", ALIGN)])
    assert doc["preprocess"] == recipe(resize={"width": 289, "height": 289}, interp="pil-nearest"), doc
    assert doc["mean"] == [1.0] and doc["rescale"] == 0.00784313725490196
    # A crop without a resize: a region of the image, offsets floored.
    doc, _ = imported(["--from", "hf", write_json("croponly.json", dict(CLIP, do_resize=False))])
    assert doc["preprocess"] == recipe(interp="pil-bilinear", crop={"width": 224, "height": 224},
                                       crop_rounding="floor"), doc
    # Each PIL resample value.
    for value, name in enumerate(["pil-nearest", "pil-lanczos", "pil-bilinear", "pil-bicubic", "pil-box",
                                  "pil-hamming"]):
        doc, _ = imported(["--from", "hf", write_json("r.json", dict(VIT, resample=value))])
        assert doc["preprocess"]["interp"] == name, (value, doc)


def test_hf_refusals_and_warnings_name_the_field():
    cases = [
        (dict(VIT, size={"longest_edge": 224}), "field \"size.longest_edge\""),
        (dict(VIT, size={"shortest_edge": 224, "longest_edge": 1333}), "field \"size.longest_edge\""),
        (dict(VIT, size=224), "field \"size\" is a bare number"),
        (dict(VIT, size={"height": 0, "width": 224}), "field \"size.height\" is 0"),
        (dict(VIT, size={"height": 224.5, "width": 224}), "field \"size.height\" must be an integer"),
        ({k: v for k, v in VIT.items() if k != "resample"}, "field \"resample\" is missing"),
        (dict(VIT, resample=7), "field \"resample\" is 7"),
        (dict(VIT, do_center_crop=True, crop_size={"height": 200, "width": 200}), "field \"do_center_crop\""),
        (dict(CLIP, crop_size={"height": 300, "width": 300}), "field \"crop_size\" is larger"),
        (dict(CLIP, crop_pct=0.9), "field \"crop_pct\" is only known for ConvNextImageProcessor"),
        (dict(CONVNEXT, crop_pct=1.5), "field \"crop_pct\" is 1.5"),
        ({k: v for k, v in CLIP.items() if k != "crop_size"}, "field \"crop_size\" is missing"),
    ]
    for config, what in cases:
        refused(["--from", "hf", write_json("bad.json", config)], "bad.json", what)
    # Unknown fields are kept out but named; do_convert_rgb false is named too.
    _, err = imported(["--from", "hf", write_json("pad.json", dict(VIT, do_pad=True, do_convert_rgb=False))])
    assert "field \"do_pad\" is not reproduced" in err, err
    assert "field \"do_convert_rgb\" is false" in err, err


def test_keras_and_torchvision_imports():
    def npy(name, values):
        p = path(name)
        np.save(p, np.array(values, dtype=np.float32))
        return p

    mean, std = npy("mean.npy", [120.0, 115.0, 100.0]), npy("std.npy", [60.0, 58.0, 57.0])
    doc, err = imported(["--from", "keras", mean, std, "--units", "raw", "--rescale", "0.5", "--target-size",
                         "150x100"])
    assert doc["preprocess"] == recipe(resize={"width": 150, "height": 100}, interp="pil-nearest"), doc
    assert doc["rescale"] == 0.5 and doc["epsilon"] == 1e-6, doc
    assert "before the mean is subtracted" in err and "ImageDataGenerator.standardize" in err, err
    doc, _ = imported(["--from", "keras", mean, std, "--units", "raw", "--target-size", "64x32", "--interpolation",
                       "bicubic"])
    assert doc["preprocess"]["interp"] == "pil-bicubic" and doc["epsilon"] == 0, doc
    doc, _ = imported(["--from", "keras", mean, std, "--units", "raw"])
    assert "preprocess" not in doc
    refused(["--from", "keras", mean, std, "--units", "raw", "--target-size", "64x0"], "--target-size", code=2)
    refused(["--from", "keras", mean, std, "--units", "raw", "--target-size", "64x32", "--interpolation", "cubic"],
            "--interpolation: unknown value 'cubic'", code=2)
    refused(["--from", "keras", mean, std, "--units", "raw", "--interpolation", "bicubic"], "needs --target-size",
            code=2)
    refused(["--from", "hf", write_json("vit.json", VIT), "--rescale", "2"], "--rescale applies to --from keras",
            code=2)

    tv = {"resize": 256, "interpolation": "bicubic", "antialias": True, "center_crop": 224, "mean": IMAGENET_MEAN,
          "std": IMAGENET_STD}
    doc, err = imported(["--from", "torchvision", write_json("tv.json", tv)])
    assert doc["preprocess"] == recipe(resize_short=256, interp="pil-bicubic", crop={"width": 224, "height": 224},
                                       crop_rounding="round"), doc
    assert doc["mean"] == IMAGENET_MEAN and abs(doc["rescale"] * 255 - 1) < 1e-15, doc
    assert "offsets rounded, as torchvision" in err, err
    doc, _ = imported(["--from", "torchvision", write_json("tv2.json", {"resize": [240, 320]})])
    assert doc["preprocess"] == recipe(resize={"width": 320, "height": 240}, interp="pil-bilinear"), doc
    assert doc["mean"] == [0] and doc["std"] == [1], doc
    doc, _ = imported(["--from", "torchvision", write_json("tv3.json", {"resize": [256], "center_crop": [200, 100]})])
    assert doc["preprocess"]["resize_short"] == 256 and doc["preprocess"]["crop"] == {"width": 100, "height": 200}
    for bad, what in [(dict(tv, antialias=False), "field \"antialias\" is false"),
                      (dict(tv, max_size=500), "field \"max_size\""),
                      (dict(tv, rotate=5), "field \"rotate\" is unknown"),
                      (dict(tv, interpolation="nearest-exact"), "field \"interpolation\""),
                      (dict(tv, resize=[1, 2, 3]), "field \"resize\" has 3 values"),
                      (dict(tv, resize=0), "field \"resize\" is 0"),
                      (dict(tv, resize=[300, 300], center_crop=224), "field \"center_crop\"")]:
        refused(["--from", "torchvision", write_json("badtv.json", bad)], "badtv.json", what)


def test_show_and_c_header_carry_the_recipe():
    stats, _ = imported(["--from", "hf", write_json("clip.json", CLIP)], "clip_stats.json")
    r = run(["stats", "show", path("clip_stats.json")])
    assert r.returncode == 0, r.stderr
    assert "preprocess          resize the shorter side to 224 (pil-bicubic), then center crop 224x224 " \
           "(offsets floored, as Hugging Face)" in r.stdout, r.stdout
    assert "extra fields        source" in r.stdout, r.stdout
    r = run(["stats", "export", path("clip_stats.json"), "--c-header", "-o", path("clip_stats.h")])
    assert r.returncode == 0, r.stderr
    with open(path("clip_stats.h")) as f:
        h = f.read()
    for line in ["#define CLIP_STATS_HAS_PREPROCESS 1", "#define CLIP_STATS_RESIZE_SHORT 224u",
                 "#define CLIP_STATS_RESIZE_WIDTH 0u", "#define CLIP_STATS_CROP_WIDTH 224u",
                 "#define CLIP_STATS_CROP_HEIGHT 224u", "#define CLIP_STATS_INTERP 7 /* PIXNORM_INTERP_PIL_BICUBIC",
                 "#define CLIP_STATS_CROP_ROUNDING 1 /* PIXNORM_CROP_FLOOR */"]:
        assert line in h, (line, h)
    r = run(["stats", "export", "--preset", "imagenet", "--c-header", "-o", path("plain_stats.h")])
    assert r.returncode == 0, r.stderr
    with open(path("plain_stats.h")) as f:
        assert "#define PLAIN_STATS_HAS_PREPROCESS 0" in f.read()


def torchvision_reference(img, resize, crop, interp, mean, std):
    import torch  # noqa: F401
    import torchvision.transforms as T
    modes = {"pil-bilinear": T.InterpolationMode.BILINEAR, "pil-bicubic": T.InterpolationMode.BICUBIC}
    t = T.Compose([T.Resize(resize, interpolation=modes[interp]), T.CenterCrop(crop), T.ToTensor(),
                   T.Normalize(mean, std)])
    return t(img).numpy()


def hf_reference(img, edge, crop, resample, mean, std):
    """transformers' resize (shortest_edge: int() of the longer side) with PIL, center_crop with
    floor division, rescale in float64 then float32, normalize in float32."""
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    new_long = int(edge * long / short)
    size = (edge, new_long) if w <= h else (new_long, edge)
    a = np.asarray(img.resize(size, resample=resample))
    top, left = (a.shape[0] - crop) // 2, (a.shape[1] - crop) // 2
    a = a[top:top + crop, left:left + crop]
    a = (a.astype(np.float64) * (1 / 255)).astype(np.float32)
    a = (a - np.array(mean, dtype=np.float32)) / np.array(std, dtype=np.float32)
    return a.transpose(2, 0, 1)


def test_apply_uses_the_recipe_as_training_did():
    tv = {"resize": 256, "interpolation": "bilinear", "center_crop": 224, "mean": IMAGENET_MEAN, "std": IMAGENET_STD}
    imported(["--from", "torchvision", write_json("tv.json", tv)], "tv_stats.json")
    imported(["--from", "hf", write_json("clip.json", dict(CLIP, size={"shortest_edge": 256}))], "hf_stats.json")
    # 301x227 resized to a shorter side of 256 is 339x256: margin 115, torchvision's offset
    # round(57.5) = 58, Hugging Face's 57 (and the transposed image on the other axis).
    for w, h in [(301, 227), (227, 301), (640, 480), (500, 375)]:
        p = photo(f"photo_{w}x{h}.png", w, h)
        img = Image.open(p).convert("RGB")
        got = apply(path("tv_stats.json"), p)
        ref = torchvision_reference(img, 256, 224, "pil-bilinear", IMAGENET_MEAN, IMAGENET_STD)
        assert got.shape == ref.shape == (3, 224, 224), (got.shape, ref.shape)
        diff = float(np.abs(got - ref).max())
        assert diff < 2e-6, (w, h, "torchvision", diff)
        got_hf = apply(path("hf_stats.json"), p)
        ref_hf = hf_reference(img, 256, 224, Image.BICUBIC, CLIP_MEAN, CLIP_STD)
        diff = float(np.abs(got_hf - ref_hf).max())
        assert diff < 2e-6, (w, h, "hf", diff)
        if (w, h) in [(301, 227), (227, 301)]:
            # The crop rounding is what makes these agree: the other rounding is a column off.
            other = hf_reference(img, 256, 224, Image.BICUBIC, CLIP_MEAN, CLIP_STD)
            shifted = torchvision_reference(img, 256, 224, "pil-bicubic", CLIP_MEAN, CLIP_STD)
            assert float(np.abs(other - shifted).max()) > 0.1, "the sample does not tell the roundings apart"
    # Images of different sizes go into one tensor: the recipe resizes them all.
    out = path("batch.npy")
    r = run(["apply", "--stats", path("tv_stats.json"), path("photo_301x227.png"), path("photo_640x480.png"),
             "-o", out, "-q"])
    assert r.returncode == 0, r.stderr
    assert np.load(out).shape == (2, 3, 224, 224)


def test_geometry_options_replace_the_recipe():
    tv = {"resize": 256, "interpolation": "bilinear", "center_crop": 224, "mean": IMAGENET_MEAN, "std": IMAGENET_STD}
    imported(["--from", "torchvision", write_json("tv.json", tv)], "tv_stats.json")
    p = photo("photo.png", 320, 240)
    img = Image.open(p).convert("RGB")
    # --resize replaces the whole recipe: a plain bilinear stretch.
    assert apply(path("tv_stats.json"), p, "--resize", "100x50").shape == (3, 50, 100)
    # --no-recipe: the image at its size.
    assert apply(path("tv_stats.json"), p, "--no-recipe").shape == (3, 240, 320)
    # --interp replaces only the interpolation.
    got = apply(path("tv_stats.json"), p, "--interp", "pil-bicubic")
    ref = torchvision_reference(img, 256, 224, "pil-bicubic", IMAGENET_MEAN, IMAGENET_STD)
    assert float(np.abs(got - ref).max()) < 2e-6
    # --flip adds to it.
    got = apply(path("tv_stats.json"), p, "--flip")
    ref = torchvision_reference(img, 256, 224, "pil-bilinear", IMAGENET_MEAN, IMAGENET_STD)[:, :, ::-1]
    assert float(np.abs(got - ref).max()) < 2e-6
    # A plan the library refuses keeps the library's message (the recipe check must not clear it).
    r = run(["apply", "--stats", path("tv_stats.json"), p, "--dtype", "int8", "--quant-scale", "1",
             "--quant-zero-point", "200", "-o", path("x.npy"), "-q"])
    assert r.returncode == 2 and "quant_zero_point" in r.stderr, r.stderr
    # The recipe's crop does not fit an image too small for it: the image is named.
    croponly = write_json("crop.json", {"center_crop": 300})
    imported(["--from", "torchvision", croponly], "crop_stats.json")
    r = run(["apply", "--stats", path("crop_stats.json"), p, "-o", path("x.npy"), "-q"])
    assert r.returncode == 1 and "photo.png" in r.stderr and "crop is larger" in r.stderr, r.stderr


TESTS = [test_hf_configs_carry_the_recipe, test_hf_refusals_and_warnings_name_the_field,
         test_keras_and_torchvision_imports, test_show_and_c_header_carry_the_recipe,
         test_apply_uses_the_recipe_as_training_did, test_geometry_options_replace_the_recipe]


def main():
    return cli_harness.main(globals(), TESTS, "pixnorm_recipe_")


if __name__ == "__main__":
    sys.exit(main())
