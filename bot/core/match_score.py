"""A storyline's score for one item, from the hits found in it. Pure.

Each term group contributes its best hit; roles are capped; a sibling story
named more prominently than the storyline's own evidence takes the item; and
when several storylines match, one far below the best (or naming the best as
its sibling storyline) gives the item up. See ``bot.core.match``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.core.match_result import MatchResult, Reason
from bot.core.match_terms import (
    ACTOR,
    AUTHORITY,
    BOOSTER,
    EXCLUDE,
    PARTY,
    ROLE_CAP,
    SIBLING,
    SUBJECT,
    TITLE,
    TOPIC,
    WHERE,
    Hit,
    Plan,
)
from bot.core.storyline import Storyline

#: A storyline scoring this much below the best match, without its subject in
#: the title, gives the item to the closer storyline.
CLOSER_MARGIN = 25.0
_OWN = {ACTOR: "actor", PARTY: "party", SUBJECT: "subject", None: "actor, party and subject"}


def score(
    storyline: Storyline, plan: Plan, hits: Sequence[Hit], authorities: Sequence[Hit]
) -> tuple[MatchResult, bool]:
    """The storyline's result from the ``hits`` of its terms (and the
    ``authorities`` found), and whether its subject is in the title."""
    # Hits arrive deduplicated per (phrase, place); keep each group's heaviest.
    best: dict[int, int] = {}
    for i, hit in enumerate(hits):
        group = hit.term.group
        current = best.get(group)
        if current is None or abs(hit.weight) > abs(hits[current].weight):
            best[group] = i
    totals = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    # How prominently (1 title, 0.6 summary, fuzzy less) each role is named.
    place = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    carriers = set(best.values())
    siblings: list[int] = []
    subject_in_title = False
    for i in best.values():
        term, where, _found, _sim, weight = hits[i]
        role = term.role_index
        if role == SIBLING:
            carriers.discard(i)
            siblings.append(i)
            continue
        totals[role] += weight
        share = weight / term.weight
        if share > place[role]:
            place[role] = share
        if role == SUBJECT and where == TITLE:
            subject_in_title = True
    subject = min(totals[SUBJECT], ROLE_CAP["subject"])
    authority: Hit | None = None
    if subject > 0 and authorities and totals[ACTOR] + totals[PARTY] <= 0:
        authority = max(authorities, key=lambda h: h.weight)
        totals[AUTHORITY] = authority.weight
    # Parties and authorities are actors only where the subject is named.
    who = totals[ACTOR] + (totals[PARTY] + totals[AUTHORITY] if subject > 0 else 0.0)
    total = (
        min(who, ROLE_CAP["actor"])
        + subject
        + min(totals[TOPIC], ROLE_CAP["topic"])
        + min(totals[BOOSTER], ROLE_CAP["booster"])
        + max(totals[EXCLUDE], ROLE_CAP["exclude"])
    )
    # A sibling wins unless the own evidence it names in place of this
    # storyline's (or, unsaid, min(2, kinds defined) kinds of own evidence)
    # is named at least as prominently.
    lost_to: Hit | None = None
    if siblings:
        own = sorted((place[ACTOR], place[PARTY], place[SUBJECT]), reverse=True)
        two = own[min(2, max(plan.own_kinds, 1)) - 1]
        for i in siblings:
            kind = plan.sibling_kinds.get(hits[i].term.group)
            needed = two if kind is None else place[kind]
            share = hits[i].weight / hits[i].term.weight
            if share > needed and (lost_to is None or share > lost_to.weight / lost_to.term.weight):
                lost_to = hits[i]
        if lost_to is not None:
            total += lost_to.weight
            carriers.add(hits.index(lost_to))
    total = round(min(max(total, 0.0), 100.0), 2)
    has_topic = totals[TOPIC] > 0
    classic = totals[ACTOR] > 0 and has_topic
    by_subject = subject > 0 and (who > 0 or has_topic)
    matched = lost_to is None and (classic or by_subject) and total >= storyline.match.threshold
    reasons = []
    for i, (term, where, found, similarity, weight) in enumerate(hits):
        # A party is named, but not an actor, without the subject.
        carries = i in carriers and (subject > 0 or term.role_index != PARTY)
        if similarity >= 100.0:
            reasons.append(term.reasons[where][carries])
        else:
            reasons.append(
                Reason(
                    term.label,
                    term.phrase,
                    found,
                    similarity,
                    round(weight, 2) if carries else 0.0,
                    WHERE[where],
                )
            )
    if authority is not None:
        reasons.append(authority.term.reasons[authority.where][1])
    if lost_to is not None:
        replaced = _OWN[plan.sibling_kinds.get(lost_to.term.group)]
        reasons.append(
            Reason(
                lost_to.term.label,
                lost_to.term.phrase,
                lost_to.found,
                100.0,
                0.0,
                WHERE[lost_to.where],
                note=f"a sibling story ({lost_to.found!r}) is named more prominently "
                f"than this storyline's own {replaced}",
            )
        )
    return MatchResult(storyline.id, total, matched, tuple(reasons)), subject_in_title


def prefer_closer(
    results: list[MatchResult], plans: Sequence[Plan], named: set[int], subject_named: set[int]
) -> None:
    """Unmatch, in ``results`` (indexed like ``plans``), the storylines among
    ``named`` that give the item up to the best-scoring one."""
    matched = [i for i in named if results[i].matched]
    if len(matched) < 2:
        return
    top = max(matched, key=lambda i: results[i].score)
    best = results[top]
    for i in matched:
        if i == top:
            continue
        r = results[i]
        declared = best.storyline in plans[i].sibling_storylines and r.score < best.score
        far = best.score - r.score >= CLOSER_MARGIN and i not in subject_named
        if declared or far:
            why = (
                f"{best.storyline} is a sibling storyline and scores higher "
                f"({best.score:.0f} > {r.score:.0f})"
                if declared
                else f"{best.storyline} is closer ({best.score:.0f} vs {r.score:.0f}) "
                "and this storyline's subject is not in the title"
            )
            note = Reason("closer storyline", best.storyline, "", 100.0, 0.0, note=why)
            results[i] = replace(r, matched=False, reasons=(*r.reasons, note))
