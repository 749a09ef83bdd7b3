"""The season's plan as a mixed-integer program solved by HiGHS: pure, no ORM, no I/O.

Inputs are plain dataclasses (`Problem`), built from the database by `seasons.selectors`; the
output is a `Plan`. One binary variable per candidate, a candidate being one option of a wish
(its first choice or a ranked alternative) placed in one space of the campaign that fits it
(capacity, equipment, opening hours, kind). The program:

- each wish gets at most one of its candidates;
- on one space, one weekday and one term, no two chosen candidates overlap in time: for each
  start time, the candidates running then sum to at most one. Slots on a day are intervals, so
  these "clique" rows describe the conflicts exactly and keep the relaxation tight (HiGHS closes
  a 5,000-wish campaign at the root node or nearly);
- a structure's chosen candidates add up to at most the campaign's hours per week;
- the objective adds, for each chosen candidate, `SATISFIED` plus the rule points of the option
  (`Option.bonuses`, from the frozen rules), minus `ALTERNATIVE_STEP` per step down the wish's
  ranked options and `RANK_STEP` per step down the structure's own ranking of its wishes;
- fairness: each structure's first satisfied wish is worth `FIRST_WISH` more, its second
  `SECOND_WISH` more (a concave reward per structure). `FIRST_WISH` exceeds anything one wish can
  bring otherwise, so the solver never leaves a structure with nothing to give another one a
  further wish, when a slot exists for the first; the second tier spreads the rest likewise.

Determinism: the variables and rows are built in a fixed order (sorted by ids), HiGHS runs on
one thread with a fixed `random_seed` and an exact gap (`mip_rel_gap = 0`), so the same inputs
give the same plan. A time limit stops the search with status `time_limit` and the best plan
found, never a silent half answer.
"""

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import highspy
import numpy as np

SATISFIED = 1_000
ALTERNATIVE_STEP = 100
RANK_STEP = 10
MAX_RANK_STEPS = 9
FIRST_WISH = 5_000
SECOND_WISH = 1_500

# A wish runs for the whole year or one term: the terms it covers.
TERMS = (1, 2, 3)

OPTIMAL = "optimal"
TIME_LIMIT = "time_limit"
EMPTY = "empty"
FAILED = "failed"


@dataclass(frozen=True)
class Space:
    id: int
    name: str
    kind: str
    capacity: int
    site_id: int = 0
    amenities: frozenset[str] = frozenset()
    # (weekday, opens, closes) in minutes from midnight, local time; empty: always open.
    hours: tuple[tuple[int, int, int], ...] = ()


@dataclass(frozen=True)
class Option:
    """One way to satisfy a wish: position 1 is the first choice, then the alternatives."""

    position: int
    weekday: int
    start: int  # minutes from midnight, local time
    end: int
    space_id: int | None = None  # a given space, or any space of `space_kind`
    space_kind: str = ""
    site_id: int | None = None  # with a kind: only the spaces of this site
    # (rule code, points) of the frozen rules that favour this option (seasons.rules).
    bonuses: tuple[tuple[str, int], ...] = ()

    @property
    def minutes(self) -> int:
        return self.end - self.start

    @property
    def points(self) -> int:
        return sum(points for _code, points in self.bonuses)


@dataclass(frozen=True)
class Wish:
    id: int
    structure_id: int
    structure_name: str
    rank: int  # the structure's own order of its wishes, 1 first
    attendees: int
    options: tuple[Option, ...]
    amenities: frozenset[str] = frozenset()
    terms: frozenset[int] = frozenset(TERMS)


@dataclass(frozen=True)
class Problem:
    spaces: tuple[Space, ...]
    wishes: tuple[Wish, ...]
    cap_minutes: int | None = None  # per structure and week; None: no cap
    seed: int = 0
    time_limit: float = 60.0


@dataclass(frozen=True)
class Candidate:
    wish_id: int
    position: int
    space_id: int


@dataclass
class Plan:
    status: str
    objective: float
    seconds: float
    placements: dict[int, Candidate] = field(default_factory=dict)  # by wish id


# --- Fit ---

