"""The core's accuracy on the labelled corpus, when ../shared/corpus is present."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = (REPO / ".." / "shared" / "corpus" / "dev.jsonl").resolve()


def _core_eval() -> ModuleType:
    spec = importlib.util.spec_from_file_location("core_eval", REPO / "bench" / "core_eval.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not CORPUS.exists(), reason=f"labelled corpus not present at {CORPUS}")
def test_matching_and_fact_tracking_meet_the_targets() -> None:
    report = _core_eval().evaluate(CORPUS, REPO / "storylines")
    for storyline, scores in report["match"].items():
        assert scores["precision"] >= 0.97, (storyline, scores)
        assert scores["f1"] >= 0.95, (storyline, scores)
    for fact in ("fable-suspension.access_status", "dod-dispute.designation_status"):
        facts = report["facts"][fact]
        assert facts["all_detected"], facts["transitions"]
        assert facts["false_flips"] == [], facts["false_flips"]
    flags = report["facts"]["dod-dispute.designation_status"]["dispute_flags"]
    assert any(
        f["disputed"] and any(c.startswith("upheld") for c in f["contenders"]) for f in flags
    )
    values = [t["value"] for t in report["facts"]["dod-dispute.designation_status"]["transitions"]]
    assert "upheld" not in values
