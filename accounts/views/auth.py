"""Getting into an account and back into it: sign-in, sign-up and the confirmation of the
address, password reset and change, change of e-mail address.

No page here tells whether an address has an account: sign-up, reset and "send the link again"
give the same answer for any address (the message goes to the address instead). The forms that
send e-mail are throttled per client address (RATE_LIMITS); passwords typed outside the sign-in
page go through `authenticate`, so the login lockout counts them too.
"""

from django.contrib import messages
from django.contrib.auth import authenticate, login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import (
    INTERNAL_RESET_SESSION_TOKEN,
    LoginView,
    PasswordChangeView,
    PasswordResetCompleteView,
    PasswordResetConfirmView,
    PasswordResetDoneView,
    PasswordResetView,
)
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.forms import (
    EmailChangeForm,
    EmailLinkForm,
    LoginForm,
    PasswordConfirmForm,
    PasswordSetForm,
    PasswordUpdateForm,
    SignupForm,
)
from accounts.models import User
from accounts.selectors import email_change_pending, email_confirmation_pending
from accounts.sessions import USER_BACKEND
from core.forms import form_add_service_errors
from core.ratelimit import rate_limited

# The account this browser just signed up for (its password was typed here): its confirmation
# link, opened in this browser, confirms at once; elsewhere the password is asked.
SIGNUP_SESSION_KEY = "accounts_signup"
NEXT_MAX_LENGTH = 500


def local_path(value: str | None) -> str:
    """`value` if it is a path of this site ("/accounts/invitations/…"), else ""."""
    value = (value or "").strip()
    if (
        not value.startswith("/")
        or value.startswith(("//", "/\\"))
        or len(value) > NEXT_MAX_LENGTH
        or any(char.isspace() for char in value)
        or not url_has_allowed_host_and_scheme(value, allowed_hosts=set())
    ):
        return ""
    return value


def language_cookie_set(request: HttpRequest, response: HttpResponse, user: User) -> HttpResponse:
    """From the next page on, the person's pages are in their language (core LanguageMiddleware
    reads this cookie; the profile page sets it too)."""
    response.set_cookie(
        "django_language", user.language, samesite="Lax", secure=request.is_secure()
    )
    return response


def _sign_in(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    login(request, user, backend=USER_BACKEND)
    response = redirect(local_path(next_url) or reverse("accounts:structure-register"))
    return language_cookie_set(request, response, user)


# --- Sign-in ---------------------------------------------------------------------------------


class SignInView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: LoginForm) -> HttpResponse:
        response = super().form_valid(form)
        return language_cookie_set(self.request, response, form.get_user())

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        form = context.get("form")
        context["unconfirmed"] = bool(form and form.has_error("__all__", "unconfirmed"))
        return context


# --- Sign-up and the confirmation of the address ---------------------------------------------


@rate_limited("signup")
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "POST" and form.is_valid():
        done = services.user_signup(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            next_url=local_path(request.GET.get("next")),
        )
        # Written in every case, so that the answer (its cookies too) is the same whether the
        # address had an account or not.
        request.session[SIGNUP_SESSION_KEY] = done.user.pk if done.password_chosen else None
        return redirect("accounts:signup-sent")
    return render(request, "accounts/signup.html", {"form": form})


@require_http_methods(["GET"])
def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_sent.html")


@rate_limited("confirmation_resend")
@require_http_methods(["GET", "POST"])
def confirmation_resend(request: HttpRequest) -> HttpResponse:
    form = EmailLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.confirmation_resend(
            email=form.cleaned_data["email"], next_url=local_path(request.GET.get("next"))
        )
        return redirect("accounts:signup-sent")
    return render(request, "accounts/confirmation_resend.html", {"form": form})


def _link_invalid(request: HttpRequest, error: ValidationError, **context) -> HttpResponse:
    return render(
        request,
        "accounts/link_invalid.html",
        {"message": error.messages[0], "code": error.code, **context},
        status=409 if error.code == "taken" else 400,
    )


