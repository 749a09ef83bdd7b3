"""What the apps above accounts hold about a person or a structure, and how they let it go.

Erasing an account (or a structure's data) must reach rows that accounts cannot import (a
calendar feed in bookings, a site-manager link in spaces, a waiting-list entry in calls):
imports run one way. Each of those apps registers its steps here in its `AppConfig.ready`, and
the erasure services (accounts.services.erasure) run every registered step inside their own
transaction, so that the erasure and what it withdraws commit together or not at all.

A user step is called `step(user=..., actor=...)` before the account is anonymised (the person's
e-mail address and name are still there); a structure step `step(organisation=..., actor=...)`
before its members and contact details go. Steps use their app's services with `actor`, so the
usual rules and notifications apply, and must be idempotent (an erasure that failed half-way
is run again whole).
"""

from collections.abc import Callable
from typing import Any

UserStep = Callable[..., Any]
StructureStep = Callable[..., Any]

_user_steps: list[UserStep] = []
_structure_steps: list[StructureStep] = []


def user_erasure_step_register(step: UserStep) -> None:
    """Add a step run when an account is erased (idempotent: twice adds it once)."""
    if step not in _user_steps:
        _user_steps.append(step)


def structure_erasure_step_register(step: StructureStep) -> None:
    """Add a step run when a structure's data are erased (idempotent: twice adds it once)."""
    if step not in _structure_steps:
        _structure_steps.append(step)


def user_erasure_steps() -> list[UserStep]:
    return list(_user_steps)


def structure_erasure_steps() -> list[StructureStep]:
    return list(_structure_steps)
