"""A pack's audit page: every figure, and under it the sources that add up to it, or for a derived
figure its formula and each part, traced in turn. Static html that opens from disk, no server
(``<details>`` elements do the drill-down)."""
from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, select_autoescape

from dagster_project.lineage.trace import TraceError, load_manifest, rendered_as_of, trace_figure, tracer
from dagster_project.warehouse import open_reader_at

# Sources listed under one figure; a total over thousands of police records names the first ones
# and says how to list them all (the page stays small enough to open from disk).
SOURCES_SHOWN = 200

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Audit trail: {{ m.title }} {{ m.period }}</title>
<style>body{font-family:Helvetica,Arial,sans-serif;font-size:10pt} table{border-collapse:collapse}
td,th{border:1px solid #b1b4b6;padding:2pt 4pt;text-align:left} .ok{color:#00703c} .bad{color:#d4351c}
summary{cursor:pointer;padding:2pt 0} details details{margin-left:1.5em}</style></head>
<body><main><h1>Audit trail: {{ m.title }}, {{ m.period }}</h1>
<p>Tenant {{ m.tenant }}; template {{ m.template_version }}; rendered {{ m.rendered_at }}; data as of {{ m.data_as_of }}
(load {{ m.as_of_load }}); dbt invocation {{ m.dbt_invocation_id }}; {{ m.code_version }}.</p>
<p>Every figure opens to its sources. A sum opens to the ledger-line parts, provider-return cells,
police records and allocation letters that add up to it; a derived figure opens to its formula and
each part, traced in turn.</p>
{%- macro figure(t, top) %}
<details><summary>{% if top %}<strong>{{ t.sheet }}!{{ t.cell }}</strong> {{ t.figure_id }}{% else %}{{ t.field }}{% endif %}
 = {{ shown(t.value) }}
 <span class="{{ 'ok' if t.reconciles else 'bad' }}">({% if t.kind == 'additive' %}{{ t.contributions|length }} sources sum to {{ shown(t.traced_total) }}{% elif t.kind == 'given' %}given: {{ t.given_from }}{% else %}{{ t.formula }} = {{ shown(t.traced_total) }}{% endif %})</span>
 {% if t.value is none and t.not_available %}not available: {{ t.not_available }}{% endif %}</summary>
{% if t.kind == 'additive' and t.contributions %}
<table><thead><tr><th scope="col">Source</th><th scope="col">Where</th><th scope="col">Amount</th><th scope="col">Detail</th></tr></thead><tbody>
{% for c in t.contributions[:limit] %}<tr><td>{{ c.kind }}</td><td>{{ c.file }} {{ c.locator }}</td><td>{{ c.amount }}</td>
<td>{{ c.transaction_id or c.detail or '' }} {{ c.agreement_ref or '' }} {{ c.priority_id or '' }}</td></tr>{% endfor %}
</tbody></table>{% if t.contributions|length > limit %}<p>... and {{ t.contributions|length - limit }} more sources of
{{ t.figure_id }}: <code>pccw trace {{ folder }} '{{ t.figure_id }}' --format json</code> lists every one.</p>{% endif %}{% endif %}
{% for p in t.parts %}{{ figure(p, false) }}{% endfor %}
</details>
{%- endmacro %}
<h2>Figures</h2>
{% for t in traces %}{{ figure(t, true) }}{% endfor %}
{% if untraced %}<h2>Figures not traced</h2><ul>{% for f in untraced %}<li>{{ f.sheet }}!{{ f.cell }} {{ f.id }} = {{ f.value }}: {{ f.reason }}</li>{% endfor %}</ul>{% endif %}
<h2>Input files</h2><table><thead><tr><th scope="col">File</th><th scope="col">sha256</th><th scope="col">Load</th></tr></thead><tbody>
{% for i in m.inputs %}<tr><td>{{ i.file }}</td><td>{{ i.sha256 }}</td><td>{{ i.load_id }}</td></tr>{% endfor %}</tbody></table>
</main></body></html>"""


def write_audit_page(folder: Path, warehouse: Path) -> Path:
    """Write ``audit.html`` into the pack folder, each figure traced in the warehouse it was rendered from."""
    manifest = load_manifest(folder)
    traces, untraced = [], []
    con = open_reader_at(Path(manifest["warehouse"]) if rendered_as_of(manifest) else warehouse)
    try:
        reader = tracer(con, manifest)
        for figure in manifest["figures"]:
            try:
                traces.append(trace_figure(con, manifest, figure, with_context=False, tracer=reader))
            except TraceError as exc:
                if not figure["id"].startswith("reconciliation:"):
                    untraced.append({**figure, "reason": str(exc)})
    finally:
        con.close()
    html = Environment(autoescape=select_autoescape(default=True)).from_string(PAGE).render(
        m=manifest, traces=traces, untraced=untraced, shown=lambda v: "not available" if v is None else v,
        limit=SOURCES_SHOWN, folder=folder)
    path = folder / "audit.html"
    path.write_text(html, encoding="utf-8")
    return path