@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm the address and sign in. In the browser that signed up, opening the link is
    enough; elsewhere (another device, or whoever received a link for an account they did not
    create) the account's password is asked, so that confirming a stranger's sign-up never
    hands them the address."""
    try:
        pending = email_confirmation_pending(token=token)
    except ValidationError as error:
        return _link_invalid(request, error, confirmation=True)
    form = PasswordConfirmForm(request.POST or None)
    proven = request.session.get(SIGNUP_SESSION_KEY) == pending.user.pk
    if not proven and request.method == "POST" and form.is_valid():
        # Through the backends: the login lockout counts a wrong password here too.
        user = authenticate(
            request, username=pending.user.email, password=form.cleaned_data["password"]
        )
        proven = user is not None and user.pk == pending.user.pk
        if not proven:
            form.add_error(
                "password",
                _(
                    "This is not the password chosen at sign-up. If you did not create this "
                    "account, choose “Forgotten password?”: the account will then be yours."
                ),
            )
    if proven:
        try:
            user = services.email_confirm(token=token)
        except ValidationError as error:
            return _link_invalid(request, error, confirmation=True)
        request.session.pop(SIGNUP_SESSION_KEY, None)
        response = _sign_in(request, user, pending.next_url)
        messages.success(request, _("Your address is confirmed and you are signed in."))
        return response
    return render(
        request,
        "accounts/signup_confirm.html",
        {"form": form, "email": pending.user.email},
        status=400 if form.errors else 200,
    )


# --- Password reset (Django's views, our pages and our e-mail) -------------------------------


@method_decorator(rate_limited("password_reset"), name="dispatch")
class PasswordResetRequestView(PasswordResetView):
    form_class = EmailLinkForm
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("accounts:password-reset-done")

    def form_valid(self, form: EmailLinkForm) -> HttpResponse:
        # Not form.save(): the link goes through the outbox like every other message. The
        # same page follows whether the address has an account or not.
        services.password_reset_request(email=form.cleaned_data["email"])
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetSentView(PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetSetView(PasswordResetConfirmView):
    form_class = PasswordSetForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")

    def form_valid(self, form: PasswordSetForm) -> HttpResponse:
        try:
            services.password_reset_complete(
                user=form.user,
                token=self.request.session.get(INTERNAL_RESET_SESSION_TOKEN, ""),
                password=form.cleaned_data["new_password1"],
            )
        except ValidationError as error:
            return _link_invalid(self.request, error, reset=True)
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


# --- Signed in: password change, change of e-mail address ------------------------------------


@method_decorator(rate_limited("account_change"), name="dispatch")
class PasswordUpdateView(PasswordChangeView):
    form_class = PasswordUpdateForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form: PasswordUpdateForm) -> HttpResponse:
        user = services.password_change(
            user=form.user, actor=self.request.user, password=form.cleaned_data["new_password1"]
        )
        # This session stays signed in; the others end (their password hash no longer matches).
        update_session_auth_hash(self.request, user)
        messages.success(
            self.request,
            _(
                "Your password was changed. Your other sessions were closed; a notice was sent "
                "to your address."
            ),
        )
        return HttpResponseRedirect(self.get_success_url())


@login_required
@rate_limited("account_change")
@require_http_methods(["GET", "POST"])
def email_change(request: HttpRequest) -> HttpResponse:
    form = EmailChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        new_email = form.cleaned_data["email"]
        try:
            services.email_change_request(
                user=request.user,
                actor=request.user,
                new_email=new_email,
                password=form.cleaned_data["password"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "A link was sent to %(email)s. Open it within 3 days to confirm the change; "
                    "until then your account keeps its current address."
                )
                % {"email": new_email.lower()},
            )
            return redirect("accounts:profile")
    return render(request, "accounts/email_change.html", {"form": form}, status=200)


@require_http_methods(["GET", "POST"])
def email_change_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Opening the link shows what will change; the button makes the change (a mail scanner
    that fetches links changes nothing)."""
    try:
        pending = email_change_pending(token=token)
    except ValidationError as error:
        return _link_invalid(request, error, change=True)
    if request.method == "POST":
        try:
            user = services.email_change_confirm(token=token)
        except ValidationError as error:
            return _link_invalid(request, error, change=True)
        return render(
            request, "accounts/email_change_confirm.html", {"done": True, "account": user}
        )
    return render(
        request,
        "accounts/email_change_confirm.html",
        {"new_email": pending.new_email, "old_email": pending.user.email},
    )
