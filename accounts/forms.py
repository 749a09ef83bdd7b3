from functools import partial

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    SetPasswordForm,
    UsernameField,
)
from django.utils.translation import gettext_lazy as _

from accounts.messaging import OPTIONAL_TOPICS
from accounts.models import (
    API_TOKEN_DEFAULT_DAYS,
    API_TOKEN_MAX_DAYS,
    ApiTokenScope,
    Invitation,
    Organisation,
    OrganisationDocument,
    User,
)
from core.fields import SingleLineFormField
from core.forms import (
    AccessibleForm,
    AccessibleFormMixin,
    AccessibleModelForm,
    ServiceValidatedModelForm,
)
from core.validators import validate_single_line


class LoginForm(AccessibleFormMixin, AuthenticationForm):
    # A line break in the e-mail typed would reach the failed-login log as a forged line.
    username = UsernameField(
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "email"}),
        validators=[validate_single_line],
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        # Django's own French says "Saisissez un adresse électronique" (its sentence is built
        # for a masculine "nom d'utilisateur"): ours names the field itself.
        "invalid_login": _("Enter a correct e-mail address and password. Both are case-sensitive."),
        "unconfirmed": _(
            "Your e-mail address is not confirmed yet: open the link we sent to it when you "
            "signed up. No message? Ask for a new link below."
        ),
    }

    def confirm_login_allowed(self, user: User) -> None:
        """Told only to whoever typed the right password: the account exists but its address
        was never proven, so it may not act yet."""
        super().confirm_login_allowed(user)
        if not user.email_confirmed:
            raise forms.ValidationError(self.error_messages["unconfirmed"], code="unconfirmed")


def _email_field(label=None, **kwargs) -> forms.EmailField:
    return forms.EmailField(
        label=label or _("E-mail address"),
        max_length=254,
        validators=[validate_single_line],
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        **kwargs,
    )


class EmailLinkForm(AccessibleForm):
    """The address to send a link to (a password reset, a new confirmation link)."""

    email = _email_field()


class PasswordSetForm(AccessibleFormMixin, SetPasswordForm):
    """The new password, from a reset link; the view saves it through accounts.services."""


class PasswordUpdateForm(AccessibleFormMixin, PasswordChangeForm):
    """The current password and the new one; the view saves it through accounts.services."""


class PasswordConfirmForm(AccessibleForm):
    """The account's password, asked when a confirmation link is opened in another browser than
    the one that signed up."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class EmailChangeForm(AccessibleForm):
    email = _email_field(
        label=_("New e-mail address"),
        help_text=_("A link valid 3 days is sent to it: the change happens when you open it."),
    )
    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class SignupForm(AccessibleForm):
    first_name = SingleLineFormField(label=_("First name"), max_length=150, required=False)
    last_name = SingleLineFormField(label=_("Last name"), max_length=150, required=False)
    email = _email_field()
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password1:
            try:
                password_validation.validate_password(password1)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class StructureForm(ServiceValidatedModelForm):
    class Meta:
        model = Organisation
        fields = [
            "name",
            "ess_family",
            "siae_kind",
            "siret",
            "rna",
            "legal_category",
            "esus_expires_on",
            "email",
            "phone",
            "website",
            "address",
            "description",
        ]
        widgets = {
            "esus_expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        # Django 6 default; saying it silences a RemovedInDjango60Warning raised at import.
        field_classes = {"website": partial(forms.URLField, assume_scheme="https")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ess_family"].required = True
        # Identifiers are often typed with spaces ("123 456 789 00012"): allow room for them.
        for name in ("siret", "rna"):
            self.fields[name].max_length = 20
            self.fields[name].widget.attrs["maxlength"] = 20
        self.fields["siret"].validators = []  # checked once normalised, by the service
        self.fields["rna"].validators = []


class DocumentForm(ServiceValidatedModelForm):
    class Meta:
        model = OrganisationDocument
        fields = ["kind", "file", "expires_on"]
        widgets = {"expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        help_texts = {"file": _("PDF, JPEG or PNG, 10 MB at most.")}


class InvitationForm(AccessibleModelForm):
    class Meta:
        model = Invitation
        fields = ["email", "role"]


class ProfileForm(ServiceValidatedModelForm):
    """Name, phone, language, and which optional e-mails the person receives (the service
    stores the ones switched off)."""

    emails = forms.MultipleChoiceField(
        label=_("Optional e-mails I receive"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Requests, decisions and what asks you to act are always sent. Every notification "
            "also stays in your notifications list."
        ),
    )

    class Meta:
        model = User
        fields = ["first_name", "last_name", "phone", "language"]
        widgets = {"phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["emails"].choices = list(OPTIONAL_TOPICS.items())
        muted = set(self.instance.muted_topics or [])
        self.initial.setdefault(
            "emails", [topic for topic in OPTIONAL_TOPICS if topic not in muted]
        )
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"

    def _post_clean(self) -> None:
        super()._post_clean()
        chosen = set(self.cleaned_data.get("emails") or [])
        self.instance.muted_topics = [topic for topic in OPTIONAL_TOPICS if topic not in chosen]


class AccountEraseForm(AccessibleForm):
    """Deleting one's account is confirmed with one's password."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password."))
        return password


class ApiTokenForm(AccessibleForm):
    """A new API token: its name, what it may do, for which organisation, for how long. The
    service checks the organisation and the expiry again (accounts.services.tokens)."""

    ALL = ""

    name = SingleLineFormField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. the program that uses it."),
    )
    scope = forms.ChoiceField(
        label=_("Permissions"), choices=ApiTokenScope.choices, initial=ApiTokenScope.READ
    )
    organisation = forms.ChoiceField(label=_("Acts for"), required=False)
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=API_TOKEN_MAX_DAYS,
        initial=API_TOKEN_DEFAULT_DAYS,
        help_text=_("At most 365 days. The token stops working afterwards."),
    )
    service = forms.BooleanField(
        label=_("Service token of the intercommunality"),
        required=False,
        help_text=_(
            "For a program of the intercommunality: every one of its people sees and may "
            "revoke it. Choose the intercommunality in “Acts for”."
        ),
    )

    def __init__(self, *args, organisations, may_create_service: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [
            (self.ALL, _("All my organisations")),
            *((str(org.pk), org.name) for org in organisations),
        ]
        self.organisations = {str(org.pk): org for org in organisations}
        if not may_create_service:
            del self.fields["service"]

    def clean_organisation(self):
        value = self.cleaned_data["organisation"]
        return self.organisations.get(value) if value else None
