"""pixnorm: uint8 images to normalized model-input tensors, bit-exact with the pixnorm CLI and C API.

    import pixnorm, numpy as np
    stats = pixnorm.Stats.preset("imagenet")                # or Stats.load("stats.json")
    plan = pixnorm.Plan(stats, "rgb8", 640, 480, size=(224, 224), layout="nhwc")
    tensor = plan(frame)                                     # frame: (480, 640, 3) uint8
    plan(frame, out=interpreter_input)                       # written in place, no copy

Statistics also come from a Hugging Face config (from_hf_config), a Keras ImageDataGenerator
(from_keras) and a torchvision transform (from_torchvision); Accumulator and fit_files give the exact
statistics of `pixnorm fit`, and pixnorm.dask_fit.fit runs that fit on a Dask cluster.
"""
import json as _json
import os as _os

from ._pixnorm import (  # noqa: F401
    Accumulator,
    ChannelMismatch,
    Error,
    InvalidArgument,
    InvalidStats,
    IOError,
    OutOfMemory,
    ParseError,
    Plan,
    Stats,
    TooLarge,
    Unsupported,
    backend_available,
    backend_default,
    backend_target,
    decode,
    decode_bytes,
    version,
)
from . import _pixnorm

__version__ = version()

__all__ = [
    "Accumulator", "Error", "Plan", "Stats", "decode", "decode_bytes", "version", "from_hf_config",
    "from_keras", "from_torchvision", "list_images", "fit_files", "backend_available", "backend_default",
]


# ---------------------------------------------------------------- importers

def from_hf_config(config, name=None):
    """Statistics and recipe of a Hugging Face image processor, as `pixnorm stats import --from hf`.

    `config`: a preprocessor_config.json path, a model folder holding one, a dict, or an image
    processor object (its to_dict()). Returns Stats; fields pixnorm reads but does not reproduce
    are named in warnings (the `warnings` module), as the CLI prints them.
    """
    if isinstance(config, (str, _os.PathLike)):
        path = _os.fspath(config)
        if _os.path.isdir(path):
            path = _os.path.join(path, "preprocessor_config.json")
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
        name = name or path
    elif isinstance(config, dict):
        text, name = _json.dumps(config), name or "<dict>"
    elif hasattr(config, "to_dict"):
        text, name = _json.dumps(config.to_dict()), name or type(config).__name__
    else:
        raise TypeError("config: expected a path, a dict or an image processor, got %s" % type(config).__name__)
    stats, warnings = _pixnorm._import_hf(text, name)
    if warnings:
        import warnings as _w
        for message in warnings:
            _w.warn("%s: %s" % (name, message), stacklevel=2)
    return stats


def _size_list(size, what):
    if isinstance(size, int):
        return size
    size = list(size)
    if len(size) == 1:
        return size[0]
    if len(size) == 2:
        return size
    raise ValueError("%s: expected N, [N] or [H, W], got %r" % (what, size))


def _interp_name(mode):
    value = getattr(mode, "value", mode)
    if isinstance(value, int):  # PIL's enum, as older torchvision accepted
        pil = {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}
        if value not in pil:
            raise ValueError("interpolation: unknown PIL filter %r" % value)
        return pil[value]
    return str(value)


def torchvision_json(transform):
    """The small JSON `pixnorm stats import --from torchvision` reads, from a transform object:
    a Compose of Resize, CenterCrop, ToTensor and Normalize (on PIL images), or a weights'
    transforms() (ImageClassification). Anything else is refused by name."""
    t = {}
    kind = type(transform).__name__
    if kind == "ImageClassification":
        t["resize"] = _size_list(transform.resize_size, "resize_size")
        t["center_crop"] = _size_list(transform.crop_size, "crop_size")
        t["interpolation"] = _interp_name(transform.interpolation)
        if getattr(transform, "antialias", None) is False:
            t["antialias"] = False
        t["mean"], t["std"] = list(transform.mean), list(transform.std)
        return t
    steps = list(transform.transforms) if kind == "Compose" else [transform]
    seen_tensor = False
    for step in steps:
        name = type(step).__name__
        if name == "Resize":
            if "resize" in t or "center_crop" in t:
                raise ValueError("torchvision transform: Resize after a Resize or CenterCrop is not reproduced")
            t["resize"] = _size_list(step.size, "Resize.size")
            t["interpolation"] = _interp_name(step.interpolation)
            if getattr(step, "max_size", None) is not None:
                t["max_size"] = step.max_size  # refused by name by the importer
            if getattr(step, "antialias", None) is False:
                t["antialias"] = False
        elif name == "CenterCrop":
            if "center_crop" in t:
                raise ValueError("torchvision transform: a second CenterCrop is not reproduced")
            t["center_crop"] = _size_list(step.size, "CenterCrop.size")
        elif name == "ToTensor":
            seen_tensor = True
        elif name == "Normalize":
            if not seen_tensor:
                raise ValueError("torchvision transform: Normalize before ToTensor")
            t["mean"], t["std"] = [float(v) for v in step.mean], [float(v) for v in step.std]
        else:
            raise ValueError("torchvision transform: %s is not reproduced (Resize, CenterCrop, ToTensor, Normalize)"
                             % name)
    if not seen_tensor:
        raise ValueError("torchvision transform: no ToTensor (pixnorm reproduces the PIL-image path)")
    return t


