"""Save openpyxl workbooks byte-for-byte reproducibly.

openpyxl stamps the save time into ``docProps/core.xml`` and into every zip entry, so
the same workbook saved twice differs. Demo data must be deterministic and packs
re-rendered from the archive must be identical, so every workbook goes through here.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

FIXED_TIME = dt.datetime(2020, 1, 1, 0, 0, 0)


def save_workbook(wb, path: Path, when: dt.datetime = FIXED_TIME) -> None:
    wb.properties.created = when
    buffer = io.BytesIO()
    wb.save(buffer)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                              lambda m: m.group(1) + stamp.encode() + m.group(3), data)
            entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(out.getvalue())
    tmp.replace(path)
