"""Schemas shared by several resources."""

from ninja import Schema


class ErrorItem(Schema):
    field: str
    message: str


class Error(Schema):
    """Every error answer (``errors.py``)."""

    detail: str
    errors: list[ErrorItem] = []


class Ref(Schema):
    """A named thing referred to by its id (a branch, a district …)."""

    id: int
    name: str


# Error answers an endpoint documents, by status.
READ_ERRORS = {401: Error, 403: Error, 404: Error, 422: Error, 429: Error}
LIST_ERRORS = {400: Error, 401: Error, 403: Error, 422: Error, 429: Error}
WRITE_ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error, 429: Error}
