"""BIDS-Motion: write and read one IMU's entry in a BIDS dataset (the `motion` datatype).

Follows the BIDS specification 1.11.1 (modality-specific-files/motion.md and the schema
rules files/raw/motion.yaml, sidecars/motion.yaml, tabular_data/motion.yaml), the
version whose schema bids-validator 3.0.2 bundles and checks. One sensor is one tracking
system (``tracksys``, REQUIRED in the file name); a second sensor recorded with it is a
second tracking system of the same name but for ``tracksys``, with one shared recording
onset (`write_motion_pair`; `bids_pair` finds and aligns it when reading)::

    dataset_description.json  participants.tsv  participants.json  README
    sub-<S>/[ses-<E>/]sub-<S>[_ses-<E>]_scans.tsv
    sub-<S>/[ses-<E>/]motion/sub-<S>[_ses-<E>]_task-<T>_tracksys-<K>_motion.tsv
                                                   ..._motion.json  ..._channels.tsv
                                                   ..._channels.json  ..._events.tsv
                                                   ..._events.json

Time. ``_motion.tsv`` has no header and one row per sample period on a uniform grid at
the recording's effective rate (``SamplingFrequencyEffective``; ``SamplingFrequency`` is
the nominal rate the device was set to). Samples the device lost are rows of ``n/a``
(``MissingValues``), so row i is always about i / rate seconds after the first sample.
The exact time of every sample, from the device clock, is in the ``LATENCY`` channel (s
from the first sample, ``s.000000``), which the spec provides for uneven sampling; the
reader uses it when present, else row / rate. Event onsets are seconds from the first
sample.

Writing takes plain arrays, metadata and an events table from the caller (the analysis
lives above this layer); reading returns arrays in s, m/s^2 and rad/s. Every problem is a
one-line HingeInputError naming the file.
"""
from .bids_layout import BIDS_VERSION, check_label, entry_name, entry_paths
from .bids_read import ACC_UNITS_TO_MPS2, GYR_UNITS_TO_RAD_S, BidsMotion, read_motion, read_motion_events
from .bids_write import MotionEntry, channels_table, uniform_rows, write_motion_entry, write_motion_pair

__all__ = ["BIDS_VERSION", "MotionEntry", "BidsMotion", "write_motion_entry", "write_motion_pair", "read_motion", "read_motion_events",
           "entry_name", "entry_paths", "check_label", "channels_table", "uniform_rows", "ACC_UNITS_TO_MPS2",
           "GYR_UNITS_TO_RAD_S"]
