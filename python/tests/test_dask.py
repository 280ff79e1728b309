"""fit on a dask.distributed LocalCluster of two worker processes: the CLI's statistics file to the
last digit, whatever the partitioning, also when a worker process is killed mid-run."""
import os
import signal
import threading
import time

import pytest

import pixnorm

distributed = pytest.importorskip("distributed")
dask_fit = pytest.importorskip("pixnorm.dask_fit")


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=40)
    c = Client(cluster)
    # The workers import pixnorm as this process does.
    c.run(lambda: __import__("pixnorm").version())
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def expected(cli, dataset, tmp_path_factory):
    from conftest import run_cli
    out = tmp_path_factory.mktemp("cli") / "stats.json"
    run_cli(cli, "fit", dataset, "-o", out, "-q", "--threads", "2")
    return out.read_text()


def test_folder_equals_cli(client, dataset, expected):
    calls = []
    stats = dask_fit.fit(dataset, client=client, partitions=5, progress=lambda *a: calls.append(a))
    assert stats.to_json() == expected
    assert len(calls) == 5 and calls[-1][:2] == (5, 5)


@pytest.mark.parametrize("partitions", [1, 2, 7, 1000])
def test_other_partitionings(client, dataset, expected, partitions):
    files = pixnorm.list_images(dataset)
    # A list instead of the folder: same sums, source not the folder's.
    stats = dask_fit.fit(files[::-1], client=client, partitions=partitions)
    got, want = stats.to_json(), expected
    strip = lambda t: [l for l in t.splitlines() if not l.lstrip().startswith('"source"')]
    assert strip(got) == strip(want)


def test_dask_bag(client, dataset, expected):
    import dask.bag as db
    files = pixnorm.list_images(dataset)
    stats = dask_fit.fit(db.from_sequence(files, npartitions=4), client=client)
    strip = lambda t: [l for l in t.splitlines() if not l.lstrip().startswith('"source"')]
    assert strip(stats.to_json()) == strip(expected)


def test_worker_killed_mid_run(client, dataset, expected):
    pids = list(client.run(os.getpid).values())
    assert len(pids) == 2
    killed = []

    def progress(done, total, images):
        # After the first partition is in, kill one worker while the others run (each file
        # takes 50 ms, so its current partition is lost and must be run again elsewhere).
        if done == 1 and not killed:
            killed.append(pids[0])
            os.kill(pids[0], signal.SIGKILL)

    stats = dask_fit.fit(dataset, client=client, partitions=8, progress=progress, _delay=0.05)
    assert killed
    assert stats.to_json() == expected
    # The nanny restarted the worker: the cluster still has two.
    deadline = time.time() + 20
    while len(client.scheduler_info()["workers"]) < 2 and time.time() < deadline:
        time.sleep(0.2)
    assert pids[0] not in client.run(os.getpid).values()
