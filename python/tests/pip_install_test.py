"""`pip install` of the source tree into a virtual environment that sees the system's packages,
offline (--no-build-isolation --no-index), then the statistics and plan tests on the installed
package, from outside the tree. Usage: pip_install_test.py SOURCE_DIR PIXNORM_CLI"""
import os
import shutil
import subprocess
import sys
import tempfile

source, cli = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
if os.environ.get("PIXNORM_FORCE_SCALAR"):
    # The environment changes what runs, not what is built: the install was checked without it.
    print("skipped: the package build does not depend on PIXNORM_FORCE_SCALAR")
    sys.exit(77)

KEEP = ("CMakeLists.txt", "LICENSE", "README.md", "pyproject.toml", "setup.py", "runtime", "platform", "tools",
        "python")


def ignore(folder, names):
    return [n for n in names if n in ("__pycache__", "build") or n.endswith(".egg-info")]


with tempfile.TemporaryDirectory(prefix="pixnorm-pip-") as work:
    tree = os.path.join(work, "src")
    os.mkdir(tree)
    for name in KEEP:  # a copy: pip writes build files and metadata into the tree it installs
        src = os.path.join(source, name)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(tree, name), ignore=ignore)
        else:
            shutil.copy(src, tree)
    venv = os.path.join(work, "venv")
    subprocess.check_call([sys.executable, "-m", "venv", "--system-site-packages", venv])
    py = os.path.join(venv, "bin", "python")
    env = dict(os.environ, CMAKE_BUILD_PARALLEL_LEVEL=os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2"))
    env.pop("PYTHONPATH", None)
    subprocess.check_call([py, "-m", "pip", "install", "--no-build-isolation", "--no-index", "-q", tree], env=env,
                          cwd=work)
    where = subprocess.check_output([py, "-c", "import pixnorm; print(pixnorm.__file__)"], env=env, cwd=work).decode()
    assert where.startswith(venv), where
    tests = os.path.join(source, "python", "tests")
    env["PIXNORM_CLI"] = cli
    subprocess.check_call([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", os.path.join(tests, "test_stats.py"),
                           os.path.join(tests, "test_plan.py"), "-k", "not gil"], env=env, cwd=work)
    print("pip install into a virtual environment: OK (%s)" % where.strip())
