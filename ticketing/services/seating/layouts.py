"""Seat layouts without a database: the organizer's generator (sections of rows x seats, straight
or curved, aisles, row and seat labelling schemes) and the JSON import/export format.

Coordinates are centimetres with the stage at the top: y grows away from it. Every seat gets a
`row_rank` (front to back within its section) and a `position` along its row that skips a number
across an aisle, so adjacency is "same row, positions one apart" whatever the drawing.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ticketing.models import SeatType
from ticketing.services.errors import invalid

FORMAT = "ticketing.venue-layout"
FORMAT_VERSION = 1
MAX_SEATS = 100_000
MAX_ROWS = 200
MAX_SEATS_PER_ROW = 500
# Letters that read like digits are skipped in row names, as most theatres do.
ROW_LETTERS = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in "IO"]
LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .\-/]{0,39}$")
SEAT_TYPES = {t.value for t in SeatType}


@dataclass(frozen=True)
class SeatSpec:
    section: str
    row: str
    number: str
    seat_type: str
    x: int
    y: int
    row_rank: int
    position: int


@dataclass(frozen=True)
class Layout:
    name: str
    stage_x: int
    stage_y: int
    stage_label: str
    seats: list[SeatSpec]


@dataclass
class SectionSpec:
    """One block of the generator. Straight: rows behind the front-centre point (x, y), turned
    by `angle` degrees. Curved: arcs around the stage, `radius` to the front row, centred on the
    direction `angle` (0 = straight out from the stage)."""

    name: str
    rows: int
    seats: int | list[int]
    shape: str = "straight"
    x: int = 0
    y: int = 600
    angle: float = 0.0
    radius: int = 1200
    aisles: list[int] = field(default_factory=list)  # aisle after this many seats from the left
    row_labels: str = "letters"  # letters | numbers
    first_row: int = 1  # 1 = "A" or "1"
    numbering: str = "left_to_right"  # left_to_right | right_to_left | odd_even
    first_seat: int = 1
    seat_pitch: int = 55
    row_pitch: int = 90
    aisle_width: int = 110
    special: list[dict[str, Any]] = field(default_factory=list)  # [{type, rows?, seats?}]


def row_label(scheme: str, n: int) -> str:
    """The n-th row name (n from 1): A..Z without I/O, then AA, BB, ...; or plain numbers."""
    if scheme == "numbers":
        return str(n)
    letters = ROW_LETTERS[(n - 1) % len(ROW_LETTERS)]
    return letters * ((n - 1) // len(ROW_LETTERS) + 1)


def seat_numbers(scheme: str, count: int, first: int) -> list[str]:
    """Seat numbers from left to right as the audience sees the stage.

    odd_even: low numbers in the middle, odd ones to the left and even ones to the right.
    """
    if scheme == "right_to_left":
        return [str(first + count - 1 - i) for i in range(count)]
    if scheme == "odd_even":
        left, right = (count + 1) // 2, count // 2
        lefts = [first + 2 * i for i in range(left)]  # 1, 3, 5 ... from the centre outwards
        rights = [first + 1 + 2 * i for i in range(right)]
        return [str(n) for n in reversed(lefts)] + [str(n) for n in rights]
    return [str(first + i) for i in range(count)]


def _int(spec: dict[str, Any], key: str, default: int, low: int, high: int, where: str) -> int:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise invalid("invalid_layout", f"{where}: {key} must be a number from {low} to {high}.", field=key)
    return int(value)


def parse_section(raw: Any, i: int) -> SectionSpec:
    """A generator section from JSON-like input; 422 `invalid_layout` naming the bad field."""
    where = f"Section {i + 1}"
    if not isinstance(raw, dict):
        raise invalid("invalid_layout", f"{where} must be an object.")
    known = set(SectionSpec.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise invalid("invalid_layout", f"{where}: unknown field(s) {', '.join(unknown)}.")
    name = raw.get("name")
    if not isinstance(name, str) or not LABEL_RE.match(name.strip()):
        raise invalid("invalid_layout", f"{where}: give the section a name (letters, digits, up to 40).", field="name")
    rows = _int(raw, "rows", 0, 1, MAX_ROWS, where)
    seats = raw.get("seats")
    if isinstance(seats, list):
        if len(seats) != rows:
            raise invalid("invalid_layout", f"{where}: give one seat count per row ({rows}).", field="seats")
        counts = [_int({"seats": s}, "seats", 0, 1, MAX_SEATS_PER_ROW, where) for s in seats]
    else:
        counts = [_int(raw, "seats", 0, 1, MAX_SEATS_PER_ROW, where)] * rows
    shape = raw.get("shape", "straight")
    if shape not in ("straight", "curved"):
        raise invalid("invalid_layout", f"{where}: shape is straight or curved.", field="shape")
    row_labels = raw.get("row_labels", "letters")
    if row_labels not in ("letters", "numbers"):
        raise invalid("invalid_layout", f"{where}: row_labels is letters or numbers.", field="row_labels")
    numbering = raw.get("numbering", "left_to_right")
    if numbering not in ("left_to_right", "right_to_left", "odd_even"):
        raise invalid("invalid_layout", f"{where}: numbering is left_to_right, right_to_left or odd_even.",
                      field="numbering")
    aisles = raw.get("aisles", [])
    if not isinstance(aisles, list) or any(isinstance(a, bool) or not isinstance(a, int) for a in aisles):
        raise invalid("invalid_layout", f"{where}: aisles is a list of seat counts.", field="aisles")
    special = raw.get("special", [])
    if not isinstance(special, list) or any(
        not isinstance(s, dict) or s.get("type") not in SEAT_TYPES for s in special
    ):
        raise invalid("invalid_layout", f"{where}: special is a list of {{type, rows?, seats?}} with a seat type.",
                      field="special")
    angle = raw.get("angle", 0)
    if isinstance(angle, bool) or not isinstance(angle, (int, float)) or not -180 <= angle <= 180:
        raise invalid("invalid_layout", f"{where}: angle must be from -180 to 180 degrees.", field="angle")
    return SectionSpec(
        name=name.strip(), rows=rows, seats=counts, shape=shape,
        x=_int(raw, "x", 0, -100_000, 100_000, where), y=_int(raw, "y", 600, -100_000, 100_000, where),
        angle=float(angle), radius=_int(raw, "radius", 1200, 100, 100_000, where),
        aisles=sorted(set(aisles)), row_labels=row_labels, first_row=_int(raw, "first_row", 1, 1, 500, where),
        numbering=numbering, first_seat=_int(raw, "first_seat", 1, 0, 10_000, where),
        seat_pitch=_int(raw, "seat_pitch", 55, 20, 500, where), row_pitch=_int(raw, "row_pitch", 90, 30, 1000, where),
        aisle_width=_int(raw, "aisle_width", 110, 0, 2000, where), special=special,
    )


def _special_type(section: SectionSpec, row: str, number: str) -> str:
    for rule in section.special:
        rows, seats = rule.get("rows"), rule.get("seats")
        if rows is not None and row not in [str(r) for r in rows]:
            continue
        if seats is not None and number not in [str(s) for s in seats]:
            continue
        return rule["type"]
    return SeatType.standard.value


def _offsets(count: int, section: SectionSpec) -> list[tuple[float, int]]:
    """(distance along the row from its centre, position) of each seat, left to right."""
    aisles = [a for a in section.aisles if 0 < a < count]
    along, pos, out = 0.0, 0, []
    for i in range(count):
        if i and i in aisles:
            along += section.aisle_width
            pos += 1  # the aisle breaks adjacency
        out.append((along, pos))
        along += section.seat_pitch
        pos += 1
    width = out[-1][0]
    return [(a - width / 2, p) for a, p in out]


def generate_section(section: SectionSpec, stage: tuple[int, int]) -> list[SeatSpec]:
    """The seats of one generator section, rows front to back, seats left to right."""
    out: list[SeatSpec] = []
    counts = section.seats if isinstance(section.seats, list) else [section.seats] * section.rows
    turn = math.radians(section.angle)
    for r, count in enumerate(counts):
        row = row_label(section.row_labels, section.first_row + r)
        numbers = seat_numbers(section.numbering, count, section.first_seat)
        for (along, pos), number in zip(_offsets(count, section), numbers):
            if section.shape == "curved":
                radius = section.radius + r * section.row_pitch
                theta = turn + along / radius
                x = stage[0] + radius * math.sin(theta)
                y = stage[1] + radius * math.cos(theta)
            else:
                depth = r * section.row_pitch
                x = section.x + along * math.cos(turn) - depth * math.sin(turn)
                y = section.y + along * math.sin(turn) + depth * math.cos(turn)
            out.append(SeatSpec(section.name, row, number, _special_type(section, row, number), round(x), round(y),
                                r, pos))
    return out


def generate(spec: dict[str, Any]) -> Layout:
    """A whole venue from a generator spec {name, stage: {x, y, label}, sections: [...]}."""
    if not isinstance(spec, dict):
        raise invalid("invalid_layout", "The layout must be an object.")
    sections_raw = spec.get("sections")
    if not isinstance(sections_raw, list) or not sections_raw or len(sections_raw) > 100:
        raise invalid("invalid_layout", "Give between 1 and 100 sections.", field="sections")
    sections = [parse_section(s, i) for i, s in enumerate(sections_raw)]
    name, (sx, sy, label) = _name(spec), _stage(spec)
    seats = [seat for s in sections for seat in generate_section(s, (sx, sy))]
    return _checked(Layout(name=name, stage_x=sx, stage_y=sy, stage_label=label, seats=seats))


def _name(spec: dict[str, Any]) -> str:
    name = spec.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 120:
        raise invalid("invalid_layout", "Give the venue a name (up to 120 characters).", field="name")
    return name.strip()


def _stage(spec: dict[str, Any]) -> tuple[int, int, str]:
    stage = spec.get("stage") or {}
    if not isinstance(stage, dict):
        raise invalid("invalid_layout", "stage is an object {x, y, label}.", field="stage")
    label = stage.get("label", "Stage")
    if not isinstance(label, str) or len(label) > 40:
        raise invalid("invalid_layout", "The stage label has up to 40 characters.", field="stage")
    where = "Stage"
    return (_int(stage, "x", 0, -100_000, 100_000, where), _int(stage, "y", 0, -100_000, 100_000, where),
            label.strip() or "Stage")


def _checked(layout: Layout) -> Layout:
    if not layout.seats:
        raise invalid("invalid_layout", "The layout has no seats.")
    if len(layout.seats) > MAX_SEATS:
        raise invalid("invalid_layout", f"A venue has at most {MAX_SEATS:,} seats.", seats=len(layout.seats))
    seen: set[tuple[str, str, str]] = set()
    for s in layout.seats:
        key = (s.section, s.row, s.number)
        if key in seen:
            raise invalid("duplicate_seat", f"Seat {s.number} of row {s.row} in {s.section} appears twice.",
                          section=s.section, row=s.row, number=s.number)
        seen.add(key)
    return layout


# --- JSON import / export -------------------------------------------------------------------


def export_layout(layout: Layout) -> dict[str, Any]:
    """The venue as a JSON document that `import_layout` reads back unchanged."""
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "name": layout.name,
        "stage": {"x": layout.stage_x, "y": layout.stage_y, "label": layout.stage_label},
        "seats": [
            {"section": s.section, "row": s.row, "number": s.number, "type": s.seat_type, "x": s.x, "y": s.y,
             "row_rank": s.row_rank, "position": s.position}
            for s in layout.seats
        ],
    }


def _label(value: Any, what: str, i: int) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not LABEL_RE.match(value.strip()):
        raise invalid("invalid_layout", f"Seat {i + 1}: {what} must be 1-40 letters or digits.", index=i, field=what)
    return value.strip()


def import_layout(doc: Any) -> Layout:
    """A layout from its JSON document. `row_rank` and `position` are optional: without them
    rows are ranked by distance to the stage and seats ordered around it, with a position
    skipped wherever the gap is much wider than the row's usual spacing (an aisle)."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise invalid("invalid_layout", f"Not a venue layout (expected format {FORMAT!r}).")
    if doc.get("version") != FORMAT_VERSION:
        raise invalid("invalid_layout", f"Unsupported layout version (this app reads {FORMAT_VERSION}).")
    raw_seats = doc.get("seats")
    if not isinstance(raw_seats, list) or not raw_seats:
        raise invalid("invalid_layout", "The layout has no seats.", field="seats")
    if len(raw_seats) > MAX_SEATS:
        raise invalid("invalid_layout", f"A venue has at most {MAX_SEATS:,} seats.", seats=len(raw_seats))
    name, (sx, sy, label) = _name(doc), _stage(doc)
    parsed = []
    for i, raw in enumerate(raw_seats):
        if not isinstance(raw, dict):
            raise invalid("invalid_layout", f"Seat {i + 1} must be an object.", index=i)
        seat_type = raw.get("type", SeatType.standard.value)
        if seat_type not in SEAT_TYPES:
            raise invalid("invalid_layout", f"Seat {i + 1}: unknown type {seat_type!r}.", index=i, field="type")
        coords = [raw.get("x"), raw.get("y")]
        if any(isinstance(c, bool) or not isinstance(c, (int, float)) or abs(c) > 10_000_000 for c in coords):
            raise invalid("invalid_layout", f"Seat {i + 1}: x and y must be numbers.", index=i, field="x")
        ranks = [raw.get("row_rank"), raw.get("position")]
        if any(r is not None and (isinstance(r, bool) or not isinstance(r, int) or not 0 <= r < 100_000)
               for r in ranks):
            raise invalid("invalid_layout", f"Seat {i + 1}: row_rank and position are whole numbers.", index=i)
        parsed.append({
            "section": _label(raw.get("section"), "section", i), "row": _label(raw.get("row"), "row", i),
            "number": _label(raw.get("number"), "number", i), "seat_type": seat_type,
            "x": round(coords[0]), "y": round(coords[1]), "row_rank": ranks[0], "position": ranks[1],
        })
    _derive_order(parsed, (sx, sy))
    return _checked(Layout(name=name, stage_x=sx, stage_y=sy, stage_label=label,
                           seats=[SeatSpec(**p) for p in parsed]))


