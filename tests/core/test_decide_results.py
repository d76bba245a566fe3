"""Deciding's split of match results equals going through every result."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.decide import _Results
from bot.core.match_result import MatchResult, Reason

_REASON = Reason("subject", "term", "term", 100.0, 2.0)
_RESULTS = st.lists(
    st.builds(
        MatchResult,
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from([0.0, 1.0, 2.5]),
        st.booleans(),
        st.sampled_from([(), (_REASON,)]),
    ),
    max_size=4,
)


@given(st.lists(_RESULTS, max_size=8), st.data())
def test_split_is_matched_results_and_best_of_unmatched(
    batches: list[list[MatchResult]], data: st.DataObject
) -> None:
    results = _Results()
    previous: list[MatchResult] = []
    for batch in batches:
        # Some items get the very results objects of an earlier item, as from the matcher.
        if previous and data.draw(st.booleans()):
            batch = list(previous)
        matched, best = results.split(batch)
        assert matched == tuple(r for r in batch if r.matched)
        if matched:
            assert best is None
        else:
            reference = max(batch, key=lambda r: r.score, default=None)
            assert best is reference or best == reference
        previous = batch