UNFIT_KIND = "kind"
UNFIT_CAPACITY = "capacity"
UNFIT_EQUIPMENT = "equipment"
UNFIT_HOURS = "hours"
UNFIT_UNKNOWN_SPACE = "unknown_space"


def unfit_reason(wish: Wish, option: Option, space: Space) -> str | None:
    """Why `space` cannot take `option` of `wish`, or None if it fits."""
    if option.space_id is not None and option.space_id != space.id:
        return UNFIT_UNKNOWN_SPACE
    if option.space_id is None and option.space_kind and option.space_kind != space.kind:
        return UNFIT_KIND
    if wish.attendees > space.capacity:
        return UNFIT_CAPACITY
    if not wish.amenities <= space.amenities:
        return UNFIT_EQUIPMENT
    if space.hours and not any(
        day == option.weekday and opens <= option.start and option.end <= closes
        for day, opens, closes in space.hours
    ):
        return UNFIT_HOURS
    return None


# A wish for "a hall" is placed in one of the few halls that fit it best (the smallest
# capacities that seat it), not in any of the territory's: a 150-seat hall is not offered to 8
# people while a 20-seat one is free, and the program stays small.
BEST_FITS = 4


def option_spaces(option: Option, spaces: Iterable[Space]) -> list[Space]:
    """The spaces `option` asks for: the one it names, or those of its kind (and site)."""
    if option.space_id is not None:
        return [space for space in spaces if space.id == option.space_id]
    return [
        space
        for space in spaces
        if (not option.space_kind or space.kind == option.space_kind)
        and (option.site_id is None or space.site_id == option.site_id)
    ]


def fitting_spaces(wish: Wish, option: Option, spaces: Iterable[Space]) -> list[Space]:
    """The spaces that can take `option`: the named one if it fits, else the best fits."""
    fitting = [s for s in option_spaces(option, spaces) if unfit_reason(wish, option, s) is None]
    return sorted(fitting, key=lambda space: (space.capacity, space.id))[:BEST_FITS]


def candidates(problem: Problem) -> list[Candidate]:
    """Every (wish, option, space) that fits, in a fixed order."""
    spaces = sorted(problem.spaces, key=lambda space: space.id)
    found = []
    for wish in sorted(problem.wishes, key=lambda wish: wish.id):
        for option in sorted(wish.options, key=lambda option: option.position):
            if option.end <= option.start:
                continue
            for space in fitting_spaces(wish, option, spaces):
                found.append(Candidate(wish.id, option.position, space.id))
    return found


def candidate_value(wish: Wish, option: Option) -> int:
    """What placing `option` of `wish` adds to the objective, fairness apart."""
    return (
        SATISFIED
        + option.points
        - ALTERNATIVE_STEP * (option.position - 1)
        - RANK_STEP * min(max(wish.rank - 1, 0), MAX_RANK_STEPS)
    )


def overlaps(a: Option, a_terms: frozenset[int], b: Option, b_terms: frozenset[int]) -> bool:
    """Same weekday, overlapping times and a common term (the space is checked by the caller)."""
    return (
        a.weekday == b.weekday and a.start < b.end and b.start < a.end and bool(a_terms & b_terms)
    )


# --- The program ---


class _Rows:
    """Sparse rows `lower <= sum(coef * x) <= upper`, gathered for one addRows call."""

    def __init__(self) -> None:
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.starts: list[int] = []
        self.indices: list[int] = []
        self.values: list[float] = []

    def add(self, terms: list[tuple[int, float]], lower: float, upper: float) -> None:
        self.starts.append(len(self.indices))
        for index, value in terms:
            self.indices.append(index)
            self.values.append(value)
        self.lower.append(lower)
        self.upper.append(upper)


