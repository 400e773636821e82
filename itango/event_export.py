"""``%mon -o NAME`` and ``%mon --csv FILE``: the event log as a table to analyse.

One row per event with the same columns in both forms: ``id``, ``received``, ``device``,
``attribute``, ``event``, ``value``, ``quality``, ``value_time``, ``error``, ``text``.

* ``value`` is the value itself: the number, string, bool or DevState of a scalar; the array of a
  spectrum or image while the log still keeps it (the newest events; older ones have None there
  and their summary in ``text``); None for an error.
* ``quality`` is the quality's name (``ATTR_VALID`` ...); ``error`` is ``reason: description`` of
  a failed event; ``text`` is what the tables show in the Value column.

``-o`` gives a pandas DataFrame when pandas is installed (imported only then), else a list of
dicts, so that nothing beyond itango's own dependencies is needed.  ``--csv`` needs nothing:
times are ISO 8601, arrays are written as JSON lists.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from typing import Any

from .event_log import EventRecord

__all__ = ["COLUMNS", "record_row", "records_table", "export_csv"]

COLUMNS = ("id", "received", "device", "attribute", "event", "value", "quality", "value_time",
           "error", "text")


def _quality_name(quality: Any) -> str | None:
    if quality is None:
        return None
    name = getattr(quality, "name", None)
    return name if isinstance(name, str) else str(quality)


def record_row(record: EventRecord) -> dict[str, Any]:
    """One event as a dict with :data:`COLUMNS` as keys."""
    error = None
    if record.failed:
        first = record.errors[0]
        error = f"{getattr(first, 'reason', '?')}: {' '.join(str(getattr(first, 'desc', '')).split())}"
    return {
        "id": record.id,
        "received": record.received,
        "device": record.device,
        "attribute": record.attribute,
        "event": record.event_type,
        "value": None if record.failed else record.full_value(),
        "quality": None if record.failed else _quality_name(record.quality),
        "value_time": record.source_time,
        "error": error,
        "text": record.value_text,
    }


def records_table(records: Sequence[EventRecord]) -> Any:
    """A pandas DataFrame of the records (pandas installed), else a list of dicts."""
    rows = [record_row(r) for r in records]
    try:
        import pandas
    except ImportError:
        return rows
    frame = pandas.DataFrame(rows, columns=list(COLUMNS))
    for column in ("received", "value_time"):
        frame[column] = pandas.to_datetime(frame[column])
    return frame


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "tolist"):          # numpy arrays and numpy scalars
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return json.dumps(value, default=str)
    name = getattr(value, "name", None)    # DevState and other enum members by name
    if isinstance(name, str) and not isinstance(value, str):
        return name
    return str(value)


def export_csv(records: Sequence[EventRecord], path: str) -> str:
    """Write the records to ``path`` (``~`` expanded); returns the absolute path written."""
    path = os.path.abspath(os.path.expanduser(path))
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for record in records:
            row = record_row(record)
            writer.writerow([_csv_cell(row[c]) for c in COLUMNS])
    return path
