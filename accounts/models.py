import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_rna, validate_siren, validate_siret
from core.fields import (
    MultiLineTextField,
    SingleLineCharField,
    SingleLineEmailField,
    SingleLineURLField,
)
from core.history import history
from core.validators import MAX_INTEGER, MAX_SMALL_INTEGER, bounded


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        # The operator who creates an administrator vouches for the address.
        extra_fields.setdefault("email_confirmed_at", timezone.now())
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person; signs in with an e-mail address."""

    username = None
    email = SingleLineEmailField(_("e-mail address"), unique=True)
    # AbstractUser's own text columns, declared again to follow the rule of every text column.
    first_name = SingleLineCharField(_("first name"), max_length=150, blank=True)
    last_name = SingleLineCharField(_("last name"), max_length=150, blank=True)
    password = SingleLineCharField(_("password"), max_length=128)
    phone = SingleLineCharField(_("phone"), max_length=30, blank=True)
    language = SingleLineCharField(
        _("language"),
        max_length=5,
        choices=settings.LANGUAGES,
        default="fr",
        help_text=_("The language of the pages and of the e-mails you receive."),
    )
    # Set when the person opened the link sent to the address (or reset their password through
    # it): until then the account cannot sign in, so an address cannot be squatted.
    email_confirmed_at = models.DateTimeField(_("e-mail confirmed on"), null=True, blank=True)
    # Optional e-mails the person switched off (accounts.messaging.OPTIONAL_TOPICS); they still
    # see them in their notifications.
    muted_topics = models.JSONField(_("e-mails switched off"), default=list, blank=True)
    # Set when the account was erased (GDPR): the row stays, as the actor of bookings, invoices
    # and audit rows, with no personal data left ("former user #n").
    erased_at = models.DateTimeField(_("erased on"), null=True, blank=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        if self.erased_at is not None:
            return gettext("Former user #%(number)s") % {"number": self.pk}
        return self.get_full_name() or self.email

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None


class Notification(models.Model):
    """What the platform told a person, kept in their notifications list (unread ones marked) so
    that a missed e-mail is not a missed decision. Written with the e-mail, in the transaction of
    the change (accounts.messaging)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    topic = SingleLineCharField(_("topic"), max_length=60)
    subject = SingleLineCharField(_("subject"), max_length=255)
    body = MultiLineTextField(_("message"))
    link = SingleLineCharField(_("link"), max_length=500, blank=True)  # a path of the site
    created_at = models.DateTimeField(_("sent on"), auto_now_add=True)
    read_at = models.DateTimeField(_("read on"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_recent"),
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class OrganisationKind(models.TextChoices):
    EPCI = "epci", _("Intercommunality (EPCI)")
    COMMUNE = "commune", _("Commune")
    ESS = "ess", _("Social and solidarity economy structure")
    OTHER = "other", _("Other organisation")


class EssFamily(models.TextChoices):
    """Statutory ESS families (loi 2014-856, art. 1), declared by the structure itself."""

    ASSOCIATION = "association", _("Association")
    SCOP = "scop", _("Cooperative — SCOP")
    SCIC = "scic", _("Cooperative — SCIC")
    CAE = "cae", _("Cooperative — CAE")
    OTHER_COOPERATIVE = "other_cooperative", _("Other cooperative")
    MUTUAL = "mutual", _("Mutual")
    FOUNDATION = "foundation", _("Foundation")
    ESS_COMPANY = "ess_company", _("ESS commercial company")


class SiaeKind(models.TextChoices):
    ACI = "aci", _("ACI — integration workshop")
    EI = "ei", _("EI — integration enterprise")
    ETTI = "etti", _("ETTI — temporary-work integration enterprise")
    AI = "ai", _("AI — intermediary association")
    EITI = "eiti", _("EITI — self-employment integration enterprise")


class Organisation(models.Model):
    """An EPCI, a commune, an ESS structure or another body that owns, manages or uses premises."""

    kind = SingleLineCharField(_("kind"), max_length=10, choices=OrganisationKind)
    name = SingleLineCharField(_("name"), max_length=200)
    siren = SingleLineCharField(_("SIREN"), max_length=9, blank=True, validators=[validate_siren])
    siret = SingleLineCharField(
        _("SIRET"),
        max_length=14,
        blank=True,
        validators=[validate_siret],
        help_text=_("14 digits. Required before any aid in cash or in kind."),
    )
    rna = SingleLineCharField(
        _("RNA number"),
        max_length=10,
        blank=True,
        validators=[validate_rna],
        help_text=_("Associations only: W followed by 9 digits."),
    )
    legal_category = SingleLineCharField(
        _("INSEE legal category"),
        max_length=4,
        blank=True,
        help_text=_("4 digits, e.g. 9220 for a declared association."),
    )
    ess_family = SingleLineCharField(_("ESS family"), max_length=20, choices=EssFamily, blank=True)
    siae_kind = SingleLineCharField(
        _("integration structure (SIAE) kind"), max_length=5, choices=SiaeKind, blank=True
    )
    esus_expires_on = models.DateField(
        _("ESUS approval valid until"),
        null=True,
        blank=True,
        help_text=_("Leave empty if the structure has no ESUS approval."),
    )
    email = SingleLineEmailField(_("contact e-mail"), blank=True)
    phone = SingleLineCharField(_("phone"), max_length=30, blank=True)
    website = SingleLineURLField(_("website"), blank=True)
    address = SingleLineCharField(_("postal address"), max_length=300, blank=True)
    description = MultiLineTextField(_("activity"), blank=True)
    verified_at = models.DateTimeField(_("verified on"), null=True, blank=True, editable=False)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    # Set when the intercommunality erased the structure's personal data on request
    # (accounts.services.erasure.structure_erase): its legal identity, bookings and accounts stay;
    # it has no member, contact or document left and can no longer request space.
    erased_at = models.DateTimeField(_("data erased on"), null=True, blank=True, editable=False)

    # Every verification (who, when) and every change of identity stays here.
    history = history()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["siret"],
                condition=~Q(siret=""),
                name="organisation_unique_siret",
                violation_error_message=_("A structure with this SIRET is already registered."),
            ),
            models.UniqueConstraint(
                fields=["rna"],
                condition=~Q(rna=""),
                name="organisation_unique_rna",
                violation_error_message=_(
                    "A structure with this RNA number is already registered."
                ),
            ),
            models.CheckConstraint(
                condition=Q(verified_at__isnull=True) | Q(verified_by__isnull=False),
                name="organisation_verification_has_author",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.siren and self.siret and not self.siret.startswith(self.siren):
            errors["siret"] = _("The SIRET must start with the SIREN (its first 9 digits).")
        if self.kind == OrganisationKind.ESS and not self.ess_family:
            errors["ess_family"] = _("Choose the ESS family of the structure.")
        if self.kind != OrganisationKind.ESS and (self.ess_family or self.siae_kind):
            errors["ess_family"] = _("Only ESS structures declare an ESS family.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


# What identifies a structure: the intercommunality verified these values, so a change to any of
# them sends the structure back to verification (accounts.services.organisation_update).
IDENTIFYING_FIELDS = (
    "kind",
    "name",
    "siren",
    "siret",
    "rna",
    "legal_category",
    "ess_family",
    "siae_kind",
    "esus_expires_on",
)


class OrganisationLogKind(models.TextChoices):
    VERIFIED = "verified", _("Verified")
    VERIFICATION_WITHDRAWN = "withdrawn", _("Sent back to verification")


class OrganisationLog(models.Model):
    """One row per verification event of a structure: who, what, why, with the identifying
    values that changed (`changes`: field → [old, new]). Field-level history of other models is
    kept elsewhere; this is the domain log the intercommunality reads."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="verification_log"
    )
    kind = SingleLineCharField(_("event"), max_length=10, choices=OrganisationLogKind)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = MultiLineTextField(_("reason"), blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("on"), auto_now_add=True)

    class Meta:
        verbose_name = _("verification event")
        verbose_name_plural = _("verification events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.kind}"


class MembershipRole(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MEMBER = "member", _("Member")


class Membership(models.Model):
    """A user acts for an organisation; administrators manage it and invite colleagues."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = SingleLineCharField(
        _("role"), max_length=10, choices=MembershipRole, default=MembershipRole.MEMBER
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="membership_unique_user_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.organisation} ({self.get_role_display()})"


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


INVITATION_VALIDITY = timedelta(days=14)


class Invitation(models.Model):
    """An administrator invites a colleague by e-mail; the link is valid for 14 days."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = SingleLineEmailField(_("e-mail address"))
    role = SingleLineCharField(
        _("role"), max_length=10, choices=MembershipRole, default=MembershipRole.MEMBER
    )
    token = SingleLineCharField(
        max_length=64, unique=True, default=_invitation_token, editable=False
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"

    def is_usable(self, *, now=None) -> bool:
        now = now or timezone.now()
        return self.accepted_at is None and now < self.created_at + INVITATION_VALIDITY


class DocumentKind(models.TextChoices):
    STATUTES = "statutes", _("Statutes")
    INSURANCE = "insurance", _("Insurance certificate")
    ESUS = "esus", _("ESUS approval")
    RNA_RECEIPT = "rna_receipt", _("RNA registration receipt")
    ACCOUNTS = "accounts", _("Latest accounts")
    OTHER = "other", _("Other document")


def _document_path(instance: "OrganisationDocument", filename: str) -> str:
    return f"organisations/{instance.organisation_id}/{secrets.token_hex(8)}-{filename}"


def _private_storage():
    # A proxy of storages["private"] (disk or bucket), looked up when used (core/storage.py).
    from core.storage import private_storage

    return private_storage


private_storage = _private_storage  # public name for other apps; migrations keep the old one


EXPIRING_DOCUMENTS = {DocumentKind.INSURANCE, DocumentKind.ESUS}
# The documents without which the intercommunality cannot verify a structure (a current one of
# each: an expired insurance certificate does not count). Calls ask for the same two by default.
VERIFICATION_DOCUMENTS = (DocumentKind.STATUTES, DocumentKind.INSURANCE)


class OrganisationDocument(models.Model):
    """A supporting document, stored outside the web root; some expire (insurance, ESUS)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="documents"
    )
    kind = SingleLineCharField(_("kind"), max_length=20, choices=DocumentKind)
    file = models.FileField(_("file"), upload_to=_document_path, storage=_private_storage)
    expires_on = models.DateField(_("valid until"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["kind", "-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.organisation}"

    def clean(self) -> None:
        if self.kind in EXPIRING_DOCUMENTS and self.expires_on is None:
            raise ValidationError(
                {"expires_on": _("Give the date until which this document is valid.")}
            )

    def is_expired(self, *, today=None) -> bool:
        today = today or timezone.localdate()
        return self.expires_on is not None and self.expires_on < today


class ReminderKind(models.TextChoices):
    INSURANCE = "insurance", _("Insurance certificate")
    ESUS = "esus", _("ESUS approval")


class ReminderSent(models.Model):
    """One row per expiry reminder: the daily job sends a reminder only when it creates its row.

    The key is (kind, object_key, expires_on, threshold_days): a renewed certificate (a new
    document) or a new ESUS expiry date starts a new series of reminders. The row and the
    reminder's e-mails (in the mail outbox, which delivers and retries them) are written in one
    transaction; `sent_at` is when they were queued. Rows of older versions with `sent_at` empty
    were claims whose e-mails never left.
    """

    kind = SingleLineCharField(_("kind"), max_length=10, choices=ReminderKind)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    object_key = SingleLineCharField(max_length=60)  # "document:<pk>" or "organisation:<pk>"
    expires_on = models.DateField(_("expires on"))
    threshold_days = models.PositiveSmallIntegerField(
        _("days before expiry"), validators=bounded(0, MAX_SMALL_INTEGER)
    )
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(_("sent on"), null=True, blank=True)
    recipient_count = models.PositiveIntegerField(default=0, validators=bounded(0, MAX_INTEGER))

    class Meta:
        verbose_name = _("expiry reminder")
        verbose_name_plural = _("expiry reminders")
        ordering = ["-claimed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_key", "expires_on", "threshold_days"],
                name="remindersent_once_per_threshold",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_key} J-{self.threshold_days}"


class ApiTokenScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


# A token lives 90 days unless its creator says otherwise, at most a year: a forgotten token
# stops working by itself (docs/decisions.md, "Issue 14 — API tokens").
API_TOKEN_DEFAULT_DAYS = 90
API_TOKEN_MAX_DAYS = 365


class ApiToken(models.Model):
    """A key an integrator's program sends as `Authorization: Bearer <token>` to act as `user`.

    Only the SHA-256 of the secret is stored (`key_hash`); the secret is shown once, when the
    token is created. `prefix` (the first characters, not secret) tells tokens apart in lists.
    A token scoped to an `organisation` acts for that one only (accounts.selectors narrows the
    user's organisations); without one, for all of the user's. A `service` token is the
    intercommunality's: created by one of its people for `organisation` (the EPCI), listed and
    revocable by all of them (accounts.services.tokens)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = SingleLineCharField(_("name"), max_length=100)
    prefix = SingleLineCharField(_("beginning of the token"), max_length=16, editable=False)
    key_hash = SingleLineCharField(max_length=64, unique=True, editable=False)
    scope = SingleLineCharField(
        _("scope"), max_length=5, choices=ApiTokenScope, default=ApiTokenScope.READ
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_tokens",
    )
    service = models.BooleanField(_("intercommunality's service token"), default=False)
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires on"))
    last_used_at = models.DateTimeField(_("last used on"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked on"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(service=False) | Q(organisation__isnull=False),
                name="apitoken_service_has_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_active(self, *, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and now < self.expires_at
