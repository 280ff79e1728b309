#!/usr/bin/python3
"""End-to-end tests of where the pixnorm CLI writes, and of the smaller promises around it.

    test_outputs.py PIXNORM DATA_DIR

Outputs: a character device (/dev/null, /dev/full), a FIFO, '-' and /dev/stdout are written
directly and stay what they are (CI runs as root, where renaming over /dev/null succeeds and
turns it into a regular file); a symbolic link is written through; an output that is one of
the inputs is refused; temporaries are recognizable and those of dead processes removed. Every
command that writes a file is covered. Also: every command's --help, Hugging Face
rescale_offset, Keras statistics no pixels could give, and check on every preset.
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import threading

import cli_harness

try:
    import numpy as np
except ImportError:
    sys.exit("test_outputs.py: numpy is missing: run .ci/install-deps --test (python3-numpy)")

PIXNORM = DATA = WORK = None
PHOTOS = ("astronaut.png", "chelsea.png", "coffee.jpg", "rocket.jpg")
EXIT_WARNING = 3


def run(args, cwd=None, text=True):
    return subprocess.run([PIXNORM] + [str(a) for a in args], capture_output=True, text=text, cwd=cwd or WORK,
                          timeout=120)


def path(name):
    return os.path.join(WORK, name)


def photo(name="chelsea.png"):
    return os.path.join(DATA, name)


def device_intact(dev):
    st = os.lstat(dev)
    assert stat.S_ISCHR(st.st_mode), f"{dev} is no longer a character device: mode {oct(st.st_mode)}"


def fitted_parts():
    """Two shards of a fit of two photos, and the folder: inputs for merge and fit."""
    folder = path("photos")
    if not os.path.isdir(folder):
        os.makedirs(folder)
        for n in ("astronaut.png", "chelsea.png"):
            shutil.copy(photo(n), folder)
        for i in range(2):
            r = run(["fit", folder, "--shard", f"{i}/2", "-o", path(f"part{i}.json")])
            assert r.returncode == 0, r.stderr
    return folder, [path("part0.json"), path("part1.json")]


def hf_config(name, **fields):
    with open(path(name), "w") as f:
        json.dump(fields, f)
    return path(name)


def writers(out):
    """One command line per command that writes a file, writing `out`."""
    folder, parts = fitted_parts()
    cfg = hf_config("hf.json", image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5])
    return {
        "apply": ["apply", "--preset", "imagenet", photo(), "-o", out],
        "stats export": ["stats", "export", "--preset", "imagenet", "--c-header", "--name", "m", "-o", out],
        "stats import": ["stats", "import", "--from", "hf", cfg, "-o", out],
        "merge": ["merge"] + parts + ["-o", out],
        "fit": ["fit", folder, "-o", out],
        "check --plot": ["check", "--preset", "imagenet", photo(), "--plot", out],
    }


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


# ---------------------------------------------------------------- special files

def devices(real, minor):
    """A private node of the same device first (root can make one), then the real one: a broken
    build then fails on the private node without ever touching the machine's /dev/null."""
    private = path(f"private_{os.path.basename(real)}")
    try:
        if not os.path.exists(private):
            os.mknod(private, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
        yield private
    except PermissionError:
        pass
    if os.path.exists(real):
        yield real


@test
def dev_null_stays_a_device():
    for dev in devices("/dev/null", 3):
        for name, args in writers(dev).items():
            r = run(args)
            assert r.returncode == 0, f"{name} -o {dev}: exit {r.returncode}: {r.stderr}"
            device_intact(dev)
            assert os.path.getsize(dev) == 0
            # fit and merge keep no file record or checkpoint beside a device.
            for extra in (dev + ".files", dev + ".checkpoint"):
                assert not os.path.lexists(extra), f"{name} -o {dev} left {extra}"
        assert not any(".pixnorm-tmp." in n for n in os.listdir(os.path.dirname(dev))), "a temporary was left"


@test
def dev_full_fails_with_its_name():
    for dev in devices("/dev/full", 7):
        for name, args in writers(dev).items():
            r = run(args)
            assert r.returncode != 0 and dev in r.stderr, f"{name} -o {dev}: exit {r.returncode}: {r.stderr}"
            device_intact(dev)


@test
def fifo_is_written_like_a_pipe():
    reference = path("ref.npy")
    assert run(["apply", "-q", "--preset", "imagenet", photo(), "-o", reference]).returncode == 0
    fifo = path("pipe.npy")
    os.mkfifo(fifo)
    got = {}

    def reader():
        with open(fifo, "rb") as f:
            got["data"] = f.read()

    t = threading.Thread(target=reader, daemon=True)  # a broken build leaves it blocked in open()
    t.start()
    r = run(["apply", "-q", "--preset", "imagenet", photo(), "-o", fifo])
    t.join(60)
    assert r.returncode == 0, r.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced"
    assert got.get("data") == open(reference, "rb").read(), "the FIFO carried other bytes than the file"


@test
def standard_output():
    reference = open(path("ref.npy"), "rb").read() if os.path.exists(path("ref.npy")) else None
    if reference is None:
        assert run(["apply", "-q", "--preset", "imagenet", photo(), "-o", path("ref.npy")]).returncode == 0
        reference = open(path("ref.npy"), "rb").read()
    for out in ("-", "/dev/stdout"):
        r = run(["apply", "--preset", "imagenet", photo(), "-o", out], text=False)
        assert r.returncode == 0, r.stderr
        assert r.stdout == reference, f"-o {out}: {len(r.stdout)} bytes, not the file's {len(reference)}"
        assert b"wrote" in r.stderr, r.stderr  # the summary stays off the data
    # Text outputs too.
    r = run(["stats", "export", "--preset", "imagenet", "--c-header", "--name", "m", "-o", "-"])
    assert r.returncode == 0 and "#define M_STATS_RESCALE" in r.stdout, r
    folder, parts = fitted_parts()
    for out in ("-", "/dev/stdout"):
        r = run(["merge"] + parts + ["-o", out])
        assert r.returncode == 0 and json.loads(r.stdout)["format"] == "pixnorm-stats", r
    assert not os.path.exists(path("-")), "'-' was taken as a file name"
    r = run(["check", "--preset", "imagenet", photo(), "--plot", "-"])
    assert r.returncode == 2 and "--plot" in r.stderr, r


@test
def special_files_refused():
    os.makedirs(path("folder.npy"), exist_ok=True)
    r = run(["apply", "--preset", "imagenet", photo(), "-o", path("folder.npy")])
    assert r.returncode == 1 and "folder.npy" in r.stderr, r
    assert os.listdir(path("folder.npy")) == [], "a file was left in the folder"


# ---------------------------------------------------------------- links and inputs

@test
def symlink_is_written_through():
    target = path("real.npy")
    with open(target, "wb") as f:
        f.write(b"old")
    link = path("link.npy")
    os.symlink("real.npy", link)
    r = run(["apply", "-q", "--preset", "imagenet", photo(), "-o", link])
    assert r.returncode == 0, r.stderr
    assert os.path.islink(link) and os.readlink(link) == "real.npy", "the link was replaced"
    assert np.load(target).shape == (1, 3, 224, 224)
    # A dangling link creates its target.
    dangling = path("dangling.json")
    os.symlink("made.json", dangling)
    r = run(["stats", "import", "--from", "hf", hf_config("h2.json", image_mean=0.5, image_std=0.5), "-o", dangling])
    assert r.returncode == 0, r.stderr
    assert os.path.islink(dangling) and json.load(open(path("made.json")))["format"] == "pixnorm-stats"
    # The library's writer (fit, merge) does the same.
    folder, parts = fitted_parts()
    os.symlink("merged_real.json", path("merged_link.json"))
    r = run(["merge"] + parts + ["-o", path("merged_link.json")])
    assert r.returncode == 0, r.stderr
    assert os.path.islink(path("merged_link.json")) and os.path.isfile(path("merged_real.json"))


@test
def input_as_output_refused():
    img = path("x.png")
    shutil.copy(photo(), img)
    before = open(img, "rb").read()
    os.link(img, path("hard.png"))
    os.symlink("x.png", path("soft.png"))
    for out in ("x.png", "./x.png", img, "hard.png", "soft.png", "../" + os.path.basename(WORK) + "/x.png"):
        r = run(["apply", "--preset", "imagenet", "x.png", "-o", out])
        assert r.returncode == 2 and "input" in r.stderr, f"-o {out}: exit {r.returncode}: {r.stderr}"
    r = run(["apply", "--preset", "imagenet", "x.png", "--output=x.png"])
    assert r.returncode == 2, r
    assert open(img, "rb").read() == before, "the input image was changed"
    # The statistics file of an import, a part of a merge, a statistics file read by export.
    cfg = hf_config("cfg.json", image_mean=0.5, image_std=0.5)
    r = run(["stats", "import", "--from", "hf", cfg, "-o", cfg])
    assert r.returncode == 2 and "cfg.json" in r.stderr, r
    folder, parts = fitted_parts()
    kept = open(parts[0]).read()
    r = run(["merge"] + parts + ["-o", parts[0]])
    assert r.returncode == 2 and "part0.json" in r.stderr, r
    assert open(parts[0]).read() == kept
    r = run(["apply", "--stats", parts[1], photo(), "-o", parts[1]])
    assert r.returncode == 2, r
    r = run(["check", "--preset", "imagenet", img, "--plot", "hard.png"])
    assert r.returncode == 2, r
    assert open(img, "rb").read() == before


# ---------------------------------------------------------------- temporaries

@test
def stale_temporaries_removed():
    host = os.uname().nodename.split(".")[0]
    host = "".join(c if c.isalnum() or c == "-" else "_" for c in host)[:32] or "host"
    dead = subprocess.Popen(["true"])
    dead.wait()
    d = path("tmpdir")
    os.makedirs(d)
    names = {
        "stale": f".out.npy.pixnorm-tmp.{host}.{dead.pid}.abc123",
        "alive": f".out.npy.pixnorm-tmp.{host}.{os.getpid()}.abc123",
        "other host": f".out.npy.pixnorm-tmp.{host}x.{dead.pid}.abc123",
        "other output": f".other.npy.pixnorm-tmp.{host}.{dead.pid}.abc123",
        "other pattern": f".out.npy.pixnorm-tmp.{host}.{dead.pid}.abc123.bak",
    }
    for n in names.values():
        with open(os.path.join(d, n), "wb") as f:
            f.write(b"x" * 100)
    r = run(["apply", "-q", "--preset", "imagenet", photo(), "-o", "out.npy"], cwd=d)
    assert r.returncode == 0, r.stderr
    left = set(os.listdir(d))
    assert names["stale"] not in left, "the temporary of a dead process was kept"
    for why, n in names.items():
        if why != "stale":
            assert n in left, f"{why}: {n} was removed"
    assert "out.npy" in left


# ---------------------------------------------------------------- help

@test
def every_command_has_help():
    commands = [["apply"], ["info"], ["check"], ["fit"], ["merge"], ["bench"], ["stats"], ["stats", "export"],
                ["stats", "import"], ["stats", "show"], []]
    for cmd in commands:
        for flag in ("--help", "-h"):
            r = run(cmd + [flag])
            assert r.returncode == 0, f"{cmd + [flag]}: exit {r.returncode}: {r.stderr}"
            assert "usage" in r.stdout.lower(), f"{cmd + [flag]}: no usage on stdout: {r.stdout[:200]!r}"
    # Without the benchmark program beside it (an install without it): still help, exit 0.
    lone = path("lone")
    os.makedirs(lone)
    shutil.copy(PIXNORM, lone)
    r = subprocess.run([os.path.join(lone, os.path.basename(PIXNORM)), "bench", "--help"], capture_output=True,
                       text=True, env={"PATH": "/usr/bin:/bin"}, timeout=60)
    assert r.returncode == 0 and "usage" in r.stdout.lower() and "pixnorm_bench" in r.stdout, r


# ---------------------------------------------------------------- imports

@test
def hf_rescale_offset():
    # ALIGN: EfficientNetImageProcessor, x / 127.5 - 1, no normalization, include_top false.
    align = hf_config("align.json", image_processor_type="EfficientNetImageProcessor", do_normalize=False,
                      include_top=False, rescale_factor=1 / 127.5, rescale_offset=True,
                      image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5])
    r = run(["stats", "import", "--from", "hf", align, "-o", path("align_stats.json")])
    assert r.returncode == 0, r.stderr
    out = path("align.npy")
    r = run(["apply", "-q", "--stats", path("align_stats.json"), "--layout", "nhwc", "--raw", "256x1:rgb8",
             write_ramp(3), "-o", out])
    assert r.returncode == 0, r.stderr
    got = np.load(out).reshape(256, -1)[:, 0].astype(np.float64)
    want = np.arange(256) / 127.5 - 1
    assert np.abs(got - want).max() < 1e-6, (got[:3], got[-3:])
    assert got.min() == -1 and abs(got.max() - 1) < 1e-6, (got.min(), got.max())
    # EfficientNet with normalization: (x * r - 1 - mean) / std, then / std again (include_top default).
    eff = hf_config("eff.json", image_processor_type="EfficientNetImageProcessor", rescale_factor=1 / 255,
                    rescale_offset=True, image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225])
    r = run(["stats", "import", "--from", "hf", eff, "-o", path("eff_stats.json")])
    assert r.returncode == 0, r.stderr
    doc = json.load(open(path("eff_stats.json")))
    assert np.allclose(doc["mean"], [1.485, 1.456, 1.406]) and np.allclose(doc["std"], [0.229 ** 2, 0.224 ** 2,
                                                                                       0.225 ** 2]), doc


