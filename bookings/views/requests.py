from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from bookings import selectors


@login_required
@require_GET
def booking_list(request: HttpRequest) -> HttpResponse:
    bookings = selectors.booking_detail(user=request.user).order_by("-start")
    return render(request, "bookings/booking_list.html", {"bookings": bookings})


@login_required
@require_GET
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(selectors.booking_detail(user=request.user), pk=pk)
    return render(request, "bookings/booking_detail.html", {"booking": booking})
