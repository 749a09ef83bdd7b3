from django import forms
from django.contrib import admin

from core.admin import HistoryAdmin
from core.validators import validate_single_line
from payments.models import Invoice, Payment, PaymentChannel, PaymentLog, StripeEvent, Tariff


@admin.register(Tariff)
class TariffAdmin(HistoryAdmin):
    list_display = ["space", "category", "unit", "amount_cents", "currency"]
    list_filter = ["category", "unit"]
    autocomplete_fields = ["space"]


class PaymentChannelForm(forms.ModelForm):
    # Secrets are written, never shown back: an empty field keeps the stored value.
    stripe_secret_key = forms.CharField(widget=forms.PasswordInput, required=False)
    stripe_webhook_secret = forms.CharField(widget=forms.PasswordInput, required=False)
    payfip_url = forms.URLField(
        assume_scheme="https", required=False, validators=[validate_single_line]
    )

    class Meta:
        model = PaymentChannel
        fields = [
            "owner",
            "kind",
            "stripe_secret_key",
            "stripe_webhook_secret",
            "finance_department",
            "payfip_url",
            "free_legal_basis",
            "vat_status",
            "vat_rate_basis_points",
        ]

    def clean(self) -> dict:
        cleaned = super().clean()
        for name in ("stripe_secret_key", "stripe_webhook_secret"):
            if not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(self.instance, name)
        return cleaned


@admin.register(PaymentChannel)
class PaymentChannelAdmin(HistoryAdmin):
    form = PaymentChannelForm
    list_display = ["owner", "kind", "finance_department"]
    list_filter = ["kind"]


class PaymentLogInline(admin.TabularInline):
    model = PaymentLog
    extra = 0
    can_delete = False
    readonly_fields = [
        "from_status",
        "to_status",
        "actor",
        "stripe_event_id",
        "reason",
        "created_at",
    ]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["pk", "booking", "owner", "amount_cents", "status", "created_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in Payment._meta.fields]
    inlines = [PaymentLogInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["stripe_id", "type", "owner", "received_at", "processed_at"]
    readonly_fields = ["stripe_id", "type", "owner", "payload", "received_at", "processed_at"]


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """Read only: an issued invoice is never changed; a credit note corrects it."""

    list_display = ["number", "owner", "kind", "amount_cents", "issued_at", "debtor_name"]
    list_filter = ["kind", "owner"]
    search_fields = ["number", "debtor_name"]
    readonly_fields = [f.name for f in Invoice._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
