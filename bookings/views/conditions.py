"""The conditions of requests (issue 16), in HTML: a space's request form for its managers
(house rules, insurance, questions), and a booking's answers and attached files."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.exceptions import DecisionNotAllowed
from accounts.files import document_response
from bookings import services
from bookings.forms.conditions import (
    BookingFileForm,
    RequestQuestionForm,
    SpaceConditionsForm,
)
from bookings.models import Booking, BookingStatus, QuestionKind, RequestQuestion
from bookings.selectors import booking_detail as booking_detail_queryset
from bookings.selectors.conditions import (
    booking_answers_of,
    booking_conditions_missing,
    booking_files_of,
    booking_files_visible_to,
    request_questions_manageable_by,
    request_questions_of,
)
from core.forms import form_add_service_errors
from core.middleware import accepts_upload
from spaces.selectors import spaces_manageable_by


def _request_form_page(
    request: HttpRequest,
    space,
    *,
    conditions_form: SpaceConditionsForm | None = None,
    question_form: RequestQuestionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "space": space,
        "questions": request_questions_of(space_id=space.pk),
        "conditions_form": conditions_form
        or SpaceConditionsForm(
            initial={
                "house_rules": space.house_rules,
                "insurance_required": space.insurance_required,
            },
            prefix="conditions",
        ),
        "question_form": question_form or RequestQuestionForm(prefix="question"),
    }
    return render(request, "bookings/request_form_manage.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def space_request_form(request: HttpRequest, pk: int) -> HttpResponse:
    """What a space asks of its requesters: house rules, insurance, questions (its managers)."""
    space = get_object_or_404(spaces_manageable_by(request.user).select_related("site"), pk=pk)
    if request.method == "GET":
        return _request_form_page(request, space)
    if "conditions-insurance_required" in request.POST or "save_conditions" in request.POST:
        form = SpaceConditionsForm(request.POST, prefix="conditions")
        if form.is_valid():
            services.space_conditions_set(
                space=space,
                actor=request.user,
                house_rules=form.cleaned_data["house_rules"],
                insurance_required=form.cleaned_data["insurance_required"],
            )
            messages.success(request, _("The conditions of the requests were saved."))
            return redirect("bookings:space-request-form", pk=space.pk)
        return _request_form_page(request, space, conditions_form=form, status=400)
    form = RequestQuestionForm(
        request.POST, prefix="question", instance=RequestQuestion(space=space)
    )
    if form.is_valid():
        try:
            services.request_question_save(question=form.instance, actor=request.user)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The question was added."))
            return redirect("bookings:space-request-form", pk=space.pk)
    return _request_form_page(request, space, question_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def request_question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(request_questions_manageable_by(request.user), pk=pk)
    form = RequestQuestionForm(request.POST or None, instance=question)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_question_save(question=form.instance, actor=request.user)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The question was saved."))
            return redirect("bookings:space-request-form", pk=question.space_id)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "bookings/request_question_form.html",
        {"form": form, "question": question, "space": question.space},
        status=status,
    )


@login_required
@require_POST
def request_question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(request_questions_manageable_by(request.user), pk=pk)
    services.request_question_delete(question=question, actor=request.user)
    messages.success(request, _("The question was removed; past answers keep its text."))
    return redirect("bookings:space-request-form", pk=question.space_id)


@login_required
@require_POST
def request_question_move(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(request_questions_manageable_by(request.user), pk=pk)
    services.request_question_move(
        question=question, actor=request.user, up=request.POST.get("direction") == "up"
    )
    return redirect("bookings:space-request-form", pk=question.space_id)


# --- A booking's answers and files ---------------------------------------------------------------


def booking_conditions_context(
    booking: Booking, *, bound: BookingFileForm | None = None, can_remove_files: bool = False
) -> dict:
    """What the booking's page shows of its conditions: answers, files, what is missing before
    approval, and the form to attach a file while the booking is active."""
    file_questions = [
        question
        for question in request_questions_of(space_id=booking.space_id)
        if question.kind == QuestionKind.FILE
    ]
    active = booking.status in (BookingStatus.PENDING, BookingStatus.CONFIRMED)
    return {
        "answers": booking_answers_of(booking=booking),
        "booking_files": booking_files_of(booking=booking),
        "can_remove_files": can_remove_files,
        "conditions_missing": booking_conditions_missing(booking)
        if booking.status == BookingStatus.PENDING
        else [],
        "file_form": (bound or BookingFileForm(questions=file_questions, prefix="attach"))
        if active and (booking.space.insurance_required or file_questions)
        else None,
    }


@accepts_upload
@login_required
@require_POST
def booking_file_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach the event's insurance certificate or a question's file to a booking."""
    booking = get_object_or_404(booking_detail_queryset(user=request.user), pk=pk)
    questions = [
        question
        for question in request_questions_of(space_id=booking.space_id)
        if question.kind == QuestionKind.FILE
    ]
    form = BookingFileForm(request.POST, request.FILES, questions=questions, prefix="attach")
    if form.is_valid():
        chosen = form.cleaned_data["question"]
        try:
            services.booking_file_attach(
                booking=booking,
                actor=request.user,
                upload=form.cleaned_data["file"],
                question=next((q for q in questions if q.pk == chosen), None),
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The file is attached to the booking."))
            return redirect(booking.get_absolute_url())
    from bookings.views.requests import booking_detail_page

    return booking_detail_page(request, booking, file_form=form, status=400)


@login_required
@require_POST
def booking_file_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a document from a request still pending (its structure's members)."""
    row = get_object_or_404(booking_files_visible_to(request.user), pk=pk)
    booking_url = reverse("bookings:booking-detail", args=[row.booking_id])
    try:
        services.booking_file_remove(booking_file=row, actor=request.user)
    except DecisionNotAllowed as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The document is removed from the request."))
    return redirect(booking_url)


@login_required
@require_GET
def booking_file_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A file attached to a booking, to those who see the booking only."""
    row = get_object_or_404(booking_files_visible_to(request.user), pk=pk)
    return document_response(request, row)
