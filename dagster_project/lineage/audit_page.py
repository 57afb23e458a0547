"""A pack's audit page: every figure, and under it the sources that add up to it. Static html
that opens from disk, no server (``<details>`` elements do the drill-down)."""
from __future__ import annotations

from pathlib import Path

import duckdb
from jinja2 import Environment, select_autoescape

from dagster_project.lineage.trace import TraceError, load_manifest, trace_figure

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Audit trail: {{ m.title }} {{ m.period }}</title>
<style>body{font-family:Helvetica,Arial,sans-serif;font-size:10pt} table{border-collapse:collapse}
td,th{border:1px solid #b1b4b6;padding:2pt 4pt;text-align:left} .ok{color:#00703c} .bad{color:#d4351c}
summary{cursor:pointer;padding:2pt 0}</style></head>
<body><main><h1>Audit trail: {{ m.title }}, {{ m.period }}</h1>
<p>Tenant {{ m.tenant }}; template {{ m.template_version }}; rendered {{ m.rendered_at }}; data as of {{ m.data_as_of }};
dbt invocation {{ m.dbt_invocation_id }}; {{ m.code_version }}.</p>
<h2>Figures</h2>
{% for t in traces %}
<details><summary><strong>{{ t.sheet }}!{{ t.cell }}</strong> {{ t.figure_id }} = {{ t.value }}
 <span class="{{ 'ok' if t.reconciles else 'bad' }}">({{ t.contributions|length }} sources sum to {{ t.traced_total }})</span></summary>
<table><thead><tr><th scope="col">Source</th><th scope="col">Where</th><th scope="col">Amount</th><th scope="col">Detail</th></tr></thead><tbody>
{% for c in t.contributions %}<tr><td>{{ c.kind }}</td><td>{{ c.file }} {{ c.locator or c.cell }}</td><td>{{ c.amount }}</td>
<td>{{ c.transaction_id or c.row or c.award_reference or c.crime_id or '' }} {{ c.agreement_ref or '' }} {{ c.priority_id or '' }}</td></tr>{% endfor %}
</tbody></table></details>
{% endfor %}
{% if untraced %}<h2>Figures derived from others</h2><ul>{% for f in untraced %}<li>{{ f.sheet }}!{{ f.cell }} {{ f.id }} = {{ f.value }}: {{ f.reason }}</li>{% endfor %}</ul>{% endif %}
<h2>Input files</h2><table><thead><tr><th scope="col">File</th><th scope="col">sha256</th><th scope="col">Load</th></tr></thead><tbody>
{% for i in m.inputs %}<tr><td>{{ i.file }}</td><td>{{ i.sha256 }}</td><td>{{ i.load_id }}</td></tr>{% endfor %}</tbody></table>
</main></body></html>"""


def write_audit_page(folder: Path, warehouse: Path) -> Path:
    manifest = load_manifest(folder)
    traces, untraced = [], []
    con = duckdb.connect(str(manifest["warehouse"] if manifest.get("as_of_load") else warehouse), read_only=True)
    try:
        for figure in manifest["figures"]:
            try:
                traces.append(trace_figure(con, manifest, figure, with_context=False))
            except TraceError as exc:
                untraced.append({**figure, "reason": str(exc)})
    finally:
        con.close()
    html = Environment(autoescape=select_autoescape(default=True)).from_string(PAGE).render(
        m=manifest, traces=traces, untraced=untraced)
    path = folder / "audit.html"
    path.write_text(html, encoding="utf-8")
    return path
