"""Run batch jobs: in this process, in local worker processes, or on a Dask cluster.

Every backend returns the results in job order, whatever order they complete in, so the
tables do not depend on the backend or the number of workers. A job never raises (see
`hinge.batch_job`); a worker that dies or a task the cluster loses becomes a failed
result for that recording, never the end of the batch.
"""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence

from hinge.batch_job import BatchJob, JobResult, analyse_job, failed_result
from hinge.errors import HingeInputError

__all__ = ["available_cores", "run_jobs", "DASK_CONNECT_TIMEOUT_S"]

# How long to wait for a Dask scheduler to answer before giving up, s.
DASK_CONNECT_TIMEOUT_S = 10.0
Callback = Callable[[JobResult], None]


def available_cores() -> int:
    """CPU cores this process may run on (respects taskset/cgroup affinity)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_jobs(jobs: Sequence[BatchJob], workers: int = 1, scheduler: str | None = None,
             on_done: Callback | None = None) -> list[JobResult]:
    """Analyse every job; ``workers`` 1 runs in this process; ``scheduler`` a Dask address.

    ``on_done`` is called in this process once per finished job (for a progress bar).
    Returns one JobResult per job, in job order.
    """
    on_done = on_done or (lambda result: None)
    if scheduler is not None:
        return _run_dask(jobs, scheduler, on_done)
    if workers <= 1 or len(jobs) <= 1:
        results = []
        for job in jobs:
            results.append(analyse_job(job))
            on_done(results[-1])
        return results
    return _run_processes(jobs, min(workers, len(jobs)), on_done)


def _process_context():
    # Forking a process that runs threads (the progress bar's refresher, BLAS pools) can
    # deadlock its children; a fork server that has imported the analysis once avoids
    # both that and a fresh numpy/scipy import per worker.
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["hinge.batch_job", "hinge.loading", "hinge.analysis.pipeline"])
        return context
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows


def _run_processes(jobs: Sequence[BatchJob], workers: int, on_done: Callback) -> list[JobResult]:
    from concurrent.futures import ProcessPoolExecutor, as_completed

    results: list[JobResult | None] = [None] * len(jobs)
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=_process_context())
    try:
        futures = {executor.submit(analyse_job, job): index for index, job in enumerate(jobs)}
        for future in as_completed(futures):
            index = futures[future]
            try:
                results[index] = future.result()
            except Exception as error:  # noqa: BLE001 - e.g. BrokenProcessPool when a worker was killed
                results[index] = failed_result(jobs[index], _lost(jobs[index], error))
            on_done(results[index])
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown(wait=True)
    return results  # type: ignore[return-value]


def _lost(job: BatchJob, error: BaseException) -> str:
    text = " ".join(str(error).split()) or "no message"
    return f"{job.recording.file}: the worker analysing it failed ({type(error).__name__}: {text})"


def _run_dask(jobs: Sequence[BatchJob], address: str, on_done: Callback) -> list[JobResult]:
    try:
        import distributed
    except ImportError:
        raise HingeInputError(f"--scheduler {address}: the Dask scheduler needs the 'distributed' package; "
                              "install hinge[dask] (pip install 'hinge[dask]')") from None
    try:
        client = distributed.Client(address, timeout=DASK_CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        text = " ".join(str(error).split())
        raise HingeInputError(f"--scheduler {address}: cannot reach the Dask scheduler ({text}); "
                              "check the address (tcp://HOST:8786) and that the scheduler is running") from None
    results: list[JobResult | None] = [None] * len(jobs)
    try:
        # pure=False: the same file analysed twice in one batch is analysed twice, as locally.
        futures = client.map(analyse_job, list(jobs), pure=False)
        index_of = {future.key: index for index, future in enumerate(futures)}
        # Our own client, not the process-wide default, so a caller's Dask setup is left alone.
        for future in distributed.as_completed(futures, loop=client.loop):
            index = index_of[future.key]
            try:
                results[index] = future.result()
            except Exception as error:  # noqa: BLE001 - e.g. KilledWorker, or hinge missing on a worker
                results[index] = failed_result(jobs[index], _lost(jobs[index], error))
            future.release()
            on_done(results[index])
    finally:
        client.close()
    return results  # type: ignore[return-value]
