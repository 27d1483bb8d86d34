"""The error a reader gives for a bad input, checked to be one line (shared by the reader tests)."""
from __future__ import annotations

import pytest

from hinge.errors import HingeInputError
from hinge.recordings import load_recording


def load_error(path, **options) -> str:
    """The one-line `HingeInputError` message `load_recording(path, **options)` raises."""
    with pytest.raises(HingeInputError) as caught:
        load_recording(path, **options)
    message = str(caught.value)
    assert "\n" not in message, message
    return message
