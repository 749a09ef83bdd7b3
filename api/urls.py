from django.http import HttpRequest, JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.exceptions import NotFound

from api import (
    allocations,
    bookings,
    calls,
    channels,
    closures,
    comments,
    conditions,
    documents,
    equipment,
    feeds,
    groups,
    hooks,
    me,
    organisations,
    payments,
    photos,
    quotas,
    seasons,
    sharing,
    slot_waits,
    spaces,
    tariffs,
    waiting,
)
from api.webhooks import stripe_webhook
from core.middleware import accepts_upload


@csrf_exempt  # it changes nothing: a POST without a token learns the same 404
def not_found(request: HttpRequest, **kwargs) -> JsonResponse:
    """Any other URL under /api/ (e.g. /api/v1/sites/abc/): the API's JSON 404, not the site's
    HTML page."""
    return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)


app_name = "api"
urlpatterns = [
    path("webhooks/stripe/<int:owner_pk>/", stripe_webhook, name="stripe-webhook"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Split: its bootstrap script is a file of its own, allowed by the site's CSP.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("docs/redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("v1/me/", me.MeApi.as_view(), name="me"),
    path("v1/communes/", spaces.CommuneListApi.as_view(), name="commune-list"),
    path("v1/sites/", spaces.SiteListApi.as_view(), name="site-list"),
    path("v1/sites/<int:pk>/", spaces.SiteDetailApi.as_view(), name="site-detail"),
    path("v1/spaces/", spaces.SpaceListApi.as_view(), name="space-list"),
    path("v1/spaces/<int:pk>/", spaces.SpaceDetailApi.as_view(), name="space-detail"),
    path(
        "v1/spaces/<int:pk>/occupancy/",
        bookings.SpaceOccupancyApi.as_view(),
        name="space-occupancy",
    ),
    path("v1/availability/", bookings.AvailabilityApi.as_view(), name="availability"),
    path("v1/bookings/", bookings.BookingListCreateApi.as_view(), name="booking-list"),
    path("v1/bookings/<int:pk>/", bookings.BookingDetailApi.as_view(), name="booking-detail"),
    # Several rooms at once (issue 16)
    path("v1/booking-groups/", groups.BookingGroupCreateApi.as_view(), name="booking-group-list"),
    path(
        "v1/booking-groups/<int:pk>/",
        groups.BookingGroupDetailApi.as_view(),
        name="booking-group-detail",
    ),
    path(
        "v1/booking-groups/<int:pk>/approve/",
        groups.BookingGroupApproveApi.as_view(),
        name="booking-group-approve",
    ),
    path(
        "v1/booking-groups/<int:pk>/refuse/",
        groups.BookingGroupRefuseApi.as_view(),
        name="booking-group-refuse",
    ),
    path(
        "v1/booking-groups/<int:pk>/cancel/",
        groups.BookingGroupCancelApi.as_view(),
        name="booking-group-cancel",
    ),
    path(
        "v1/bookings/<int:pk>/files/",
        accepts_upload(conditions.BookingFileCreateApi.as_view()),
        name="booking-file-create",
    ),
    path(
        "v1/booking-files/<int:pk>/",
        conditions.BookingFileDetailApi.as_view(),
        name="booking-file-detail",
    ),
    path(
        "v1/spaces/<int:pk>/request-form/",
        conditions.SpaceRequestFormApi.as_view(),
        name="space-request-form",
    ),
    path(
        "v1/bookings/<int:pk>/approve/",
        bookings.BookingApproveApi.as_view(),
        name="booking-approve",
    ),
    path(
        "v1/bookings/<int:pk>/refuse/", bookings.BookingRefuseApi.as_view(), name="booking-refuse"
    ),
    path(
        "v1/bookings/<int:pk>/cancel/", bookings.BookingCancelApi.as_view(), name="booking-cancel"
    ),
    path(
        "v1/bookings/<int:pk>/reschedule/",
        bookings.BookingRescheduleApi.as_view(),
        name="booking-reschedule",
    ),
    path(
        "v1/bookings/<int:pk>/check-in/",
        bookings.BookingCheckInApi.as_view(),
        name="booking-check-in",
    ),
    path(
        "v1/bookings/<int:pk>/no-show/undo/",
        bookings.BookingNoShowUndoApi.as_view(),
        name="booking-no-show-undo",
    ),
    path(
        "v1/bookings/<int:pk>/messages/",
        comments.BookingCommentListCreateApi.as_view(),
        name="booking-comment-list",
    ),
    path(
        "v1/bookings/<int:pk>/payment/",
        payments.BookingPaymentOpenApi.as_view(),
        name="booking-payment",
    ),
    path(
        "v1/bookings/<int:pk>/deposit/",
        payments.BookingDepositOpenApi.as_view(),
        name="booking-deposit",
    ),
    path("v1/slot-waits/", slot_waits.SlotWaitListCreateApi.as_view(), name="slot-wait-list"),
    path(
        "v1/slot-waits/<int:pk>/", slot_waits.SlotWaitDetailApi.as_view(), name="slot-wait-detail"
    ),
    path(
        "v1/slot-waits/<int:pk>/accept/",
        slot_waits.SlotWaitAcceptApi.as_view(),
        name="slot-wait-accept",
    ),
    path(
        "v1/slot-waits/<int:pk>/withdraw/",
        slot_waits.SlotWaitWithdrawApi.as_view(),
        name="slot-wait-withdraw",
    ),
    path("v1/payments/", payments.PaymentListApi.as_view(), name="payment-list"),
    path("v1/payments/<int:pk>/", payments.PaymentDetailApi.as_view(), name="payment-detail"),
    path("v1/payments/<int:pk>/pay/", payments.PaymentPayApi.as_view(), name="payment-pay"),
    path(
        "v1/payments/<int:pk>/refresh/",
        payments.PaymentRefreshApi.as_view(),
        name="payment-refresh",
    ),
    path(
        "v1/payments/<int:pk>/refund/",
        payments.PaymentRefundApi.as_view(),
        name="payment-refund",
    ),
    path(
        "v1/payments/<int:pk>/deposit/keep/",
        payments.DepositKeepApi.as_view(),
        name="deposit-keep",
    ),
    path(
        "v1/payments/<int:pk>/deposit/release/",
        payments.DepositReleaseApi.as_view(),
        name="deposit-release",
    ),
    path("v1/allocations/", allocations.AllocationListCreateApi.as_view(), name="allocation-list"),
    path(
        "v1/allocations/<int:pk>/",
        allocations.AllocationDetailApi.as_view(),
        name="allocation-detail",
    ),
    # Issue 17: shared times of an agreement's rooms.
    path(
        "v1/allocations/<int:pk>/sharing-windows/",
        sharing.SharingWindowListCreateApi.as_view(),
        name="allocation-sharing-windows",
    ),
    path(
        "v1/sharing-windows/<int:pk>/consent/",
        sharing.SharingWindowConsentApi.as_view(),
        name="sharing-window-consent",
    ),
    path(
        "v1/sharing-windows/<int:pk>/withdraw/",
        sharing.SharingWindowWithdrawApi.as_view(),
        name="sharing-window-withdraw",
    ),
    path(
        "v1/allocations/<int:pk>/accept/",
        allocations.AllocationAcceptApi.as_view(),
        name="allocation-accept",
    ),
    path(
        "v1/allocations/<int:pk>/decline/",
        allocations.AllocationDeclineApi.as_view(),
        name="allocation-decline",
    ),
    path(
        "v1/allocations/<int:pk>/sign/",
        allocations.AllocationSignApi.as_view(),
        name="allocation-sign",
    ),
    path(
        "v1/allocations/<int:pk>/end/",
        allocations.AllocationEndApi.as_view(),
        name="allocation-end",
    ),
    path("v1/calls/", calls.CallListApi.as_view(), name="call-list"),
    path("v1/calls/<int:pk>/", calls.CallDetailApi.as_view(), name="call-detail"),
    path("v1/calls/<int:pk>/ranking/", calls.CallRankingApi.as_view(), name="call-ranking"),
    path("v1/calls/<int:pk>/criteria/", calls.CallCriteriaApi.as_view(), name="call-criteria"),
    path("v1/criteria/<int:pk>/", calls.CriterionDetailApi.as_view(), name="criterion-detail"),
    path("v1/calls/<int:pk>/lots/", calls.CallLotsApi.as_view(), name="call-lots"),
    path("v1/lots/<int:pk>/", calls.LotDetailApi.as_view(), name="lot-detail"),
    path("v1/calls/<int:pk>/publish/", calls.CallPublishApi.as_view(), name="call-publish"),
    path("v1/calls/<int:pk>/close/", calls.CallCloseApi.as_view(), name="call-close"),
    path("v1/calls/<int:pk>/decide/", calls.CallDecideApi.as_view(), name="call-decide"),
    path(
        "v1/calls/<int:pk>/declaration/",
        calls.CallDeclarationApi.as_view(),
        name="call-declaration",
    ),
    path("v1/applications/", calls.ApplicationListCreateApi.as_view(), name="application-list"),
    path(
        "v1/applications/<int:pk>/",
        calls.ApplicationDetailApi.as_view(),
        name="application-detail",
    ),
    path(
        "v1/applications/<int:pk>/messages/",
        comments.ApplicationCommentListCreateApi.as_view(),
        name="application-comment-list",
    ),
    path(
        "v1/applications/<int:pk>/submit/",
        calls.ApplicationSubmitApi.as_view(),
        name="application-submit",
    ),
    path(
        "v1/applications/<int:pk>/withdraw/",
        calls.ApplicationWithdrawApi.as_view(),
        name="application-withdraw",
    ),
    path(
        "v1/applications/<int:pk>/accept/",
        calls.ApplicationAcceptApi.as_view(),
        name="application-accept",
    ),
    path(
        "v1/applications/<int:pk>/refuse/",
        calls.ApplicationRefuseApi.as_view(),
        name="application-refuse",
    ),
    path(
        "v1/applications/<int:pk>/scores/",
        calls.ApplicationScoresApi.as_view(),
        name="application-scores",
    ),
    path(
        "v1/spaces/<int:pk>/opening-hours/",
        spaces.SpaceOpeningHoursApi.as_view(),
        name="space-opening-hours",
    ),
    path(
        "v1/sites/<int:pk>/closures/",
        closures.SiteClosureListCreateApi.as_view(),
        name="site-closure-list",
    ),
    path("v1/closures/<int:pk>/", closures.ClosureDetailApi.as_view(), name="closure-detail"),
    path("v1/sites/<int:pk>/quotas/", quotas.SiteQuotaListApi.as_view(), name="site-quota-list"),
    path("v1/quotas/<int:pk>/", quotas.QuotaDetailApi.as_view(), name="quota-detail"),
    path(
        "v1/sites/<int:pk>/equipment/",
        equipment.SiteEquipmentListCreateApi.as_view(),
        name="site-equipment-list",
    ),
    path(
        "v1/spaces/<int:pk>/equipment/",
        equipment.SpaceEquipmentListApi.as_view(),
        name="space-equipment-list",
    ),
    path("v1/equipment/<int:pk>/", equipment.EquipmentDetailApi.as_view(), name="equipment-detail"),
    path(
        "v1/sites/<int:pk>/photos/",
        accepts_upload(photos.SitePhotoCreateApi.as_view()),
        name="site-photo-create",
    ),
    path("v1/photos/<int:pk>/", photos.PhotoDetailApi.as_view(), name="photo-detail"),
    path(
        "v1/webhooks/endpoints/",
        hooks.WebhookEndpointListCreateApi.as_view(),
        name="webhook-endpoint-list",
    ),
    path(
        "v1/webhooks/endpoints/<int:pk>/",
        hooks.WebhookEndpointDetailApi.as_view(),
        name="webhook-endpoint-detail",
    ),
    path(
        "v1/webhooks/endpoints/<int:pk>/rotate-secret/",
        hooks.WebhookEndpointRotateSecretApi.as_view(),
        name="webhook-endpoint-rotate-secret",
    ),
    path(
        "v1/webhooks/endpoints/<int:pk>/deliveries/",
        hooks.WebhookDeliveryListApi.as_view(),
        name="webhook-delivery-list",
    ),
    path(
        "v1/webhooks/deliveries/<int:pk>/replay/",
        hooks.WebhookDeliveryReplayApi.as_view(),
        name="webhook-delivery-replay",
    ),
    path(
        "v1/calendar-feeds/",
        feeds.CalendarFeedListCreateApi.as_view(),
        name="calendar-feed-list",
    ),
    path(
        "v1/calendar-feeds/<int:pk>/",
        feeds.CalendarFeedDetailApi.as_view(),
        name="calendar-feed-detail",
    ),
    path("v1/invoices/", documents.InvoiceListApi.as_view(), name="invoice-list"),
    path("v1/invoices/<int:pk>/pdf/", documents.InvoicePdfApi.as_view(), name="invoice-pdf"),
    path("v1/reports/aid/csv/", documents.AidCsvApi.as_view(), name="aid-csv"),
    path("v1/communes/<str:insee>/annex/csv/", documents.AnnexCsvApi.as_view(), name="annex-csv"),
    path("v1/communes/<str:insee>/annex/pdf/", documents.AnnexPdfApi.as_view(), name="annex-pdf"),
    path(
        "v1/organisations/<int:pk>/certificate/",
        documents.CertificatePdfApi.as_view(),
        name="certificate-pdf",
    ),
    path("v1/documents/<int:pk>/", documents.DocumentDetailApi.as_view(), name="document-detail"),
    path("v1/documents/<int:pk>/file/", documents.DocumentFileApi.as_view(), name="document-file"),
    path("v1/waiting-list/", waiting.WaitingEntryListCreateApi.as_view(), name="waiting-list"),
    path(
        "v1/waiting-list/<int:pk>/close/",
        waiting.WaitingEntryCloseApi.as_view(),
        name="waiting-close",
    ),
    path(
        "v1/waiting-list/candidates/",
        waiting.WaitingCandidatesApi.as_view(),
        name="waiting-candidates",
    ),
    path(
        "v1/organisations/",
        organisations.OrganisationListApi.as_view(),
        name="organisation-list",
    ),
    path(
        "v1/organisations/<int:pk>/",
        organisations.OrganisationDetailApi.as_view(),
        name="organisation-detail",
    ),
    path(
        "v1/organisations/<int:pk>/members/",
        organisations.OrganisationMemberListApi.as_view(),
        name="organisation-member-list",
    ),
    path(
        "v1/memberships/<int:pk>/",
        organisations.MembershipDetailApi.as_view(),
        name="membership-detail",
    ),
    path(
        "v1/organisations/<int:pk>/invitations/",
        organisations.OrganisationInvitationListApi.as_view(),
        name="organisation-invitation-list",
    ),
    path(
        "v1/invitations/<int:pk>/",
        organisations.InvitationDetailApi.as_view(),
        name="invitation-detail",
    ),
    path(
        "v1/organisations/<int:pk>/documents/",
        accepts_upload(organisations.OrganisationDocumentListApi.as_view()),
        name="organisation-document-list",
    ),
    path(
        "v1/organisation-documents/<int:pk>/",
        organisations.DocumentDetailApi.as_view(),
        name="organisation-document-detail",
    ),
    path("v1/spaces/<int:pk>/tariffs/", tariffs.SpaceTariffsApi.as_view(), name="space-tariffs"),
    path("v1/spaces/<int:pk>/deposit/", tariffs.SpaceDepositApi.as_view(), name="space-deposit"),
    path(
        "v1/payment-channels/",
        channels.PaymentChannelListApi.as_view(),
        name="payment-channel-list",
    ),
    path(
        "v1/organisations/<int:pk>/payment-channel/",
        channels.OrganisationPaymentChannelApi.as_view(),
        name="organisation-payment-channel",
    ),
    path(
        "v1/organisations/<int:pk>/payment-channel/activation/",
        channels.OrganisationPaymentChannelActivationApi.as_view(),
        name="organisation-payment-channel-activation",
    ),
    # The season (issue 17): campaigns, wishes, the plan.
    path("v1/season-campaigns/", seasons.CampaignListApi.as_view(), name="season-campaign-list"),
    path(
        "v1/season-campaigns/<int:pk>/",
        seasons.CampaignDetailApi.as_view(),
        name="season-campaign-detail",
    ),
    path(
        "v1/season-campaigns/<int:pk>/open/",
        seasons.CampaignOpenApi.as_view(),
        name="season-campaign-open",
    ),
    path(
        "v1/season-campaigns/<int:pk>/close/",
        seasons.CampaignCloseApi.as_view(),
        name="season-campaign-close",
    ),
    path(
        "v1/season-campaigns/<int:pk>/plan/",
        seasons.CampaignPlanApi.as_view(),
        name="season-campaign-plan",
    ),
    path(
        "v1/season-campaigns/<int:pk>/renew/",
        seasons.CampaignRenewApi.as_view(),
        name="season-campaign-renew",
    ),
    path(
        "v1/season-campaigns/<int:pk>/decide/",
        seasons.CampaignDecideApi.as_view(),
        name="season-campaign-decide",
    ),
    path(
        "v1/season-campaigns/<int:pk>/publish/",
        seasons.CampaignPublishApi.as_view(),
        name="season-campaign-publish",
    ),
    path(
        "v1/season-assignments/swap/",
        seasons.AssignmentSwapApi.as_view(),
        name="season-assignment-swap",
    ),
    path(
        "v1/season-assignments/<int:pk>/move/",
        seasons.AssignmentMoveApi.as_view(),
        name="season-assignment-move",
    ),
    path(
        "v1/season-assignments/<int:pk>/give-back/",
        seasons.AssignmentGiveBackApi.as_view(),
        name="season-assignment-give-back",
    ),
    path("v1/season-wishes/", seasons.WishListCreateApi.as_view(), name="season-wish-list"),
    path("v1/season-wishes/<int:pk>/", seasons.WishDetailApi.as_view(), name="season-wish-detail"),
    path(
        "v1/season-wishes/<int:pk>/withdraw/",
        seasons.WishWithdrawApi.as_view(),
        name="season-wish-withdraw",
    ),
    # Last: URLs ending with a slash (without one, CommonMiddleware first adds it).
    # [\s\S], not ".": a path with an encoded line break (%0A) is under /api/ too.
    re_path(r"^(?:[\s\S]*/)?$", not_found),
]
