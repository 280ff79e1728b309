"""The runner the CLI test scripts share: every test runs, each in the same temporary folder,
and the failures are reported together. PIXNORM_CLI_TEST=name runs one test."""
import os
import sys
import tempfile
import time
import traceback


def run_tests(tests, work_prefix, set_work, epilogue=None):
    """Runs `tests` (functions) after set_work(folder); returns the exit status."""
    only = os.environ.get("PIXNORM_CLI_TEST")
    failed, ran = [], 0
    with tempfile.TemporaryDirectory(prefix=work_prefix) as work:
        set_work(work)
        for fn in tests:
            if only and fn.__name__ != only:
                continue
            start = time.time()
            ran += 1
            try:
                fn()
                print(f"ok    {fn.__name__} ({time.time() - start:.1f} s)")
            except Exception:  # report every test, not only the first failure
                failed.append(fn.__name__)
                print(f"FAIL  {fn.__name__}\n{traceback.format_exc()}")
            sys.stdout.flush()
    if epilogue:
        epilogue()
    if failed:
        print(f"{len(failed)} of {ran} tests failed: {', '.join(failed)}")
        return 1
    print(f"all {ran} tests passed")
    return 0


def main(names, tests, work_prefix, extra=(), epilogue=None):
    """A script's main: sets PIXNORM and DATA (absolute paths) from the command line, then the
    names in `extra` (as given), and WORK to the temporary folder, all in the script's globals
    `names`; then runs `tests`. Returns the exit status."""
    script = os.path.basename(sys.argv[0])
    if len(sys.argv) != 3 + len(extra):
        sys.exit(f"usage: {script} PIXNORM DATA_DIR{''.join(' ' + e for e in extra)}")
    names["PIXNORM"], names["DATA"] = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    for name, value in zip(extra, sys.argv[3:]):
        names[name] = value
    return run_tests(tests, work_prefix, lambda work: names.__setitem__("WORK", work), epilogue)
