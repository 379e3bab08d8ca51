"""Best available seats: N seats within filters, nearest the stage's focal point, never leaving
a single free seat stranded between taken ones, relaxing step by step:

1. together     one block of N adjacent seats in one row
2. nearby_rows  blocks in consecutive rows of one section (stacked group)
3. same_section blocks anywhere in one section
4. anywhere     blocks in several sections

Modes: "adjacent" stops after step 1, "same_section" after step 3, "best" goes all the way.
Wheelchair spaces are paired with an adjacent companion seat; wheelchair and companion seats
are otherwise kept for those who need them. Pure functions: the caller loads the seats.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

MODES = ("best", "adjacent", "same_section")
STEPS = ("together", "nearby_rows", "same_section", "anywhere")
RESTRICTED_VIEW_PENALTY = 1.15  # a restricted view counts as 15 % further away
EXTRA_BLOCK_PENALTY = 150  # cm per extra block: fewer pieces beat slightly closer ones
ACCESSIBLE_TYPES = ("wheelchair", "companion")


class SeatInfo(NamedTuple):
    """One seat as best available sees it (a tuple: maps build 20,000 of them per request)."""

    idx: int
    section: str
    row: str
    row_rank: int
    position: int
    x: int
    y: int
    seat_type: str
    level_id: Any
    free: bool  # sellable now


@dataclass(frozen=True)
class Pick:
    idxs: list[int]
    step: str  # one of STEPS, or "accessible"


Block = tuple[float, list[SeatInfo]]


class _Rows:
    """Seats grouped into rows and runs of free adjacent seats, with distances to the focal point."""

    def __init__(self, seats: Sequence[SeatInfo], focal: tuple[float, float]) -> None:
        rows: dict[tuple[str, int, str], list[SeatInfo]] = defaultdict(list)
        for s in seats:
            rows[(s.section, s.row_rank, s.row)].append(s)
        self.dist = {}
        for s in seats:
            d = math.hypot(s.x - focal[0], s.y - focal[1])
            self.dist[s.idx] = d * (RESTRICTED_VIEW_PENALTY if s.seat_type == "restricted_view" else 1.0)
        self.rows = {key: sorted(members, key=lambda s: s.position) for key, members in rows.items()}
        self.runs = {key: _runs(members) for key, members in self.rows.items()}
        self._memo: dict[tuple[Any, ...], Block | None] = {}

    def best_block(self, key: tuple[str, int, str], size: int, eligible,
                   skip: frozenset[int] = frozenset()) -> tuple[float, list[SeatInfo], int] | None:
        """The closest `size` adjacent eligible seats in the row that strand no single seat,
        with the index of the run they come from (runs in `skip` are already used)."""
        memo_key = (key, size, eligible, skip)
        if memo_key not in self._memo:
            self._memo[memo_key] = self._best_block(key, size, eligible, skip)
        return self._memo[memo_key]

    def _prefixes(self, key, eligible) -> list[tuple[list[int], list[float]]]:
        """Per run: prefix counts of ineligible seats and prefix sums of distances."""
        memo_key = (key, eligible)
        if memo_key not in self._memo:
            out = []
            for run in self.runs[key]:
                bad, dist = [0], [0.0]
                for s in run:
                    bad.append(bad[-1] + (0 if eligible(s) else 1))
                    dist.append(dist[-1] + self.dist[s.idx])
                out.append((bad, dist))
            self._memo[memo_key] = out
        return self._memo[memo_key]

    def _best_block(self, key, size, eligible, skip):
        best = None
        for r, (bad, dist) in enumerate(self._prefixes(key, eligible)):
            n = len(bad) - 1
            if r in skip or n < size:
                continue
            for start in range(0, n - size + 1):
                end = start + size
                if start == 1 or n - end == 1 or bad[end] != bad[start]:
                    continue  # strands a single seat, or not all eligible
                score = dist[end] - dist[start]
                if best is None or score < best[0]:
                    best = (score, self.runs[key][r][start:end], r)
        return best


def _runs(row: Sequence[SeatInfo]) -> list[list[SeatInfo]]:
    """Maximal stretches of free seats with consecutive positions."""
    runs: list[list[SeatInfo]] = []
    for s in row:
        if not s.free:
            continue
        if runs and runs[-1][-1].position == s.position - 1:
            runs[-1].append(s)
        else:
            runs.append([s])
    return runs


def _fill(rows: _Rows, keys: Sequence[tuple[str, int, str]], count: int, eligible, stop_at_gap: bool) -> Block | None:
    """Greedy: row by row (in order), the largest orphan-free blocks still needed, at most one
    per run of free seats (blocks of one run would change each other's leftovers)."""
    left, score, chosen = count, 0.0, []
    for key in keys:
        used: frozenset[int] = frozenset()
        while left:
            block = None
            for size in range(left, 0, -1):
                block = rows.best_block(key, size, eligible, used)
                if block is not None:
                    break
            if block is None:
                break
            score += block[0] + (EXTRA_BLOCK_PENALTY if chosen else 0)
            chosen.extend(block[1])
            left -= len(block[1])
            used = used | {block[2]}
        if left == 0:
            break
        if stop_at_gap and chosen and not used:
            return None
    return (score, chosen) if left == 0 else None


def _best(candidates: list[Block | None]) -> Block | None:
    found = [c for c in candidates if c is not None]
    return min(found, key=lambda c: c[0]) if found else None


def _search(rows: _Rows, count: int, eligible, mode: str) -> Pick | None:
    keys = list(rows.rows)
    together = _best([rows.best_block(k, count, eligible) for k in keys])  # type: ignore[misc]
    if together is not None:
        return Pick([s.idx for s in together[1]], "together")
    if mode == "adjacent" or count == 1:
        return None
    sections: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    for key in keys:
        sections[key[0]].append(key)
    nearby = []
    for section_keys in sections.values():
        ordered = sorted(section_keys, key=lambda k: k[1])
        for i in range(len(ordered)):
            nearby.append(_fill(rows, ordered[i:i + count], count, eligible, stop_at_gap=True))
    found = _best(nearby)
    if found is not None:
        return Pick([s.idx for s in found[1]], "nearby_rows")

    def closest_first(ks):
        return sorted(ks, key=lambda k: min((rows.dist[s.idx] for s in rows.rows[k] if eligible(s)), default=math.inf))

    found = _best([_fill(rows, closest_first(ks), count, eligible, stop_at_gap=False) for ks in sections.values()])
    if found is not None:
        return Pick([s.idx for s in found[1]], "same_section")
    if mode == "same_section":
        return None
    found = _fill(rows, closest_first(keys), count, eligible, stop_at_gap=False)
    return Pick([s.idx for s in found[1]], "anywhere") if found else None


def _matches(s: SeatInfo, levels: Collection[Any] | None, section: str | None) -> bool:
    return s.free and (not levels or s.level_id in levels) and (section is None or s.section == section)


def _pairs(seats: Sequence[SeatInfo], rows: _Rows, k: int, levels, section) -> list[tuple[SeatInfo, SeatInfo]] | None:
    """k (wheelchair space, adjacent companion seat) pairs nearest the focal point; a companion-
    type seat beside the space first, any other adjacent seat when none is free."""
    at = {(s.section, s.row_rank, s.row, s.position): s for s in seats}
    options = []
    for s in seats:
        if s.seat_type != "wheelchair" or not _matches(s, levels, section):
            continue
        for dp in (-1, 1):
            mate = at.get((s.section, s.row_rank, s.row, s.position + dp))
            if mate is None or not mate.free or mate.seat_type == "wheelchair":
                continue
            penalty = 0 if mate.seat_type == "companion" else EXTRA_BLOCK_PENALTY
            options.append((rows.dist[s.idx] + rows.dist[mate.idx] + penalty, s.idx, s, mate))
    used, chosen = set(), []
    for _, _, space, mate in sorted(options, key=lambda o: (o[0], o[1])):
        if space.idx in used or mate.idx in used:
            continue
        chosen.append((space, mate))
        used |= {space.idx, mate.idx}
        if len(chosen) == k:
            return chosen
    return None


def best_seats(
    seats: Sequence[SeatInfo],
    *,
    count: int,
    focal: tuple[float, float],
    levels: Collection[Any] | None = None,
    section: str | None = None,
    mode: str = "best",
    wheelchair: int = 0,
) -> Pick | None:
    """The best `count` seats, or None when the filters and mode leave no acceptable choice.

    `wheelchair` of them are wheelchair spaces, each with an adjacent companion seat while
    `count` allows; the rest sit as close to them as the steps above allow.
    """
    rows = _Rows(seats, focal)
    if wheelchair <= 0:
        def eligible(s: SeatInfo) -> bool:
            return _matches(s, levels, section) and s.seat_type not in ACCESSIBLE_TYPES

        return _search(rows, count, eligible, mode)
    pairs = _pairs(seats, rows, wheelchair, levels, section)
    if pairs is None:
        return None
    companions = max(0, min(wheelchair, count - wheelchair))
    chosen = [p[0] for p in pairs] + [p[1] for p in pairs[:companions]]
    extra = count - len(chosen)
    if extra == 0:
        return Pick(sorted(s.idx for s in chosen), "accessible")
    taken = {s.idx for s in chosen}
    rest = [s._replace(free=s.free and s.idx not in taken) for s in seats]
    centre = (sum(s.x for s in chosen) / len(chosen), sum(s.y for s in chosen) / len(chosen))
    near = best_seats(rest, count=extra, focal=centre, levels=levels, section=chosen[0].section, mode="same_section")
    if near is None and mode == "best":
        near = best_seats(rest, count=extra, focal=centre, levels=levels, section=section, mode="best")
    if near is None:
        return None
    return Pick(sorted(taken | set(near.idxs)), "accessible")