def write_ramp(channels):
    p = path(f"ramp{channels}.raw")
    with open(p, "wb") as f:
        f.write(np.repeat(np.arange(256, dtype=np.uint8), channels).tobytes())
    return p


@test
def keras_values_no_pixels_give():
    def npy(name, values):
        np.save(path(name), np.array(values, np.float32))
        return path(name)

    mean_raw, std_raw = npy("m_raw.npy", [123.7, 116.3, 103.5]), npy("s_raw.npy", [58.4, 57.1, 57.4])
    variance = npy("var.npy", [3409.0, 3262.0, 3291.0])
    mean_unit, std_unit = npy("m_unit.npy", [0.485, 0.456, 0.406]), npy("s_unit.npy", [0.229, 0.224, 0.225])
    for args, names in (([mean_raw, variance, "--units", "raw"], ["var.npy", "3409", "variance", "58.3"]),
                        ([mean_raw, std_raw, "--units", "unit"], ["m_raw.npy", "123.7", "--units raw"]),
                        ([mean_unit, std_raw, "--units", "unit"], ["s_raw.npy", "58.4"]),
                        ([npy("neg.npy", [-3.0]), std_raw, "--units", "raw"], ["neg.npy", "-3"]),
                        ([mean_raw, npy("big.npy", [130.0]), "--units", "raw"], ["big.npy", "127.5"])):
        out = path("k.json")
        r = run(["stats", "import", "--from", "keras"] + args + ["-o", out])
        assert r.returncode == 1, f"{args}: exit {r.returncode}"
        for n in names:
            assert n in r.stderr, f"{args}: {n!r} not in {r.stderr}"
        assert not os.path.exists(out)
    for args in ([mean_raw, std_raw, "--units", "raw"], [mean_unit, std_unit, "--units", "unit"],
                 [npy("edge.npy", [127.5]), npy("edge_s.npy", [127.5]), "--units", "raw"]):
        r = run(["stats", "import", "--from", "keras"] + args + ["-o", path("ok.json")])
        assert r.returncode == 0, f"{args}: {r.stderr}"


