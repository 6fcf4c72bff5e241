from rest_framework.pagination import CursorPagination


def newest_first_cursor(field: str) -> type[CursorPagination]:
    """A cursor pagination over `field` descending: fast and stable on a list that grows while read."""
    return type(
        f"NewestFirstBy{field.title().replace('_', '')}",
        (CursorPagination,),
        {"ordering": (f"-{field}", "-id"), "page_size": 50, "page_size_query_param": "page_size", "max_page_size": 500},
    )