def solve(problem: Problem) -> Plan:
    """The plan with the best objective (see the module's docstring), or the best found in time."""
    started = time.perf_counter()
    wishes = {wish.id: wish for wish in problem.wishes}
    options = {
        (wish.id, option.position): option for wish in problem.wishes for option in wish.options
    }
    found = candidates(problem)
    if not found:
        return Plan(EMPTY, 0.0, time.perf_counter() - started)

    costs = [
        float(candidate_value(wishes[c.wish_id], options[c.wish_id, c.position])) for c in found
    ]
    rows = _Rows()
    by_wish: dict[int, list[int]] = defaultdict(list)
    by_structure: dict[int, list[int]] = defaultdict(list)
    by_slot: dict[tuple[int, int, int], list[int]] = defaultdict(list)  # space, weekday, term
    for index, candidate in enumerate(found):
        wish = wishes[candidate.wish_id]
        option = options[candidate.wish_id, candidate.position]
        by_wish[wish.id].append(index)
        by_structure[wish.structure_id].append(index)
        for term in sorted(wish.terms):
            by_slot[candidate.space_id, option.weekday, term].append(index)

    for indices in by_wish.values():
        if len(indices) > 1:
            rows.add([(i, 1.0) for i in indices], -highspy.kHighsInf, 1.0)
    seen: set[tuple[int, ...]] = set()  # a yearly slot's cliques recur in every term
    for key in sorted(by_slot):
        indices = by_slot[key]
        if len(indices) < 2:
            continue
        spans = [
            (
                options[found[i].wish_id, found[i].position].start,
                options[found[i].wish_id, found[i].position].end,
                i,
            )
            for i in indices
        ]
        for point in sorted({start for start, _end, _i in spans}):
            clique = tuple(sorted(i for start, end, i in spans if start <= point < end))
            if len(clique) > 1 and clique not in seen:
                seen.add(clique)
                rows.add([(i, 1.0) for i in clique], -highspy.kHighsInf, 1.0)
    if problem.cap_minutes is not None:
        for structure_id in sorted(by_structure):
            indices = by_structure[structure_id]
            minutes = [options[found[i].wish_id, found[i].position].minutes for i in indices]
            if sum(minutes) > problem.cap_minutes:
                rows.add(
                    [(i, float(m)) for i, m in zip(indices, minutes, strict=True)],
                    -highspy.kHighsInf,
                    float(problem.cap_minutes),
                )

    # Fairness: first[s] and second[s] are rewards the structure earns with its first and
    # second satisfied wishes: first + second <= satisfied count, second <= first.
    structures = sorted(by_structure)
    first = {s: len(found) + 2 * n for n, s in enumerate(structures)}
    second = {s: len(found) + 2 * n + 1 for n, s in enumerate(structures)}
    for s in structures:
        costs.extend([float(FIRST_WISH), float(SECOND_WISH)])
        rows.add(
            [(first[s], 1.0), (second[s], 1.0)] + [(i, -1.0) for i in by_structure[s]],
            -highspy.kHighsInf,
            0.0,
        )
        rows.add([(second[s], 1.0), (first[s], -1.0)], -highspy.kHighsInf, 0.0)

    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("random_seed", int(problem.seed))
    highs.setOptionValue("time_limit", float(problem.time_limit))
    highs.setOptionValue("mip_rel_gap", 0.0)
    count = len(costs)
    columns = np.arange(count, dtype=np.int32)
    highs.addVars(count, np.zeros(count), np.ones(count))
    highs.changeColsIntegrality(count, columns, np.array([highspy.HighsVarType.kInteger] * count))
    highs.changeColsCost(count, columns, np.array(costs))
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    if rows.lower:
        highs.addRows(
            len(rows.lower),
            np.array(rows.lower),
            np.array(rows.upper),
            len(rows.indices),
            np.array(rows.starts, dtype=np.int32),
            np.array(rows.indices, dtype=np.int32),
            np.array(rows.values),
        )
    highs.run()
    model_status = highs.getModelStatus()
    if model_status == highspy.HighsModelStatus.kOptimal:
        status = OPTIMAL
    elif model_status == highspy.HighsModelStatus.kTimeLimit:
        status = TIME_LIMIT
    else:
        status = FAILED
    values = list(highs.getSolution().col_value) if highs.getInfo().primal_solution_status else []
    placements = {
        found[i].wish_id: found[i] for i in range(len(found)) if values and values[i] > 0.5
    }
    objective = float(highs.getInfo().objective_function_value) if values else 0.0
    return Plan(status, round(objective, 3), time.perf_counter() - started, placements)
