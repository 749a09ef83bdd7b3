"""A booking's conversation on its page: the messages, and the form to write one (HTML)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bookings import selectors, services
from bookings.forms import BookingCommentForm
from bookings.models import Booking
from core.forms import form_add_service_errors


def comments_context(booking: Booking, form: BookingCommentForm | None = None) -> dict:
    """What the booking's page shows of its conversation (templates/bookings/_comments.html):
    one query for the messages and their authors. The page's viewer sees the booking, so they
    stand on one side of it and may write (bookings.permissions.booking_comment_side)."""
    return {
        "comments": list(selectors.booking_comments(booking=booking)),
        "comment_form": form or BookingCommentForm(),
    }


@login_required
@require_POST
def booking_comment_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Write a message on the booking; back to its conversation, or the form and its errors
    on a page of their own (400)."""
    booking = get_object_or_404(selectors.booking_detail(user=request.user), pk=pk)
    form = BookingCommentForm(request.POST)
    if form.is_valid():
        try:
            services.booking_comment_post(
                booking=booking, actor=request.user, body=form.cleaned_data["body"]
            )
        except PermissionDenied as exc:  # sees the booking without standing on a side of it
            raise Http404 from exc
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Your message is sent; the other side is told by e-mail."))
            return redirect(booking.get_absolute_url() + "#messages")
    context = {"booking": booking, **comments_context(booking, form)}
    return render(request, "bookings/booking_comment_form.html", context, status=400)
