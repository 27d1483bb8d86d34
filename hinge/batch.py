"""`hinge batch`: analyse every recording of a study into one tidy table.

Discovery (`hinge.batch_discovery`) finds the recordings, one job per recording
(`hinge.batch_job`) analyses each and never raises, a runner (`hinge.batch_runner`) spreads
the jobs over this process, local worker processes or a Dask cluster, and
`hinge.batch_tables` writes the bends table and the per-recording table. A recording that
cannot be analysed is reported and skipped; the tables are written anyway.

    >>> from hinge.batch import run_batch
    >>> outcome = run_batch(["study/"], "bends.parquet", workers=2)
    >>> outcome.bends.groupby("subject")["score"].mean()
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hinge.analysis.provenance import provenance, utc_now
from hinge.batch_discovery import discover
from hinge.batch_job import BatchJob, JobResult
from hinge.batch_runner import run_jobs
from hinge.output_paths import check_new_file
from hinge.batch_tables import bends_table, check_output, recordings_path, recordings_table, write_table
from hinge.errors import HingeInputError
from hinge.threads import available_cores

__all__ = ["BatchOutcome", "run_batch"]


@dataclass
class BatchOutcome:
    """The two tables as written, where they went, and the failures (file, one-line error)."""

    bends: pd.DataFrame
    recordings: pd.DataFrame
    bends_path: Path
    recordings_path: Path
    failures: list[tuple[str, str]] = field(default_factory=list)
    skipped_csv: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def run_batch(inputs: list[str], output: str | Path, workers: int | None = None, scheduler: str | None = None,
              placement: str | None = None, progress: bool | str = False, force: bool = False,
              acc_unit: str = "m/s2", gyro_unit: str = "rad/s", height_m: float | None = None) -> BatchOutcome:
    """Discover, analyse and write; ``workers`` None = all local cores; ``scheduler``: Dask address.

    ``acc_unit``, ``gyro_unit``: units of the CSV recordings (`hinge.recordings.units`;
    sessions and BIDS entries declare their own). ``height_m``: body height for every
    recording, m; None takes each session's stored height, else the default.

    ``progress``: a bar on stderr (True: if it is a terminal, "always": even if not; see
    hinge.progress).

    Raises:
        HingeInputError: bad output name, nothing found, or an unreachable scheduler (one line).
    """
    output = check_new_file(output, force=force, default_name="bends.csv")
    check_output(output)
    if workers is not None and workers < 1:
        raise HingeInputError(f"--jobs {workers}: need at least 1 worker process")
    found = discover(list(inputs))
    # Neither table may land on (or inside) a recording, and the per-recording table
    # beside the bends table is not replaced silently either.
    sources = [Path(r.path) for r in found.recordings]
    output = check_new_file(output, force=force, inputs=sources, default_name="bends.csv")
    check_new_file(recordings_path(output), force=force, inputs=sources)
    from hinge.recordings import units

    acc_unit, gyro_unit = units.acc_unit(acc_unit), units.gyro_unit(gyro_unit)  # refused before any work
    jobs = [BatchJob(recording=recording, placement=placement, acc_unit=acc_unit, gyro_unit=gyro_unit,
                     height_m=height_m) for recording in found.recordings]
    workers = available_cores() if workers is None else workers
    created_utc = utc_now()
    notes: list[str] = list(found.bids_copies)
    results = _run_with_progress(jobs, workers, scheduler, progress, notes)
    bends = bends_table([row for result in results for row in result.bends])
    recordings = recordings_table([result.summary for result in results])
    # Each row has its own params and input_sha256; the files say when and over what.
    metadata = {**provenance({"placement": placement}, None, created_utc), "inputs": [str(i) for i in inputs],
                "placement": placement, "acc_unit": acc_unit, "gyro_unit": gyro_unit, "height_m": height_m,
                "n_recordings": len(jobs),
                "n_failed": int((recordings["status"] == "failed").sum())}
    summary_path = recordings_path(output)
    write_table(bends, output, metadata)
    write_table(recordings, summary_path, metadata)
    failures = [(r.summary["file"], r.error) for r in results if r.error is not None]
    return BatchOutcome(bends, recordings, output, summary_path, sorted(failures), found.skipped_csv, notes)


def _run_with_progress(jobs: list[BatchJob], workers: int, scheduler: str | None,
                       enabled: bool | str, notes: list[str]) -> list[JobResult]:
    from hinge.progress import progress_bar

    where = f"on {scheduler}" if scheduler else (f"{min(workers, len(jobs))} processes" if workers > 1 else "1 process")
    failed = 0
    with progress_bar(f"analysing ({where})", len(jobs), enabled) as advance:

        def done(result: JobResult) -> None:
            nonlocal failed
            failed += result.error is not None
            advance(f"analysing ({where}), {failed} failed" if failed else None)

        return run_jobs(jobs, workers=workers, scheduler=scheduler, on_done=done, notes=notes)
