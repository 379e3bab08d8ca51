"""Best available on small hand-made layouts: adjacency, never a stranded single seat, nearest
the stage, the relaxation steps, modes, filters, wheelchair + companion pairing."""

from __future__ import annotations

from ticketing.services.seating.best_available import SeatInfo, best_seats

STAGE = (0, 0)


def hall(plan: str, *, section: str = "S", first_rank: int = 0, y0: int = 100, x0: int = 0,
         level: str = "A") -> list[SeatInfo]:
    """One string per row, front row first: '.' free, 'x' taken, ' ' aisle (breaks adjacency),
    'w' free wheelchair space, 'c' free companion seat, 'r' free restricted view."""
    seats = []
    for r, line in enumerate(plan.strip("\n").splitlines()):
        for p, ch in enumerate(line):
            if ch == " ":
                continue
            seat_type = {"w": "wheelchair", "c": "companion", "r": "restricted_view"}.get(ch, "standard")
            seats.append(SeatInfo(idx=0, section=section, row=chr(65 + first_rank + r), row_rank=first_rank + r,
                                  position=p, x=x0 + (p - (len(line) - 1) / 2) * 50, y=y0 + 90 * r,
                                  seat_type=seat_type, level_id=level, free=ch != "x"))
    return seats


def numbered(*groups: list[SeatInfo]) -> list[SeatInfo]:
    out = []
    for seat in [s for g in groups for s in g]:
        out.append(seat._replace(idx=len(out)))
    return out


def labels(seats: list[SeatInfo], idxs: list[int]) -> list[str]:
    by = {s.idx: s for s in seats}
    return sorted(f"{by[i].row}{by[i].position}" for i in idxs)


def pick(seats, count, **kw):
    found = best_seats(seats, count=count, focal=STAGE, **kw)
    return (labels(seats, found.idxs), found.step) if found else None


def test_a_block_in_the_front_row_centre_comes_first():
    seats = numbered(hall("""
..........
..........
"""))
    assert pick(seats, 2) == (["A4", "A5"], "together")
    assert pick(seats, 3)[1] == "together" and pick(seats, 3)[0][0].startswith("A")


def test_a_single_seat_is_never_left_stranded():
    # Row A has 3 free seats between taken ones: taking 2 would strand the third.
    seats = numbered(hall("""
xx...xxxxx
..........
"""))
    assert pick(seats, 2) == (["B4", "B5"], "together")
    # A run of exactly the requested size is fine (nothing is left over), as is filling it whole.
    assert pick(seats, 3) == (["A2", "A3", "A4"], "together")


def test_an_existing_single_gap_is_filled_by_a_single_seat():
    seats = numbered(hall("""
xxxx.xxxxx
..........
"""))
    assert pick(seats, 1) == (["A4"], "together")


def test_aisles_break_adjacency():
    # Two free seats either side of an aisle are not "together".
    seats = numbered(hall("""
xxxx. .xxxx
xxxxxxxxxxx
""".replace("xxxxxxxxxxx", "xxxxx xxxxx")))
    assert pick(seats, 2, mode="adjacent") is None
    assert pick(seats, 2) == (["A4", "A6"], "nearby_rows")  # across the aisle, still side by side


def test_relaxation_to_consecutive_rows_then_the_section_then_anywhere():
    front = hall("""
xxx..xxxxx
xxx..xxxxx
xxxxxxxxxx
xxx..xxxxx
""", section="Stalls")
    seats = numbered(front)
    found = pick(seats, 4)
    assert found == (["A3", "A4", "B3", "B4"], "nearby_rows")
    assert pick(seats, 4, mode="adjacent") is None
    # Six seats: rows A, B are consecutive, D is not next to them: the section as a whole.
    assert pick(seats, 6) == (["A3", "A4", "B3", "B4", "D3", "D4"], "same_section")
    balcony = hall("""
..xxxxxxxx
""", section="Balcony", first_rank=0, y0=2000)
    both = numbered(front, balcony)
    assert pick(both, 8)[1] == "anywhere"
    assert pick(both, 8, mode="same_section") is None


def test_filters_limit_price_levels_and_sections():
    cheap = hall("""
..........
""", section="Back", y0=900, level="B")
    dear = hall("""
..........
""", section="Front", y0=100, level="A")
    seats = numbered(dear, cheap)
    by = {s.idx: s for s in seats}
    found = best_seats(seats, count=2, focal=STAGE, levels={"B"})
    assert {by[i].section for i in found.idxs} == {"Back"}
    found = best_seats(seats, count=2, focal=STAGE, section="Back")
    assert {by[i].level_id for i in found.idxs} == {"B"}
    assert best_seats(seats, count=11, focal=STAGE, section="Front") is None


def test_restricted_view_counts_as_further_away():
    seats = numbered(hall("""
rr........
"""))
    # Centre seats are nearer anyway; make the restricted ones the nearest and check they lose.
    off = [s._replace(x=0) if s.seat_type == "restricted_view" else s for s in seats]
    found = best_seats(off, count=2, focal=(0, 0))
    assert all(off[i].seat_type != "restricted_view" for i in found.idxs)


def test_wheelchair_spaces_come_with_a_companion_seat_beside_them():
    seats = numbered(hall("""
wc........
..........
"""))
    found = pick(seats, 2, wheelchair=1)
    assert found == (["A0", "A1"], "accessible")
    # Two more friends sit as close as possible to the pair, in the same section.
    found = pick(seats, 4, wheelchair=1)
    assert found[1] == "accessible" and {"A0", "A1"} <= set(found[0])
    # Without a wheelchair request the accessible seats are kept free.
    assert not {"A0", "A1"} & set(pick(seats, 8)[0])
    assert pick(seats, 2, wheelchair=2) is None  # only one wheelchair space


def test_nothing_is_invented_when_too_few_seats_are_free():
    seats = numbered(hall("""
xxxxx..xxx
"""))
    assert pick(seats, 3) is None
    assert pick(seats, 2) == (["A5", "A6"], "together")
