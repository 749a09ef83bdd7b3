from django.urls import path

from payments.views import cards

app_name = "payments"

urlpatterns = [
    path("<int:pk>/", cards.payment_detail, name="payment-detail"),
]
