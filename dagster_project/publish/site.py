"""The tenant's reports site: one ``index.html`` in ``reports/out/<tenant>/`` that opens from disk and
links what the warehouse has produced: the return packs (each period's page, PDF, workbook, manifest
and audit page), the 360Giving publication and the dbt docs. Every link is relative to the page, so
the folder can be copied or served as it is; nothing is fetched from the web.

The page lists files that exist, so it is written again after every run and after ``pccw docs``,
and only when what it lists changed.
"""
from __future__ import annotations

import json
import os
from html import escape
from pathlib import Path

from dagster_project import settings
from dagster_project.publish.files import write_whole
from dagster_project.tenants import Tenant

PACK_FILES = (("html", "page"), ("pdf", "PDF"), ("xlsx", "workbook"))
STYLE = """
  body { font-family: Arial, Helvetica, sans-serif; color: #0b0c0c; max-width: 60em; margin: 0 auto; padding: 1em;
         line-height: 1.5; }
  a { color: #1d70b8; } a:focus { outline: 3px solid #ffdd00; background: #ffdd00; color: #0b0c0c; }
  .skip { position: absolute; left: -999em; } .skip:focus { position: static; }
  table { border-collapse: collapse; width: 100%; margin-bottom: 1.5em; }
  caption { text-align: left; font-weight: bold; padding-bottom: .3em; }
  th, td { border-bottom: 1px solid #b1b4b6; padding: .4em .6em .4em 0; text-align: left; vertical-align: top; }
  .note { color: #505a5f; }
"""


def site_page(tenant: Tenant) -> Path:
    """Where the tenant's site page is: reports/out/<tenant>/index.html."""
    return settings.reports_out() / tenant.slug / "index.html"


def write_site(tenant: Tenant) -> Path | None:
    """Write the tenant's index.html if what it lists changed; returns its path when written."""
    page = site_page(tenant)
    html = render_site(tenant, page.parent)
    if page.exists() and page.read_text(encoding="utf-8") == html:
        return None
    write_whole(page, html.encode("utf-8"))
    return page


def render_site(tenant: Tenant, root: Path) -> str:
    """The page for the files under ``root`` (the tenant's reports folder)."""
    name = escape(tenant.name)
    parts = [f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{name}: reports</title>
<style>{STYLE}</style>
</head>
<body>
<a class="skip" href="#main">Skip to the reports</a>
<header><p class="note">{escape(tenant.force_name)} area</p><h1>{name}: reports</h1></header>
<main id="main">
<p>What the office's commissioning warehouse has produced: the returns it makes to government, and what it
publishes about the grants it awards. Each link opens a file in this folder.</p>
"""]
    parts.append(_packs_section(root))
    parts.append(_publication_section(root))
    parts.append(_docs_section(tenant, root))
    parts.append("</main>\n</body>\n</html>\n")
    return "".join(parts)


def _packs_section(root: Path) -> str:
    manifests = sorted(root.glob("*/*/manifest.json"))
    if not manifests:
        return "<h2>Returns to government</h2>\n<p>No return pack has been rendered yet.</p>\n"
    by_pack: dict[str, list[tuple[Path, dict]]] = {}
    for path in manifests:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        by_pack.setdefault(manifest.get("title") or path.parent.parent.name, []).append((path.parent, manifest))
    out = ["<h2>Returns to government</h2>\n"]
    for title, rows in sorted(by_pack.items()):
        out.append(f"<table>\n<caption>{escape(title)}</caption>\n"
                   "<thead><tr><th scope=\"col\">Period</th><th scope=\"col\">Files</th>"
                   "<th scope=\"col\">Rendered</th></tr></thead>\n<tbody>\n")
        for folder, manifest in rows:
            stem = folder.parent.name
            links = [_link(root, folder / f"{stem}.{ext}", label) for ext, label in PACK_FILES
                     if (folder / f"{stem}.{ext}").exists()]
            links.append(_link(root, folder / "manifest.json", "manifest"))
            if (folder / "audit.html").exists():
                links.append(_link(root, folder / "audit.html", "audit page"))
            status = " (draft)" if manifest.get("draft") else ""
            out.append(f"<tr><td>{escape(folder.name)}{status}</td><td>{', '.join(links)}</td>"
                       f"<td>{escape(str(manifest.get('rendered_at', ''))[:10])}</td></tr>\n")
        out.append("</tbody>\n</table>\n")
    return "".join(out)


def _publication_section(root: Path) -> str:
    files = sorted((root / "360giving").glob("*/*.json"))
    head = "<h2>Grants published to 360Giving</h2>\n"
    if not files:
        return head + "<p>Nothing is published yet: no grant with an award date, or no publication settings.</p>\n"
    out = [head, "<table>\n<caption>Grants awarded, by financial year of award</caption>\n"
                 "<thead><tr><th scope=\"col\">Financial year</th><th scope=\"col\">Grants</th>"
                 "<th scope=\"col\">Files</th></tr></thead>\n<tbody>\n"]
    for path in files:
        grants = len(json.loads(path.read_text(encoding="utf-8"))["grants"])
        links = [_link(root, path, "360Giving data (JSON)")]
        if path.with_suffix(".xlsx").exists():
            links.append(_link(root, path.with_suffix(".xlsx"), "spreadsheet"))
        out.append(f"<tr><td>{escape(path.parent.name)}</td><td>{grants}</td><td>{', '.join(links)}</td></tr>\n")
    out.append("</tbody>\n</table>\n")
    return "".join(out)


def _docs_section(tenant: Tenant, root: Path) -> str:
    docs = settings.TenantPaths.for_tenant(tenant.slug).root / "docs" / "index.html"
    head = "<h2>What the warehouse holds</h2>\n"
    if not docs.exists():
        return head + ("<p>The warehouse's documentation (every table, column and test, and where each comes "
                       f"from) is made by <code>pccw docs --tenant {escape(tenant.slug)}</code>.</p>\n")
    return head + (f"<p>{_link(root, docs, 'The warehouse documentation')}: every table, column and test, and "
                   "where each comes from.</p>\n")


def _link(root: Path, target: Path, label: str) -> str:
    href = Path(os.path.relpath(target, root)).as_posix()
    return f'<a href="{escape(href, quote=True)}">{escape(label)}</a>'
