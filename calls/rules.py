"""Pure rules of calls (no ORM, no I/O): the default grid, weighted scores and ranking."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

# DOMAIN.md §6.3: the proposed default grid for allocating premises to ESS structures (100 pts).
DEFAULT_CRITERIA: list[tuple[str, int, str]] = [
    (
        "Utilité sociale et réponse à un besoin du territoire",
        25,
        "Publics accueillis, diagnostic du besoin, complémentarité avec l'existant, innovation.",
    ),
    (
        "Emploi et insertion",
        20,
        "ETP créés ou maintenus, postes et heures d'insertion, recrutement local.",
    ),
    (
        "Ancrage territorial et partenariats",
        15,
        "Partenariats (communes, CCAS, France Travail, réseaux ESS), bénévoles.",
    ),
    (
        "Complémentarité avec les autres occupants, mutualisation",
        15,
        "Synergies dans le bâtiment, contribution à la vie commune.",
    ),
    (
        "Viabilité économique et capacité à assumer l'occupation",
        15,
        "Budget équilibré, ressources diversifiées, capacité à payer charges et assurance.",
    ),
    (
        "Gouvernance et transition écologique",
        10,
        "Gouvernance démocratique, participation des usagers, pratiques environnementales.",
    ),
]
MAX_MARK = 10


def weighted_total(
    *, weights: Mapping[int, int], marks: Mapping[int, list[int]]
) -> Fraction | None:
    """Points out of the sum of weights: each criterion's mean mark (0–10) scaled to its weight.

    `weights` maps criterion id → weight; `marks` maps criterion id → the marks of the reviewers
    who may score. None until every criterion has at least one mark. Exact (Fraction), so ties
    are real ties, not rounding accidents.
    """
    if not weights or any(not marks.get(criterion) for criterion in weights):
        return None
    return sum(
        Fraction(weight) * Fraction(sum(marks[criterion]), len(marks[criterion]) * MAX_MARK)
        for criterion, weight in weights.items()
    )


@dataclass(frozen=True)
class Ranked:
    key: int
    total: Fraction | None
    rank: int | None
    tied: bool


def rank(totals: Iterable[tuple[int, Fraction | None]]) -> list[Ranked]:
    """Competition ranking (1, 2, 2, 4) by total, best first; unscored entries come last, unranked.

    Ties are flagged, not broken: the committee applies the published tie-breakers.
    """
    entries = list(totals)
    scored = sorted(
        ((key, total) for key, total in entries if total is not None),
        key=lambda kt: (-kt[1], kt[0]),
    )
    unscored = sorted(key for key, total in entries if total is None)
    counts: dict[Fraction, int] = {}
    for _key, total in scored:
        counts[total] = counts.get(total, 0) + 1
    result, position = [], 0
    previous: Fraction | None = None
    for index, (key, total) in enumerate(scored, start=1):
        if total != previous:
            position, previous = index, total
        result.append(Ranked(key=key, total=total, rank=position, tied=counts[total] > 1))
    result += [Ranked(key=key, total=None, rank=None, tied=False) for key in unscored]
    return result
