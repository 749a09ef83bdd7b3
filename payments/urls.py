from django.urls import path

from payments.views import cards, channels, deposits, documents, tariffs

app_name = "payments"

urlpatterns = [
    path("<int:pk>/", cards.payment_detail, name="payment-detail"),
    path("<int:pk>/payer/", cards.payment_pay, name="payment-pay"),
    path("<int:pk>/actualiser/", cards.payment_refresh, name="payment-refresh"),
    path("<int:pk>/nouvel-essai/", cards.payment_retry, name="payment-retry"),
    path("<int:pk>/rembourser/", cards.payment_refund, name="payment-refund"),
    path("", cards.payment_list, name="payment-list"),
    path("reservation/<int:booking_pk>/", cards.booking_pay, name="booking-pay"),
    path("caution/reservation/<int:booking_pk>/", deposits.deposit_place, name="deposit-place"),
    path("<int:pk>/caution/retenir/", deposits.deposit_keep, name="deposit-keep"),
    path("<int:pk>/caution/liberer/", deposits.deposit_release, name="deposit-release"),
    path("factures/<int:pk>.pdf", documents.invoice_pdf, name="invoice-pdf"),
    path("moyens-de-paiement/", channels.channel_list, name="channel-list"),
    path("moyens-de-paiement/<int:owner_pk>/", channels.channel_edit, name="channel-edit"),
    path(
        "moyens-de-paiement/<int:owner_pk>/activation/",
        channels.channel_active,
        name="channel-active",
    ),
    path("caution/espace/<int:space_pk>/", tariffs.space_deposit, name="space-deposit"),
    path("tarifs/espace/<int:space_pk>/", tariffs.space_tariffs, name="space-tariffs"),
]
