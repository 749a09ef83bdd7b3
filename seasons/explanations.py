"""Why each wish got what it got (issue 17): a sentence per wish, met or unmet, computed from the
solver's inputs, its plan and the frozen rules. Pure: no ORM, no I/O.

For each option up to the one granted (all of them for an unmet wish) it says how many wishes
asked for that space at an overlapping time, and: who holds it and which rule made the
difference (the holder's rule points this wish lacks), or that the structure's weekly cap was
reached, or that no space fitted (capacity, equipment, opening hours).
"""

from collections import defaultdict
from datetime import time

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.formats import time_range_text, weekday_name
from seasons.rules import rule_label
from seasons.solver import (
    UNFIT_CAPACITY,
    UNFIT_EQUIPMENT,
    UNFIT_HOURS,
    Candidate,
    Option,
    Plan,
    Problem,
    Wish,
    candidates,
    option_spaces,
    overlaps,
    unfit_reason,
)
from spaces.models import SpaceKind


def _clock(minutes: int) -> time:
    return time(minutes // 60, minutes % 60) if minutes < 24 * 60 else time(0)


class _Context:
    def __init__(self, problem: Problem, plan: Plan) -> None:
        self.problem = problem
        self.plan = plan
        self.wishes = {wish.id: wish for wish in problem.wishes}
        self.spaces = {space.id: space for space in problem.spaces}
        self.options = {
            (wish.id, option.position): option for wish in problem.wishes for option in wish.options
        }
        self.asked: dict[int, list[Candidate]] = defaultdict(list)  # by space
        for candidate in candidates(problem):
            self.asked[candidate.space_id].append(candidate)
        self.placed_on: dict[int, list[Candidate]] = defaultdict(list)
        self.placed_of: dict[int, list[Candidate]] = defaultdict(list)  # by structure
        for candidate in plan.placements.values():
            self.placed_on[candidate.space_id].append(candidate)
            self.placed_of[self.wishes[candidate.wish_id].structure_id].append(candidate)

    def slot(self, option: Option, space_id: int | None = None) -> str:
        if space_id is not None:
            place = self.spaces[space_id].name
        elif option.space_id is not None and option.space_id in self.spaces:
            place = self.spaces[option.space_id].name
        else:
            place = str(SpaceKind(option.space_kind).label) if option.space_kind else _("a space")
        return _("%(space)s %(day)s %(times)s") % {
            "space": place,
            "day": weekday_name(option.weekday),
            "times": time_range_text(_clock(option.start), _clock(option.end)),
        }

    def demands(self, wish: Wish, option: Option, space_id: int) -> int:
        """Wishes (this one included) asking for `space_id` at a time overlapping `option`."""
        return len(
            {
                c.wish_id
                for c in self.asked[space_id]
                if c.wish_id == wish.id
                or overlaps(
                    option,
                    wish.terms,
                    self.options[c.wish_id, c.position],
                    self.wishes[c.wish_id].terms,
                )
            }
        )

    def holders(self, wish: Wish, option: Option, space_id: int) -> list[Candidate]:
        return [
            c
            for c in self.placed_on[space_id]
            if c.wish_id != wish.id
            and overlaps(
                option,
                wish.terms,
                self.options[c.wish_id, c.position],
                self.wishes[c.wish_id].terms,
            )
        ]

    def deciding_rule(self, winner: Option, loser: Option) -> str | None:
        """The rule giving the winner the most points the loser lacks."""
        lost = dict(loser.bonuses)
        gaps = [
            (points - lost.get(code, 0), code)
            for code, points in winner.bonuses
            if points > lost.get(code, 0)
        ]
        return max(gaps)[1] if gaps else None

    def minutes_of(self, structure_id: int) -> int:
        return sum(
            self.options[c.wish_id, c.position].minutes for c in self.placed_of[structure_id]
        )


def _requests(count: int) -> str:
    return ngettext("%(count)s request", "%(count)s requests", count) % {"count": count}


def _rule(code: str) -> str:
    return _("“%(rule)s”") % {"rule": rule_label(code)}


def _unfit_text(reasons: set[str], wish: Wish) -> str:
    if UNFIT_CAPACITY in reasons:
        return _("no space of this choice seats %(count)s people") % {"count": wish.attendees}
    if UNFIT_EQUIPMENT in reasons:
        return _("no space of this choice has the equipment needed")
    if UNFIT_HOURS in reasons:
        return _("the space is closed at that time")
    return _("no space of the campaign matches this choice")


def _refused(ctx: _Context, wish: Wish, option: Option) -> str:
    spaces = option_spaces(option, ctx.spaces.values())
    fitting = [s for s in spaces if unfit_reason(wish, option, s) is None]
    if not fitting:
        reasons = {unfit_reason(wish, option, s) or "" for s in spaces}
        return _("%(slot)s: %(reason)s") % {
            "slot": ctx.slot(option),
            "reason": _unfit_text(reasons, wish),
        }
    for space in sorted(fitting, key=lambda s: (s.capacity, s.id)):
        taken = ctx.holders(wish, option, space.id)
        if not taken:
            continue
        holder = taken[0]
        holder_wish = ctx.wishes[holder.wish_id]
        holder_option = ctx.options[holder.wish_id, holder.position]
        code = ctx.deciding_rule(holder_option, option)
        if code is not None:
            why = _("by the rule %(rule)s") % {"rule": _rule(code)}
        elif len(ctx.placed_of[holder_wish.structure_id]) == 1:
            why = _("for fairness: its only wish met")
        else:
            why = _("which meets more wishes in all")
        return _("%(slot)s: %(requests)s, given to %(holder)s %(why)s") % {
            "slot": ctx.slot(option, space.id),
            "requests": _requests(ctx.demands(wish, option, space.id)),
            "holder": holder_wish.structure_name,
            "why": why,
        }
    cap = ctx.problem.cap_minutes
    if cap is not None and ctx.minutes_of(wish.structure_id) + option.minutes > cap:
        return _("%(slot)s: free, but your structure reached its %(hours)s hours a week") % {
            "slot": ctx.slot(option),
            "hours": f"{cap / 60:g}",
        }
    return _("%(slot)s: not kept, to meet more wishes in all") % {"slot": ctx.slot(option)}


def _granted(ctx: _Context, wish: Wish, placed: Candidate) -> str:
    option = ctx.options[wish.id, placed.position]
    count = ctx.demands(wish, option, placed.space_id)
    others = [
        ctx.options[c.wish_id, c.position]
        for c in ctx.asked[placed.space_id]
        if c.wish_id != wish.id
        and overlaps(
            option, wish.terms, ctx.options[c.wish_id, c.position], ctx.wishes[c.wish_id].terms
        )
    ]
    codes = {ctx.deciding_rule(option, other) for other in others} - {None}
    if placed.position == 1:
        text = _("%(slot)s: %(requests)s, granted (first choice)")
    else:
        text = _("choice %(position)s granted: %(slot)s (%(requests)s)")
    text = text % {
        "slot": ctx.slot(option, placed.space_id),
        "requests": _requests(count),
        "position": placed.position,
    }
    if codes:
        rules = ", ".join(_rule(code) for code in sorted(codes))
        text += " " + _("(rules that decided: %(rules)s)") % {"rules": rules}
    return text


def explain(problem: Problem, plan: Plan) -> dict[int, str]:
    """A sentence per wish of `problem` (by wish id), in the active language."""
    ctx = _Context(problem, plan)
    sentences = {}
    for wish in sorted(problem.wishes, key=lambda w: w.id):
        placed = plan.placements.get(wish.id)
        parts = [
            _refused(ctx, wish, option)
            for option in sorted(wish.options, key=lambda o: o.position)
            if placed is None or option.position < placed.position
        ]
        if placed is not None:
            parts.append(_granted(ctx, wish, placed))
        else:
            parts.append(_("no choice could be granted"))
        sentences[wish.id] = _("; ").join(parts) + "."
    return sentences
