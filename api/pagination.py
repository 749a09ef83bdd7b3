from collections.abc import Callable
from functools import partial

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework import pagination, serializers
from rest_framework.response import Response


class CheapCountPaginator(Paginator):
    """Django's paginator whose count leaves out what a count does not need: the ordering (a
    French collation on a joined column, kept by Django inside a DISTINCT subquery) and the
    joins of `select_related` (issue 18). Django's `count()` already drops unused annotations
    and never runs prefetches."""

    def __init__(self, *args, rows: Callable[[QuerySet], QuerySet] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows

    def _get_page(self, object_list, number: int, paginator: Paginator) -> Page:
        # The page's slice read as `rows(slice)` (values() rows): counted on the plain queryset.
        if self.rows is not None:
            object_list = self.rows(object_list)
        return super()._get_page(object_list, number, paginator)

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if not isinstance(rows, QuerySet):
            return len(rows)
        rows = rows.order_by()  # a clone: the page's query keeps its ordering
        rows.query.select_related = False  # also on values() rows, where select_related() raises
        return rows.count()


class PageNumberPagination(pagination.PageNumberPagination):
    """`{count, next, previous, results}`; `?page=` from 1 (past the last page: 404),
    `?page_size=` up to 200 (a size out of bounds falls back to the default or the maximum)."""

    django_paginator_class = CheapCountPaginator
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_rows(
        self, queryset: QuerySet, request, rows: Callable[[QuerySet], QuerySet], view=None
    ) -> list:
        """`paginate_queryset`, counting `queryset` itself but reading its page as `rows(page)`:
        the count does not join what `values()` rows need."""
        self.django_paginator_class = partial(CheapCountPaginator, rows=rows)
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
