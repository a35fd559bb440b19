"""Bulk inserts for the large writes (the ledger import, registering many members): one ``executemany``
(SQLite) or one ``COPY`` (PostgreSQL) instead of ``bulk_create``, which spends most of its time compiling
SQL (SQLite allows only a couple of dozen wide rows per statement). Knows no domain model."""

import operator

from django.db import connection

_CONVERTED_TYPES = {"DateField", "DateTimeField", "TimeField", "JSONField", "DecimalField", "UUIDField",
                    "GenericIPAddressField", "DurationField", "BinaryField"}


def _column_value(field):
    """How ``insert_rows`` gets a column's value: through the field for types the database adapts
    (dates, JSON, …) and for auto_now fields, straight from the attribute for strings, numbers, booleans
    and foreign keys (what get_db_prep_save would return unchanged)."""
    if field.get_internal_type() in _CONVERTED_TYPES or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)
    return operator.attrgetter(field.attname)


def insert_rows(model, objs) -> None:
    """INSERT ``objs`` (unsaved instances of ``model``) in one stream. The values go through each field's
    ``pre_save``/``get_db_prep_save`` exactly as in ``bulk_create``; no primary keys come back."""
    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    getters = [_column_value(f) for f in fields]
    rows = [tuple(get(obj) for get in getters) for obj in objs]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: one stream instead of a statement per row
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})", rows)