# ---------------------------------------------------------------- check

@test
def check_every_preset_and_mode():
    photos = [photo(n) for n in PHOTOS]
    for preset in ("imagenet", "tf", "unit", "caffe"):
        for mode in ("standardize", "center", "rescale"):
            r = run(["check", "--preset", preset, "--mode", mode] + photos)
            assert r.returncode == 0, f"--preset {preset} --mode {mode}: exit {r.returncode}\n{r.stdout}{r.stderr}"
    # The same convention written in other units: x / 255 as rescale 1, std 255.
    stats = path("unit_as_raw.json")
    with open(stats, "w") as f:
        json.dump({"format": "pixnorm-stats", "version": 1, "channel_order": "RGB", "rescale": 1.0, "mean": [0.0],
                   "std": [255.0]}, f)
    r = run(["check", "--stats", stats] + photos)
    assert r.returncode == 0, r.stdout
    # Conventions still flag images unlike photographs: a nearly black sample.
    dark = path("dark.rgb")
    with open(dark, "wb") as f:
        f.write(np.random.default_rng(1).integers(0, 4, 64 * 64 * 3, dtype=np.uint8).tobytes())
    for preset in ("tf", "unit", "caffe"):
        r = run(["check", "--preset", preset, "--raw", "64x64:rgb8", dark])
        assert r.returncode == EXIT_WARNING and "far from mean" in r.stdout, f"{preset}: {r.stdout}"


def main():
    return cli_harness.main(globals(), TESTS, "pixnorm_outputs_")


if __name__ == "__main__":
    sys.exit(main())
