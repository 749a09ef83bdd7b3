"""The shared times of an agreement's rooms (issue 17), on the agreement's page: the occupant
proposes one, the owner's side consents, either withdraws. The services decide and check who
acts (bookings/allocations/sharing.py); a window the user does not see is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bookings import allocations as services
from bookings import selectors
from bookings.exceptions import InvalidTransition
from bookings.forms import AllocationReasonForm, SharingWindowForm
from bookings.models import SharingWindow
from bookings.selectors.sharing import sharing_windows_visible_to
from bookings.views.allocations.pages import _act, _done, _refused, _render_detail


@login_required
@require_POST
def sharing_window_propose(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = get_object_or_404(selectors.allocations_visible_to(request.user), pk=pk)
    form = SharingWindowForm(request.POST, prefix="share", spaces=allocation.spaces.all())
    return _act(
        request,
        allocation,
        form,
        "share",
        lambda values: bool(
            services.sharing_window_propose(allocation=allocation, actor=request.user, **values)
        ),
        _("The shared time is proposed; the owner is asked to consent."),
    )


def _window(request: HttpRequest, pk: int) -> SharingWindow:
    return get_object_or_404(
        sharing_windows_visible_to(request.user).select_related("allocation"), pk=pk
    )


@login_required
@require_POST
def sharing_window_consent(request: HttpRequest, pk: int) -> HttpResponse:
    window = _window(request, pk)
    try:
        changed = services.sharing_window_consent(window=window, actor=request.user)
    except InvalidTransition as exc:
        return _refused(request, window.allocation, exc)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(window.allocation.get_absolute_url())
    return _done(
        request,
        window.allocation,
        changed,
        _("The shared time is open: other structures may book the room then."),
    )


@login_required
@require_POST
def sharing_window_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    window = _window(request, pk)
    form = AllocationReasonForm(request.POST, prefix=f"unshare{window.pk}")
    if form.is_valid():
        try:
            changed = services.sharing_window_withdraw(
                window=window, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except InvalidTransition as exc:
            return _refused(request, window.allocation, exc)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(window.allocation.get_absolute_url())
        return _done(request, window.allocation, changed, _("The shared time is withdrawn."))
    return _render_detail(
        request, window.allocation, status=400, bound={f"unshare-{window.pk}": form}
    )
