"""Schemas and field types shared by several resources.

JSON bodies are read strictly enough that what the OpenAPI schema calls wrong is refused (422), not quietly
converted: ``Day`` takes only ``YYYY-MM-DD`` (pydantic would read the number 0 as 1970-01-01), ``Int`` no
text or boolean (``"12"``, ``true``), ``Flag`` only ``true``/``false``. Query parameters arrive as text and
use the plain types, with ``Day`` for dates. Ids are bounded (``Pk``) so no number outside the database's
integers reaches a query.
"""

import datetime
import re
from typing import Annotated

from ninja import Path, Schema
from pydantic import BeforeValidator, Field, StrictBool
from pydantic_core import PydanticCustomError

MAX_ID = 2**31 - 1


def _iso_day(value):
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    raise PydanticCustomError("date_parsing", "a date as YYYY-MM-DD")


def _no_text(value):
    if isinstance(value, (str, bool)):
        raise PydanticCustomError("int_type", "a whole number")
    return value


def Int(low: int, high: int):  # noqa: N802  (a type)
    """A whole number from ``low`` to ``high`` in a JSON body (the bounds before the validator, so the schema
    states them as minimum/maximum)."""
    return Annotated[int, Field(ge=low, le=high), BeforeValidator(_no_text)]


Day = Annotated[datetime.date, BeforeValidator(_iso_day)]
Flag = StrictBool
Pk = Int(1, MAX_ID)  # an id in a JSON body
QueryPk = Annotated[int, Field(ge=1, le=MAX_ID)]  # an id in the query string


def IdPath():  # noqa: N802  (reads like the ninja markers)
    """A record's id in the path: 1 … 2³¹−1 (else 422)."""
    return Path(..., ge=1, le=MAX_ID)


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
