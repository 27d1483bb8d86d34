"""Provenance of every artefact hinge writes: which hinge, which settings, which input, when.

One helper for `hinge analyse --json`, the `hinge batch` tables, a BIDS export
(`dataset_description.json` GeneratedBy) and the report, so that they say the same thing
under the same names (STYLE.md rule 6, after scikit-digital-health's ``save_results``).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

# The package root is a few lines without imports beyond hinge.errors (the same version
# `hinge --version` prints and the recorder writes into session.json).
from hinge import __version__ as HINGE_VERSION

__all__ = ["HINGE_VERSION", "provenance", "flat_provenance", "utc_now"]


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the second (e.g. 2026-11-24T09:30:00+00:00)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def provenance(params: dict, input_sha256: str | None, created_utc: str | None) -> dict:
    """``{"hinge_version", "params", "input_sha256", "created_utc"}``.

    params: every setting that shaped the output (names with units), JSON-ready.
    input_sha256: hex digest of the input data (None: several inputs, or none).
    created_utc: when the artefact was made (`utc_now`), or None for outputs that must be
        reproducible row for row (the batch rows; their files carry the time elsewhere).
    """
    return {"hinge_version": HINGE_VERSION, "params": params, "input_sha256": input_sha256,
            "created_utc": created_utc}


def flat_provenance(params: dict, input_sha256: str | None) -> dict:
    """Provenance as text cells of a flat table (no clock time: the same input gives the same
    rows): hinge_version, params as sorted-key JSON, input_sha256 ("" when None)."""
    record = provenance(params, input_sha256, None)
    return {"hinge_version": record["hinge_version"], "params": json.dumps(params, sort_keys=True),
            "input_sha256": input_sha256 or ""}