def _derive_order(seats: list[dict[str, Any]], stage: tuple[int, int]) -> None:
    """Fill missing row_rank / position in place (see import_layout)."""
    rows: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for s in seats:
        rows[(s["section"], s["row"])].append(s)
    by_section: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for (section, row), members in rows.items():
        mean = sum(math.hypot(m["x"] - stage[0], m["y"] - stage[1]) for m in members) / len(members)
        by_section[section].append((mean, row))
    rank = {(sec, row): r for sec, ordered in by_section.items() for r, (_, row) in enumerate(sorted(ordered))}
    for key, members in rows.items():
        for m in members:
            if m["row_rank"] is None:
                m["row_rank"] = rank[key]
        if all(m["position"] is not None for m in members):
            continue
        # Left to right as the audience faces the stage: the angle seen from the stage grows.
        members.sort(key=lambda m: math.atan2(m["x"] - stage[0], m["y"] - stage[1]))
        gaps = [math.hypot(b["x"] - a["x"], b["y"] - a["y"]) for a, b in zip(members, members[1:])]
        usual = sorted(gaps)[len(gaps) // 2] if gaps else 0
        pos = 0
        for i, m in enumerate(members):
            if i and usual and gaps[i - 1] > 1.6 * usual:
                pos += 1
            m["position"] = pos
            pos += 1
