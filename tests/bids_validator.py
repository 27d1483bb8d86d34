"""The official BIDS validator (bids-validator 3.0.2, Deno build, from the test extra), run
on a dataset; tests that need it skip when it is not installed."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def validator_issues(root: Path) -> list[dict]:
    """Every issue the validator reports for the dataset at ``root`` (dicts with ``code``,
    ``severity``, ``location``); skips the calling test when the validator is missing."""
    candidates = (str(Path(sys.executable).with_name("bids-validator-deno")), shutil.which("bids-validator-deno"))
    validator = next((c for c in candidates if c and Path(c).is_file()), None)
    if validator is None:
        pytest.skip("bids-validator-deno is not installed (the test extra: pip install bids-validator-deno==3.0.2)")
    done = subprocess.run([validator, str(root), "--format", "json", "--max-rows", "-1"],
                          capture_output=True, text=True, timeout=300)
    return json.loads(done.stdout)["issues"]["issues"]


def validator_errors(root: Path) -> list[str]:
    """The validator's errors for the dataset at ``root``, as "CODE location" lines."""
    return [f"{i['code']} {i.get('location')}" for i in validator_issues(root) if i["severity"] == "error"]
