from collections.abc import Callable
from functools import cached_property, partial

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Count, QuerySet, Window
from rest_framework import pagination, serializers
from rest_framework.response import Response

from core.validators import MAX_BIG_INTEGER

# The column that carries the whole list's size on each row of a page (`COUNT(*) OVER ()`).
TOTAL = "_rows_in_the_list"


class RowsPaginator(Paginator):
    """Django's paginator, which can read its page as `rows(page)` (`values()` rows).

    With `rows`, the page and the size of the whole list come from one query: each row of the
    page carries `COUNT(*) OVER ()`, the number of rows before LIMIT and OFFSET, so the list's
    filters (for the availability search, the whole anti-join on the occupancy) run once instead
    of twice, and Django compiles one query instead of two. Only a page past the end (no rows)
    asks for the count again, to tell an empty list from a page number too high. A DISTINCT
    query is counted the usual way (the window would count the rows before DISTINCT). The
    count, a separate query or not, is the rows of `object_list` itself: Django's `count()`
    leaves out the ordering, `select_related`'s joins, unused annotations and prefetches
    (tests/api/test_plain.py checks the SQL)."""

    def __init__(
        self,
        object_list,
        *args,
        rows: Callable[[QuerySet], QuerySet] | None = None,
        compiled: Callable[[int, int], list[dict] | None] | None = None,
        **kwargs,
    ):
        # With `compiled`, `object_list` is a function that builds the queryset: only a page
        # `compiled` does not answer, or a count it cannot give, needs it.
        self.queryset_of = object_list if compiled is not None else None
        super().__init__(object_list if compiled is None else None, *args, **kwargs)
        self.rows = rows
        self.compiled = compiled

    def _check_object_list_is_ordered(self) -> None:
        if self.queryset_of is None:
            super()._check_object_list_is_ordered()

    def _built(self) -> None:
        if self.queryset_of is not None:
            self.object_list, self.queryset_of = self.queryset_of(), None
            super()._check_object_list_is_ordered()

    @cached_property
    def count(self) -> int:
        self._built()
        return super().count

    def _get_page(self, object_list, number: int, paginator: Paginator) -> Page:
        if self.rows is not None and not isinstance(object_list, list):
            object_list = self.rows(object_list)
        return super()._get_page(object_list, number, paginator)

    def page(self, number) -> Page:
        rows = None
        if self.compiled is not None and not self.orphans:
            number = self._page_number(number)
            bottom = (number - 1) * self.per_page
            if bottom + self.per_page <= MAX_BIG_INTEGER:
                rows = self.compiled(bottom, bottom + self.per_page)
        if rows is None:
            self._built()
            if self.rows is None or self.object_list.query.distinct or self.orphans:
                return super().page(number)
            number = self._page_number(number)
            bottom = (number - 1) * self.per_page
            if bottom + self.per_page > MAX_BIG_INTEGER:  # no SQL OFFSET that far: count, 404
                return super().page(number)
            rows = list(
                self.rows(self.object_list).annotate(**{TOTAL: Window(Count("*"))})[
                    bottom : bottom + self.per_page
                ]
            )
        if rows:
            self.__dict__["count"] = rows[0][TOTAL]  # Paginator.count is a cached property
            for row in rows:
                del row[TOTAL]
        elif number > 1 or not self.allow_empty_first_page:
            self.validate_number(number)  # counts: an empty list, or a page past its end
        else:
            self.__dict__["count"] = 0
        return self._get_page(rows, number, self)

    def _page_number(self, number) -> int:
        """`validate_number` without the count: an integer from 1."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from error
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number


class PageNumberPagination(pagination.PageNumberPagination):
    """`{count, next, previous, results}`; `?page=` from 1 (past the last page: 404),
    `?page_size=` up to 200 (a size out of bounds falls back to the default or the maximum)."""

    django_paginator_class = RowsPaginator
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_rows(
        self,
        queryset: QuerySet | Callable[[], QuerySet],
        request,
        rows: Callable[[QuerySet], QuerySet],
        view=None,
        *,
        compiled: Callable[[int, int], list[dict] | None] | None = None,
    ) -> list:
        """`paginate_queryset`, counting `queryset` itself but reading its page as `rows(page)`:
        the count does not join what `values()` rows need.

        `compiled(bottom, top)`, if given, reads the rows `bottom` to `top` of
        `rows(queryset)` with the `TOTAL` column, from SQL compiled once (core.compiled), or
        answers None; `queryset` is then a function that builds the queryset, called only when
        it is needed (a page `compiled` does not answer, an empty page's count)."""
        self.django_paginator_class = partial(RowsPaginator, rows=rows, compiled=compiled)
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
        queryset: QuerySet | Callable[[], QuerySet],
        rows: Callable[[QuerySet], QuerySet],
        represent: Callable[[list], list[dict]],
        *,
        compiled: Callable[[int, int], list[dict] | None] | None = None,
    ) -> Response:
        """A page of `queryset` read as `rows(page)` and answered as `represent(rows)` (the hot
        lists' plain representations: api/plain.py); `compiled`: see `paginate_rows`."""
        paginator = self.pagination_class()
        page = paginator.paginate_rows(queryset, self.request, rows, view=self, compiled=compiled)
        return paginator.get_paginated_response(represent(page))
