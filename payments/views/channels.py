"""Payment channels (HTML): how each organisation collects its fees, set up by its
administrators or the intercommunality. The Stripe secrets are write-only: the pages say
whether one is set and when, never what it is.

Outsiders get 404 (`channel_owners_for` is permission-scoped); the services check again.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import form_add_service_errors
from payments import selectors
from payments.forms import ChannelForm
from payments.models import PaymentChannel
from payments.services.tariffs import channel_set, channel_set_active

INITIAL_FIELDS = [
    "kind",
    "stripe_publishable_key",
    "finance_department",
    "payfip_url",
    "pay_within_hours",
    "free_legal_basis",
    "vat_status",
]


@login_required
@require_GET
def channel_list(request: HttpRequest) -> HttpResponse:
    owners = list(selectors.channel_owners_for(request.user))
    rows = []
    for owner in owners:
        channel = getattr(owner, "payment_channel", None)
        rows.append(
            {
                "owner": owner,
                "channel": channel,
                "route": selectors.fee_route_of(channel),
            }
        )
    return render(request, "payments/channel_list.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def channel_edit(request: HttpRequest, owner_pk: int) -> HttpResponse:
    owner = get_object_or_404(selectors.channel_owners_for(request.user), pk=owner_pk)
    channel = PaymentChannel.objects.filter(owner=owner).first()
    initial = (
        {name: getattr(channel, name) for name in INITIAL_FIELDS}
        if channel
        else {"kind": "public_accounting", "pay_within_hours": 48}
    )
    form = ChannelForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            channel_set(
                owner=owner,
                kind=form.cleaned_data["kind"],
                actor=request.user,
                **form.fields_for_service,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The payment channel of %(owner)s is saved.") % {"owner": owner.name},
            )
            return redirect("payments:channel-edit", owner_pk=owner.pk)
    status = 400 if form.is_bound and form.errors else 200
    context = {
        "owner": owner,
        "channel": channel,
        "route": selectors.fee_route_of(channel),
        "form": form,
    }
    return render(request, "payments/channel_form.html", context, status=status)


@login_required
@require_POST
def channel_active(request: HttpRequest, owner_pk: int) -> HttpResponse:
    owner = get_object_or_404(
        selectors.channel_owners_for(request.user).filter(payment_channel__isnull=False),
        pk=owner_pk,
    )
    active = request.POST.get("active") == "1"
    channel_set_active(owner=owner, active=active, actor=request.user)
    if active:
        messages.success(request, _("The payment channel is active again."))
    else:
        messages.success(
            request,
            _("The payment channel is deactivated: its fees are no longer collected."),
        )
    return redirect("payments:channel-edit", owner_pk=owner.pk)
