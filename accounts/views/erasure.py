"""Deleting one's own account (GDPR art. 17): what goes, what stays and why, then the password."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.forms import AccountEraseForm
from core.ratelimit import rate_limited


@rate_limited("account-erase")
@login_required
@require_http_methods(["GET", "POST"])
def account_erase(request: HttpRequest) -> HttpResponse:
    form = AccountEraseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.user_erase(user=request.user, actor=request.user)
        logout(request)
        messages.success(request, _("Your account was deleted. Thank you for using the platform."))
        return redirect("/")
    memberships = request.user.memberships.select_related("organisation")
    return render(
        request, "accounts/account_erase.html", {"form": form, "memberships": memberships}
    )
