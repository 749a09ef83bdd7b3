"""Pure rules of the season (no ORM, no I/O): the frozen rules' shape, the points each rule
gives a wish's option, and the checks of a wish's times."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time

from django.utils.translation import gettext as _

# Points the frozen rules add to an option's value in the solver (seasons.solver): a wish is
# worth 1,000, each step down its ranked options costs 100. The commune's structures first beats
# last year's holders ("they keep their slots unless someone else has priority"); a favoured
# family or activity adds its weight (1–10) × 10, so at most 100 each: less than a step between
# a first choice and an alternative of another structure's local wish.
LOCAL_POINTS = 300
HOLDER_POINTS = 200
WEIGHT_POINTS = 10

RULE_LOCAL = "local_first"
RULE_HOLDER = "holders_keep"
RULE_FAMILY = "family"
RULE_ACTIVITY = "activity"

# Slots start and end on the quarter hour, within a day.
SLOT_STEP_MINUTES = 15
MIN_SLOT_MINUTES = 30


@dataclass(frozen=True)
class FrozenRules:
    """The rules of a campaign as published when it opened (`Campaign.published_rules`)."""

    hours_per_week: int | None
    local_first: bool
    local_structures: frozenset[int]
    favoured_families: Mapping[str, int]
    favoured_activities: Mapping[str, int]
    holders_keep: bool

    @classmethod
    def from_snapshot(cls, snapshot: Mapping) -> "FrozenRules":
        return cls(
            hours_per_week=snapshot.get("hours_per_week"),
            local_first=bool(snapshot.get("local_first")),
            local_structures=frozenset(snapshot.get("local_structures", [])),
            favoured_families=dict(snapshot.get("favoured_families", {})),
            favoured_activities=dict(snapshot.get("favoured_activities", {})),
            holders_keep=bool(snapshot.get("holders_keep")),
        )

    def snapshot(self) -> dict:
        return {
            "hours_per_week": self.hours_per_week,
            "local_first": self.local_first,
            "local_structures": sorted(self.local_structures),
            "favoured_families": dict(sorted(self.favoured_families.items())),
            "favoured_activities": dict(sorted(self.favoured_activities.items())),
            "holders_keep": self.holders_keep,
            "points": {
                RULE_LOCAL: LOCAL_POINTS,
                RULE_HOLDER: HOLDER_POINTS,
                "per_weight": WEIGHT_POINTS,
            },
        }

    @property
    def cap_minutes(self) -> int | None:
        return None if self.hours_per_week is None else self.hours_per_week * 60


def option_bonuses(
    rules: FrozenRules, *, structure_id: int, family: str, activity: str, holder: bool
) -> tuple[tuple[str, int], ...]:
    """The (rule, points) the frozen rules give one option of a structure's wish."""
    bonuses = []
    if rules.local_first and structure_id in rules.local_structures:
        bonuses.append((RULE_LOCAL, LOCAL_POINTS))
    if rules.holders_keep and holder:
        bonuses.append((RULE_HOLDER, HOLDER_POINTS))
    if rules.favoured_families.get(family):
        bonuses.append((RULE_FAMILY, WEIGHT_POINTS * int(rules.favoured_families[family])))
    if rules.favoured_activities.get(activity):
        bonuses.append((RULE_ACTIVITY, WEIGHT_POINTS * int(rules.favoured_activities[activity])))
    return tuple(bonuses)


def rule_label(code: str) -> str:
    """How a rule reads in an explanation, between « »."""
    return {
        RULE_LOCAL: _("the commune's structures first"),
        RULE_HOLDER: _("last year's holders keep their slots"),
        RULE_FAMILY: _("favoured ESS family"),
        RULE_ACTIVITY: _("favoured activity"),
    }[code]


def minutes_of(value: time) -> int:
    return value.hour * 60 + value.minute


def slot_errors(start: time, end: time) -> list[str]:
    """What is wrong with a weekly slot's times, in the user's language (empty: nothing)."""
    if start.second or end.second or start.microsecond or end.microsecond:
        return [_("Give times on the quarter hour.")]
    if minutes_of(start) % SLOT_STEP_MINUTES or minutes_of(end) % SLOT_STEP_MINUTES:
        return [_("Give times on the quarter hour.")]
    if minutes_of(end) - minutes_of(start) < MIN_SLOT_MINUTES:
        return [_("A slot ends at least 30 minutes after it starts, on the same day.")]
    return []


def fits_opening_hours(
    weekday: int, start: time, end: time, hours: list[tuple[int, time, time]]
) -> bool:
    """True if the weekly slot fits one opening window of its day; no windows: always open."""
    if not hours:
        return True
    return any(day == weekday and opens <= start and end <= closes for day, opens, closes in hours)
