"""Every labelled case of ``bench/defect_cases`` (dev and held-out) gets
exactly what its label says: each expected code, and on clean code no defect
finding at warning or error. The recall and false-alarm targets are the
benchmark's business (``bench/bench_defects.py``); this keeps the labels true."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import bench_defects  # noqa: E402  - the benchmark's case runner, shared on purpose

CASES = bench_defects.load_cases()


def test_both_modes_have_enough_cases_of_each_kind():
    for mode in bench_defects.MODES:
        part = [c for c in CASES if c.mode == mode]
        assert sum(c.clean for c in part) >= 40 and sum(not c.clean for c in part) >= 30, mode
        assert {c.split for c in part} == {"dev", "heldout"}


@pytest.mark.parametrize("case", CASES, ids=[f"{c.mode}/{c.name}" for c in CASES])
def test_labelled_case(case, tmp_path: Path):
    if case.pending:
        pytest.xfail(case.pending)
    outcome = bench_defects.run_case(case, tmp_path)
    if case.clean:
        assert not outcome.flagged, outcome.flagged
    else:
        assert outcome.caught, (case.expect, sorted(outcome.codes))
