"""bench/eval_corpus.py: the true order of a new storyline's values, the
time-ordered parts it scores apart, and (when ../shared/corpus is present) the
core's accuracy on the labelled corpus, held to CI's thresholds."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = (REPO / ".." / "shared" / "corpus" / "dev.jsonl").resolve()
#: `make eval` and .ci/run's thresholds.
THRESHOLDS = argparse.Namespace(min_precision=0.97, min_f1=0.95, max_false_flips=0, max_lag=1)


def _eval_corpus() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_corpus", REPO / "bench" / "eval_corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def row(i: int, storyline: str, value: str | None = None) -> dict[str, Any]:
    facts = {f"{storyline}.status": value} if value else {}
    return {
        "id": f"it-{i}",
        "published": f"2026-05-{i + 1:02d}T12:00:00+00:00",
        "storyline": storyline,
        "facts": facts,
    }


def test_a_new_storylines_timeline_follows_its_labels_without_lone_values() -> None:
    ev = _eval_corpus()
    rows = [
        row(0, "drone", "flying"),
        row(1, "drone", "flying"),
        row(2, "drone", "grounded"),
        row(3, "drone", "cleared"),  # one outlet only: a lone report
        row(4, "drone", "grounded"),
        row(5, "none"),
    ]
    timelines = ev.true_timelines(rows, {"drone": ["status"]})
    assert timelines == {"drone.status": ["flying", "grounded"]}


def test_folds_cut_a_storylines_items_by_time_and_keep_the_others_of_each_span() -> None:
    ev = _eval_corpus()
    rows = [row(i, "drone" if i % 2 == 0 else "none") for i in range(12)]
    parts = ev.folds(rows, 3, "drone")
    assert len(parts) == 3
    mine = [{i for i in ids if int(i.split("-")[1]) % 2 == 0} for _, ids in parts]
    assert mine == [{"it-0", "it-2"}, {"it-4", "it-6"}, {"it-8", "it-10"}]
    every = set().union(*(ids for _, ids in parts))
    assert every == {r["id"] for r in rows}
    assert all(a.isdisjoint(b) for i, (_, a) in enumerate(parts) for _, b in parts[i + 1 :])


@pytest.mark.skipif(not CORPUS.exists(), reason=f"labelled corpus not present at {CORPUS}")
def test_the_core_meets_the_targets_on_the_labelled_corpus(tmp_path: Path) -> None:
    """``eval_corpus.py --core``: every item decided at once by the core, scored
    as the replay through the real pipeline is (CI runs that one)."""
    ev = _eval_corpus()
    rows = ev.load([CORPUS])
    storylines = tmp_path / "storylines"
    timelines = ev.true_timelines(rows, ev.gather_storylines([REPO / "storylines"], storylines))
    result = ev.evaluate(rows, ev.decide_in_core([CORPUS], storylines), timelines)
    assert ev.failures(result, THRESHOLDS, timelines) == []
    designation = result["facts"]["dod-dispute.designation_status"]
    assert designation["detected"] == ["threatened", "designated", "blocked", "partially-blocked"]
    # One outlet's "upheld" is shown as a dispute, never adopted as the state.
    assert [
        (r["value"], r["flagged_disputed"], r["adopted"]) for r in designation["lone_reports"]
    ] == [("upheld", True, False)]
