"""Session reports: one self-contained HTML file per set of analysed sessions.

``ReportSession`` (base.py) is the input contract; ``render_report`` builds the page from
matplotlib figures (figures.py, Agg, embedded PNG) and plain-language advice grounded in
the scoring reasons (summary.py). Reading files and running the pipeline is
`hinge.reporting`'s job.
"""
from .base import HIP_LED, SPINE_LED, ReportSession
from .html import calibration_quality, group_by_participant, render_report
from .summary import Advice, advice, headline

__all__ = ["ReportSession", "HIP_LED", "SPINE_LED", "render_report", "group_by_participant",
           "calibration_quality", "advice", "headline", "Advice"]
