"""Pages of a season's managers (work in progress: routes first, pages follow)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse


def _todo(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    raise Http404


campaign_list = campaign_create = login_required(_todo)
campaign_detail = campaign_edit = campaign_open = campaign_close = login_required(_todo)
plan_compute = plan_view = board_view = assignment_move = assignments_swap = login_required(_todo)
campaign_decide = campaign_publish = login_required(_todo)
