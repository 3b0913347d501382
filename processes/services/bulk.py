"""Plain INSERTs for tens of thousands of rows: the values of each row as columns, without building a model
instance per row (which for a model with state-machine fields costs more than the database does)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

BATCH = 5000


def insert_plain(model: type[models.Model], rows: Sequence[Mapping[str, Any]]) -> int:
    """INSERT ``rows`` (attribute name → value) into ``model``'s table. A concrete field a row does not give takes
    its default as Django gives it (its ``default``; "" for text, else NULL), or now for ``auto_now(_add)``. Each
    column's values are prepared for the database by their field, once per distinct value. Returns how many rows
    were written; ids are not read back."""
    if not rows:
        return 0
    now = timezone.now()
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    defaults: dict[str, Any] = {}
    for field in fields:
        if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            defaults[field.attname] = now
        else:
            defaults[field.attname] = field.get_default()  # "" for text not nullable, else None
    unknown = set().union(*(row.keys() for row in rows)) - set(defaults)
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
    prepared: list[dict[Any, Any]] = [{} for _field in fields]

    def prepare(index: int, field: models.Field[Any, Any], value: Any) -> Any:
        seen = prepared[index]
        key = (type(value), value)
        if key not in seen:
            seen[key] = field.get_db_prep_save(value, connection)
        return seen[key]

    quote = connection.ops.quote_name
    # Only the model's own table and column names, quoted, enter the SQL; every value is a parameter.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(field.column or field.attname) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    values = [
        tuple(prepare(i, field, row.get(field.attname, defaults[field.attname])) for i, field in enumerate(fields))
        for row in rows
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(values), BATCH):
            cursor.executemany(sql, values[start : start + BATCH])
    return len(values)
