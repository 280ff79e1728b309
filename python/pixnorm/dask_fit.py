"""`pixnorm fit` on a Dask cluster: the same statistics file, to the last digit, whatever the partitioning.

    from dask.distributed import Client
    import pixnorm.dask_fit
    client = Client("tcp://scheduler:8786")
    stats = pixnorm.dask_fit.fit("/data/train", client=client, partitions=64)
    stats.save("stats.json")

Each partition is one task: a worker decodes its files (paths must be readable at the same path on
every worker: a shared mount) and returns the exact integer sums of its images as a pickled
Accumulator (a few hundred bytes, plus 8 bytes per file for the file record). The client adds the
parts, in whatever order they arrive: integer sums do not depend on it. A task whose worker dies is
run again by Dask elsewhere; its result is taken once, by partition, so nothing is counted twice.
"""
import os
import sys
import time

from . import Accumulator, fit_source, list_images

__all__ = ["fit", "fit_accumulator", "partition"]


def partition(paths, partitions):
    """Splits the list into `partitions` contiguous parts of near-equal length (none empty)."""
    n = len(paths)
    partitions = max(1, min(int(partitions), n)) if n else 1
    bounds = [n * i // partitions for i in range(partitions + 1)]
    return [paths[bounds[i]:bounds[i + 1]] for i in range(partitions)]


def _fit_part(paths, colour, resize, strict, delay=0.0):
    # `delay` (seconds per file) lets the tests kill a worker while its task is still running.
    acc = Accumulator(colour, resize)
    for p in paths:
        if delay:
            time.sleep(delay)
        acc.add_file(p, strict)
    return acc


def _fit_bag_part(paths, colour, resize, strict):
    return [_fit_part(list(paths), colour, resize, strict)]


def _progress_printer(stream=sys.stderr):
    def report(done, total, images):
        stream.write("\rpixnorm: %d/%d partitions, %d images" % (done, total, images))
        if done == total:
            stream.write("\n")
        stream.flush()
    return report


def fit_accumulator(files, client=None, partitions=None, colour="auto", resize=None, strict=False,
                    progress=None, _delay=0.0):
    """The merged Accumulator of `files` (a folder, a list of paths, or a dask.bag of paths)."""
    import dask.bag
    from dask.distributed import as_completed, get_client

    if client is None:
        client = get_client()
    if progress is True:
        progress = _progress_printer()
    if isinstance(files, dask.bag.Bag):
        futures = client.compute(files.map_partitions(_fit_bag_part, colour, resize, strict).to_delayed())
    else:
        if isinstance(files, (str, os.PathLike)):
            files = list_images(files)
        paths = [os.path.abspath(os.fspath(p)) for p in files]
        if partitions is None:
            workers = max(1, len(client.scheduler_info().get("workers", {})))
            partitions = 4 * workers
        parts = partition(paths, partitions)
        # Each task's key names its partition: a rerun after a worker's death replaces the lost
        # result instead of adding a second one.
        futures = [client.submit(_fit_part, part, colour, resize, strict, _delay, pure=False,
                                 key="pixnorm-fit-%d-of-%d-%s" % (i, len(parts), os.urandom(4).hex()))
                   for i, part in enumerate(parts)]
    acc = Accumulator(colour, resize)
    seen = set()
    done = 0
    for future, result in as_completed(futures, with_results=True):
        if future.key in seen:  # as_completed never yields a key twice; kept as a guard
            continue
        seen.add(future.key)
        for part in (result if isinstance(result, list) else [result]):
            acc.merge(part)
        done += 1
        if progress:
            progress(done, len(futures), acc.images)
        future.release()
    return acc


def fit(files, client=None, partitions=None, colour="auto", resize=None, raw_units=False, strict=False,
        progress=None, _delay=0.0):
    """Statistics of `files` as `pixnorm fit` writes them (same mean, std, counts, accumulators
    and file record field; for a folder, the same "source" field too, so the same file).

    files: a folder (walked as fit walks it), a list of paths, or a dask.bag of paths.
    client: a dask.distributed Client (default: the current one).
    partitions: number of tasks for a list (default: 4 per worker); a bag keeps its own.
    colour: "auto", "rgb" or "gray" (fit's --rgb/--gray); resize: (W, H) as fit's --resize.
    progress: True to print a line on stderr, or a function(done, total, images).
    """
    acc = fit_accumulator(files, client, partitions, colour, resize, strict, progress, _delay)
    if isinstance(files, (str, os.PathLike)):
        subject = os.fspath(files)
        source = fit_source(subject, colour, resize)
    else:
        subject, source = "the files", None
    return acc.to_stats(raw_units=raw_units, subject=subject, source=source)