def from_torchvision(transform):
    """Statistics and recipe of a torchvision transform (see torchvision_json)."""
    return _pixnorm._import_torchvision(_json.dumps(torchvision_json(transform)), "<%s>" % type(transform).__name__)


def from_keras(generator):
    """Statistics and the plan mode reproducing a keras_preprocessing ImageDataGenerator's
    standardize(): x * rescale, then featurewise (x - mean) / (std + 1e-6) with the mean and std
    its fit() computed (before rescale), or the samplewise ones. Returns (Stats, mode)."""
    g = generator
    rescale = float(g.rescale) if g.rescale else 1.0
    if getattr(g, "zca_whitening", False):
        raise ValueError("ImageDataGenerator: zca_whitening is not reproduced")
    if getattr(g, "preprocessing_function", None) is not None:
        raise ValueError("ImageDataGenerator: a preprocessing_function is not reproduced")
    feature = g.featurewise_center or g.featurewise_std_normalization
    sample = g.samplewise_center or g.samplewise_std_normalization
    if feature and sample:
        raise ValueError("ImageDataGenerator: samplewise and featurewise settings together are not reproduced")
    source = {"imported_from": "keras", "rescale": rescale}
    if sample:
        stats = Stats.from_values([0.0], [1.0], rescale=rescale, epsilon=1e-6)
        mode = "sample-standardize" if g.samplewise_std_normalization else "sample-center"
        if g.samplewise_std_normalization and not g.samplewise_center:
            raise ValueError("ImageDataGenerator: samplewise_std_normalization without samplewise_center "
                             "is not reproduced")
    elif feature:
        import numpy as np
        mean = np.zeros(3) if not g.featurewise_center else g.mean
        std = None if not g.featurewise_std_normalization else g.std
        if (g.featurewise_center and g.mean is None) or (g.featurewise_std_normalization and g.std is None):
            raise ValueError("ImageDataGenerator: featurewise settings but fit() was not called (no mean/std)")
        mean = [float(v) for v in np.asarray(mean, dtype=np.float64).ravel()]
        if std is not None:
            std = [float(v) for v in np.asarray(std, dtype=np.float64).ravel()]
        order = "GRAY" if len(mean) == 1 else "RGB"
        stats = Stats.from_values(mean, std, rescale=rescale, channel_order=order,
                                  epsilon=1e-6 if std is not None else 0.0)
        mode = "standardize" if std is not None else "center"
    else:
        stats = Stats.from_values([0.0], [1.0], rescale=rescale)
        mode = "rescale"
    source["mode"] = mode
    stats.set_field("source", _json.dumps(source))
    return stats, mode


# ---------------------------------------------------------------- files

_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tga", ".ppm", ".pgm", ".pnm")


def list_images(folder):
    """The image files `pixnorm fit FOLDER` takes, in its order: recursive, byte-wise order of the
    relative paths, names starting with '.' left out, links followed with every file and folder
    taken once by (device, inode), regular files only."""
    import stat as _stat
    root = _os.fspath(folder)
    st = _os.stat(root)
    if not _stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError("%s: not a folder" % root)
    seen_dirs, seen_files, out = {(st.st_dev, st.st_ino)}, set(), []

    def walk(rel):
        path = _os.path.join(root, rel) if rel else root
        entries = []
        with _os.scandir(path) as it:
            for e in it:
                if e.name.startswith("."):
                    continue
                try:
                    is_dir = e.is_dir()
                except OSError:
                    is_dir = False
                if is_dir or e.name.lower().endswith(_IMAGE_EXTENSIONS):
                    entries.append((_os.fsencode(e.name) + (b"/" if is_dir else b""), e.name, is_dir))
        for _, name, is_dir in sorted(entries):
            sub = rel + name
            try:
                s = _os.stat(_os.path.join(root, sub))
            except OSError:
                if not is_dir:
                    out.append(sub)
                continue
            if is_dir:
                if _stat.S_ISDIR(s.st_mode) and (s.st_dev, s.st_ino) not in seen_dirs:
                    seen_dirs.add((s.st_dev, s.st_ino))
                    walk(sub + "/")
            elif _stat.S_ISREG(s.st_mode) and (s.st_dev, s.st_ino) not in seen_files:
                seen_files.add((s.st_dev, s.st_ino))
                out.append(sub)

    walk("")
    return [_os.path.join(root, r) for r in out]


def fit_source(folder, colour="auto", resize=None):
    """The "source" field `pixnorm fit FOLDER` writes, so that a fit of the same folder by another
    route (Dask) writes the same file."""
    return _json.dumps({
        "folder": folder,
        "resize": "%dx%d" % tuple(resize) if resize else None,
        "sample": 1,
        "shard": None,
        "channels": colour,
        "tool": "pixnorm " + version(),
    }, ensure_ascii=False)


def fit_files(paths, colour="auto", resize=None, strict=False):
    """An Accumulator holding the exact sums of the files, as `pixnorm fit` measures them."""
    acc = Accumulator(colour, resize)
    for p in paths:
        acc.add_file(_os.fspath(p), strict)
    return acc
