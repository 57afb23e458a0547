"""Load ids: the name of one run's landing, on every row it landed and every record of the run."""
from __future__ import annotations

import datetime as dt
import uuid


def new_load_id(now: dt.datetime | None = None) -> str:
    """Sortable by time, unique per run: ``L20250401T020000Z-1a2b3c4d``."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return f"L{now:%Y%m%dT%H%M%S}Z-{uuid.uuid4().hex[:8]}"
