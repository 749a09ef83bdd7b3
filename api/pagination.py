from collections.abc import Callable
from functools import partial

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from rest_framework import pagination, serializers
from rest_framework.response import Response


class RowsPaginator(Paginator):
    """Django's paginator, which can read its page as `rows(page)` (`values()` rows) while it
    counts the queryset itself: a `values()` queryset's count would keep the joins its columns
    need. Django's `count()` already leaves out the ordering, `select_related`'s joins, unused
    annotations and prefetches (tests/api/test_plain.py checks the SQL)."""

    def __init__(self, *args, rows: Callable[[QuerySet], QuerySet] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows

    def _get_page(self, object_list, number: int, paginator: Paginator) -> Page:
        if self.rows is not None:
            object_list = self.rows(object_list)
        return super()._get_page(object_list, number, paginator)


class PageNumberPagination(pagination.PageNumberPagination):
    """`{count, next, previous, results}`; `?page=` from 1 (past the last page: 404),
    `?page_size=` up to 200 (a size out of bounds falls back to the default or the maximum)."""

    django_paginator_class = RowsPaginator
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_rows(
        self, queryset: QuerySet, request, rows: Callable[[QuerySet], QuerySet], view=None
    ) -> list:
        """`paginate_queryset`, counting `queryset` itself but reading its page as `rows(page)`:
        the count does not join what `values()` rows need."""
        self.django_paginator_class = partial(RowsPaginator, rows=rows)
        return self.paginate_queryset(queryset, request, view=view)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.page_query_param: {"minimum": 1},
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters


class PaginatedListMixin:
    """For an APIView whose GET answers a page: `pagination_class` is also what tells the schema
    (drf-spectacular) that the answer is a page, not an array."""

    pagination_class = PageNumberPagination

    def paginated_response(
        self, queryset: QuerySet, serializer_class: type[serializers.Serializer]
    ) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)

    def paginated_rows(
        self,
        queryset: QuerySet,
        rows: Callable[[QuerySet], QuerySet],
        represent: Callable[[list], list[dict]],
    ) -> Response:
        """A page of `queryset` read as `rows(page)` and answered as `represent(rows)` (the hot
        lists' plain representations: api/plain.py)."""
        paginator = self.pagination_class()
        page = paginator.paginate_rows(queryset, self.request, rows, view=self)
        return paginator.get_paginated_response(represent(page))
