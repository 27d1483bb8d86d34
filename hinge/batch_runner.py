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
from hinge.threads import limit_native_threads

__all__ = ["run_jobs", "DASK_CONNECT_TIMEOUT_S"]

# How long to wait for a Dask scheduler to answer before giving up, s.
DASK_CONNECT_TIMEOUT_S = 10.0
Callback = Callable[[JobResult], None]


def run_jobs(jobs: Sequence[BatchJob], workers: int = 1, scheduler: str | None = None,
             on_done: Callback | None = None, notes: list[str] | None = None) -> list[JobResult]:
    """Analyse every job; ``workers`` 1 runs in this process; ``scheduler`` a Dask address.

    ``on_done`` is called in this process once per finished job (for a progress bar);
    ``notes`` receives one-line remarks about the run (e.g. a slow cluster setting).
    Returns one JobResult per job, in job order.
    """
    on_done = on_done or (lambda result: None)
    if scheduler is not None:
        return _run_dask(jobs, scheduler, on_done, notes if notes is not None else [])
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
    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
        return multiprocessing.get_context("spawn")
    from multiprocessing import forkserver

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["hinge.batch_job", "hinge.recordings.load", "hinge.api"])
    # Parallelism comes from processes: each worker's BLAS/OpenMP runs one thread
    # (hinge.threads; two workers with a pool per core on two cores spin against each
    # other: a 10-minute recording then cost 2.8x the CPU time). The command line has set
    # this already; for a caller of the Python API only the fork server (and so every
    # worker, which takes the environment it is started with) gets it, and this process's
    # own environment is restored at once. A user's own setting wins.
    added = limit_native_threads()
    try:
        forkserver.ensure_running()
    finally:
        for name in added:
            os.environ.pop(name, None)
    return context


def _run_processes(jobs: Sequence[BatchJob], workers: int, on_done: Callback,
                   function: Callable[[BatchJob], JobResult] = analyse_job) -> list[JobResult]:
    """Jobs on a pool of ``workers`` processes; a worker that dies does not end the batch.

    When a worker process dies (killed for memory, or a crash inside a native library),
    the pool fails every job it had not finished, not only the culprit's. Those jobs are
    run again, each in a process of its own (``workers`` at a time), so only the recording
    that kills its process is reported failed.
    """
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    results: list[JobResult | None] = [None] * len(jobs)
    orphaned: list[int] = []
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=_process_context())
    try:
        futures = {executor.submit(function, job): index for index, job in enumerate(jobs)}
        for future in as_completed(futures):
            index = futures[future]
            try:
                results[index] = future.result()
            except BrokenProcessPool:
                orphaned.append(index)
                continue
            except Exception as error:  # noqa: BLE001 - e.g. a result that cannot be unpickled
                results[index] = failed_result(jobs[index], _lost(jobs[index], error))
            on_done(results[index])
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown(wait=True)
    if orphaned:
        _run_isolated(jobs, sorted(orphaned), workers, on_done, function, results)
    return results  # type: ignore[return-value]


def _run_isolated(jobs: Sequence[BatchJob], indices: list[int], workers: int, on_done: Callback,
                  function: Callable[[BatchJob], JobResult], results: list) -> None:
    """Run each job in a one-process pool of its own, ``workers`` pools at a time."""
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed

    context = _process_context()

    def alone(index: int) -> JobResult:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as executor:
            try:
                return executor.submit(function, jobs[index]).result()
            except Exception as error:  # noqa: BLE001 - BrokenProcessPool: this recording killed its process
                return failed_result(jobs[index], _lost(jobs[index], error))

    with ThreadPoolExecutor(max_workers=workers) as threads:
        futures = {threads.submit(alone, index): index for index in indices}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            on_done(results[futures[future]])


def _lost(job: BatchJob, error: BaseException) -> str:
    text = " ".join(str(error).split()) or "no message"
    return f"{job.recording.file}: the worker process analysing it died or failed ({type(error).__name__}: {text})"


def _malloc_trim_threshold() -> str | None:
    """Run on each Dask worker: its MALLOC_TRIM_THRESHOLD_ setting."""
    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def _run_dask(jobs: Sequence[BatchJob], address: str, on_done: Callback, notes: list[str]) -> list[JobResult]:
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
        # Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which switches off
        # glibc's adaptive mmap threshold: every large numpy array is then mapped and
        # unmapped afresh, and the analysis takes twice the CPU time (benchmarks/batch.py).
        settings = {value for value in client.run(_malloc_trim_threshold).values() if value is not None}
        if settings:
            notes.append(f"the Dask workers run with MALLOC_TRIM_THRESHOLD_={', '.join(sorted(settings))} (Dask's "
                         "default), which makes the analysis about 2x slower; start them with "
                         "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_: null in the Dask config "
                         "(README, Batch)")
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
