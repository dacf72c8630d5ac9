"""The HTML gate report: one self-contained page rendered from the report event (JSON).

`render_html(event) -> str` is pure. Inline CSS and SVG only; a Content-Security-Policy forbids
any network resource, so the page can be archived as a CI artifact and opened anywhere.
Sections: overall status, every gate (status, reason), findings grouped by gate with their
(redacted) source lines, endpoints (p95 latency, spec conformance), query hotspots (N+1, slow
queries), coverage and test kinds, with small charts where a picture says more than a table.
Runtime sections come from `report.metrics` / `report.endpoints` (shapes in runtime/__init__.py);
anything missing or malformed renders as "no data", never as an error.
"""

from __future__ import annotations

import html
import json
import logging
import math
from pathlib import Path
from typing import Any, Iterable

from .redact import redact_text

STATUS_LABEL = {"passed": "passed", "failed": "FAILED", "warned": "warned", "not_evaluated": "not evaluated"}
STATUS_COLOR = {"passed": "#1a7f37", "failed": "#cf222e", "warned": "#9a6700", "not_evaluated": "#6e7781"}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}

CSS = """
:root { --fg:#1f2328; --muted:#656d76; --line:#d0d7de; --bg:#ffffff; --soft:#f6f8fa; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color:var(--fg); background:var(--soft); }
main { max-width: 1180px; margin: 0 auto; padding: 24px; }
header.top { display:flex; flex-wrap:wrap; gap:16px; align-items:center; justify-content:space-between; background:var(--bg);
  border:1px solid var(--line); border-radius:8px; padding:16px 20px; }
h1 { font-size:22px; margin:0; } h2 { font-size:17px; margin:28px 0 10px; } h3 { font-size:14px; margin:16px 0 6px; }
.meta { color:var(--muted); font-size:12px; }
.pill { display:inline-block; padding:1px 9px; border-radius:999px; color:#fff; font-weight:600; font-size:12px; white-space:nowrap; }
.big { font-size:16px; padding:4px 14px; }
.cards { display:flex; flex-wrap:wrap; gap:10px; margin-top:14px; }
.card { background:var(--bg); border:1px solid var(--line); border-radius:8px; padding:10px 14px; min-width:120px; }
.card b { display:block; font-size:20px; }
.card span { color:var(--muted); font-size:12px; }
section { background:var(--bg); border:1px solid var(--line); border-radius:8px; padding:4px 18px 16px; margin-top:18px; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:12px; color:var(--muted); font-weight:600; background:var(--soft); }
#gates td:first-child, #endpoints td:nth-child(2) { white-space:nowrap; }
td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; }
tr.status-failed td:first-child { box-shadow: inset 3px 0 0 #cf222e; }
tr.status-warned td:first-child { box-shadow: inset 3px 0 0 #9a6700; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size:12px; }
pre.src { background:var(--soft); border:1px solid var(--line); border-radius:6px; padding:6px 10px; margin:4px 0 0; white-space:pre-wrap; word-break:break-word; }
details { border-top:1px solid var(--line); padding:6px 0; } details > summary { cursor:pointer; font-weight:600; }
.finding { padding:8px 0 8px 10px; border-left:3px solid var(--line); margin:8px 0; }
.finding.error { border-color:#cf222e; } .finding.warning { border-color:#d4a72c; } .finding.info { border-color:#54aeff; }
.sev { font-size:11px; text-transform:uppercase; font-weight:700; color:var(--muted); }
.nodata { color:var(--muted); font-style:italic; padding:6px 0; }
.grid { display:grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap:18px; }
.ok { color:#1a7f37; font-weight:600; } .bad { color:#cf222e; font-weight:600; } .dim { color:var(--muted); }
svg text { font: 11px -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; fill: #1f2328; }
footer { color:var(--muted); font-size:12px; margin:24px 0 8px; text-align:center; }
svg { max-width:100%; height:auto; }
#overview .grid { grid-template-columns: repeat(auto-fit, minmax(min(440px, 100%), 1fr)); }
.chart { min-width:0; overflow:hidden; margin:6px 0; }
.scroll { overflow-x:auto; }
.legend { display:flex; flex-wrap:wrap; gap:6px 14px; font-size:12px; margin:4px 0 0; }
.legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:4px; vertical-align:-1px; }
form.filters { display:flex; flex-wrap:wrap; gap:8px 16px; align-items:end; margin:10px 0; padding:10px; background:var(--soft); border-radius:6px; }
form.filters label { display:flex; flex-direction:column; font-size:12px; color:var(--muted); gap:2px; }
form.filters select, form.filters input { font:inherit; padding:4px 6px; border:1px solid var(--line); border-radius:6px; min-width:150px; max-width:100%; }
#f-count { font-size:12px; color:var(--muted); }
@media (max-width: 600px) {
  main { padding:10px; } section { padding:4px 10px 12px; } header.top { padding:12px; }
  .card { min-width:0; flex:1 1 28%; padding:6px 8px; } .card b { font-size:16px; } .card span { font-size:11px; }
  .grid, #overview .grid { grid-template-columns: minmax(0, 1fr); }
  form.filters select, form.filters input { min-width:0; width:100%; } form.filters label { flex:1 1 100%; }
  td, th { padding:5px 4px; } #gates td:nth-child(2), #gates th:nth-child(2), #gates td:nth-child(3), #gates th:nth-child(3) { display:none; }
}
"""

# Filters: a small inline script, allowed by its hash in the Content-Security-Policy (no other
# script can run, nothing can be fetched). The state also lives in the URL fragment
# (`#gate=SEC-SQLI&severity=error&file=app/`), so a filtered view can be linked to.
SCRIPT = """(function () {
  var form = document.getElementById("filters");
  var body = document.body;
  body.setAttribute("data-overflow", document.documentElement.scrollWidth > window.innerWidth + 1 ? "yes" : "no");
  if (!form) { body.setAttribute("data-filters", "none"); return; }
  var gate = document.getElementById("f-gate"), sev = document.getElementById("f-severity");
  var file = document.getElementById("f-file"), count = document.getElementById("f-count");
  var items = Array.prototype.slice.call(document.querySelectorAll("#findings .finding[data-gate]"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("#findings details[data-group]"));
  function apply() {
    var shown = 0, needle = file.value.trim().toLowerCase();
    items.forEach(function (el) {
      var ok = (!gate.value || el.getAttribute("data-gate") === gate.value) &&
               (!sev.value || el.getAttribute("data-severity") === sev.value) &&
               (!needle || el.getAttribute("data-path").toLowerCase().indexOf(needle) !== -1);
      el.hidden = !ok;
      if (ok) { shown += 1; }
    });
    groups.forEach(function (g) { g.hidden = !g.querySelector(".finding[data-gate]:not([hidden])"); });
    count.textContent = shown + " of " + items.length + " finding(s) shown";
    body.setAttribute("data-shown", String(shown));
  }
  location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
    var kv = pair.split("="), value = decodeURIComponent(kv[1] || "");
    if (kv[0] === "gate") { gate.value = value; }
    if (kv[0] === "severity") { sev.value = value; }
    if (kv[0] === "file") { file.value = value; }
  });
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  apply();
  body.setAttribute("data-filters", "ready");
}());
"""


# ----------------------------------------------------------------------------- helpers


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _fmt(value: Any, digits: int = 1, suffix: str = "") -> str:
    number = _num(value)
    if number is None:
        return "–"
    text = f"{number:.{digits}f}" if number != int(number) or digits == 0 else f"{int(number)}"
    return text + suffix


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _pill(status: str, big: bool = False) -> str:
    color = STATUS_COLOR.get(status, "#6e7781")
    return f'<span class="pill{" big" if big else ""}" style="background:{color}">{_e(STATUS_LABEL.get(status, status))}</span>'


def _nodata(what: str) -> str:
    return f'<p class="nodata">no data: {_e(what)}</p>'


def _yes_no(value: Any) -> str:
    if value is True:
        return '<span class="ok">yes</span>'
    if value is False:
        return '<span class="bad">no</span>'
    return '<span class="dim">–</span>'


def _config_value(event: dict[str, Any], key: str) -> Any:
    item = _dict(event.get("config")).get(key)
    return item.get("value") if isinstance(item, dict) else None


# ----------------------------------------------------------------------------- charts (inline SVG)


def bar_chart(
    rows: Iterable[tuple[str, float, str]], *, unit: str, title: str, limit: float | None = None, width: int = 520
) -> str:
    """Horizontal bars: (label, value, color). An optional dashed limit line (a budget)."""
    data = [(label, value, color) for label, value, color in rows if value is not None and value >= 0]
    if not data:
        return ""
    label_w = 190 if width < 700 else 300
    right_pad, bar_h, gap, top = 64, 16, 6, 22
    plot_w = width - label_w - right_pad
    scale_max = max([v for _l, v, _c in data] + ([limit] if limit else [])) or 1.0
    height = top + len(data) * (bar_h + gap) + 8
    parts = [
        f'<svg role="img" aria-label="{_e(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="13" style="font-weight:600">{_e(title)}</text>',
    ]
    for index, (label, value, color) in enumerate(data):
        y = top + index * (bar_h + gap)
        w = max(1.0, plot_w * value / scale_max)
        room = (label_w - 10) // 6
        short = label if len(label) <= room else label[: room - 1] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end"><title>{_e(label)}</title>{_e(short)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="2" fill="{color}"/>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 12}">{_e(_fmt(value, 1 if unit == "ms" else 0))}{_e(unit)}</text>')
    if limit:
        x = label_w + plot_w * limit / scale_max
        parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 4}" stroke="#cf222e" stroke-dasharray="4 3"/>')
        anchor, tx = ("end", x - 3) if x > width - 90 else ("start", x + 3)
        parts.append(
            f'<text x="{tx:.1f}" y="{top - 6}" text-anchor="{anchor}" style="fill:#cf222e">budget {_e(_fmt(limit, 0))}{_e(unit)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def status_chart(counts: dict[str, int], *, title: str, width: int = 520) -> str:
    """One stacked bar: how many gates passed, warned, failed, were not evaluated."""
    total = sum(counts.values())
    if total <= 0:
        return ""
    height, top, bar_h = 58, 22, 22
    parts = [
        f'<svg role="img" aria-label="{_e(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="13" style="font-weight:600">{_e(title)}</text>',
    ]
    x = 0.0
    for status in ("failed", "warned", "passed", "not_evaluated"):
        n = counts.get(status, 0)
        if n <= 0:
            continue
        w = width * n / total
        parts.append(
            f'<rect class="seg-{status}" x="{x:.1f}" y="{top}" width="{w:.1f}" height="{bar_h}" fill="{STATUS_COLOR[status]}">'
            f"<title>{_e(STATUS_LABEL[status])}: {n}</title></rect>"
        )
        if w > 26:
            parts.append(f'<text x="{x + w / 2:.1f}" y="{top + 15}" text-anchor="middle" style="fill:#fff;font-weight:700">{n}</text>')
        x += w
    parts.append("</svg>")
    legend = "".join(
        f'<span><i style="background:{STATUS_COLOR[s]}"></i>{_e(STATUS_LABEL[s])} {counts.get(s, 0)}</span>'
        for s in ("failed", "warned", "passed", "not_evaluated")
    )
    return "".join(parts) + f'<div class="legend">{legend}</div>'


def trend_chart(points: list[tuple[str, int, int, str]], *, title: str, width: int = 520) -> str:
    """Columns per run, oldest first: (label, findings, failing, status); failing ones darker."""
    if len(points) < 2:
        return ""
    height, top, bottom = 150, 22, 30
    plot_h = height - top - bottom
    peak = max(max(p[1] for p in points), 1)
    slot = width / len(points)
    bar_w = max(4.0, min(40.0, slot * 0.6))
    parts = [
        f'<svg role="img" aria-label="{_e(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="13" style="font-weight:600">{_e(title)}</text>',
        f'<line x1="0" y1="{top + plot_h}" x2="{width}" y2="{top + plot_h}" stroke="#d0d7de"/>',
    ]
    for index, (label, findings, failing, status) in enumerate(points):
        cx = slot * index + slot / 2
        h = plot_h * findings / peak
        fh = plot_h * min(failing, findings) / peak
        y = top + plot_h - h
        parts.append(f'<rect class="run" x="{cx - bar_w / 2:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{max(h, 1):.1f}" fill="#8c959f"><title>{_e(label)}: {findings} finding(s), {failing} failing, {_e(status)}</title></rect>')
        if fh > 0:
            parts.append(f'<rect x="{cx - bar_w / 2:.1f}" y="{top + plot_h - fh:.1f}" width="{bar_w:.1f}" height="{fh:.1f}" fill="{STATUS_COLOR.get(status, "#cf222e") if status != "passed" else "#cf222e"}"/>')
        parts.append(f'<text x="{cx:.1f}" y="{max(y - 3, top + 9):.1f}" text-anchor="middle">{findings}</text>')
        if len(points) <= 12 or index in (0, len(points) - 1):
            parts.append(f'<text x="{cx:.1f}" y="{height - 12}" text-anchor="middle" class="dim">{_e(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def gauge(percent: float | None, *, label: str, target: float | None = None) -> str:
    """A small ring showing a percentage (coverage), red below the target."""
    if percent is None:
        return ""
    p = max(0.0, min(100.0, percent))
    r, c = 34, 2 * 3.14159265 * 34
    color = "#1a7f37" if target is None or p >= target else "#cf222e"
    return (
        f'<svg role="img" aria-label="{_e(label)} {p:.1f}%" width="96" height="96" viewBox="0 0 96 96" xmlns="http://www.w3.org/2000/svg">'
        f'<circle cx="48" cy="48" r="{r}" fill="none" stroke="#eaeef2" stroke-width="10"/>'
        f'<circle cx="48" cy="48" r="{r}" fill="none" stroke="{color}" stroke-width="10" stroke-dasharray="{c * p / 100:.1f} {c:.1f}" transform="rotate(-90 48 48)"/>'
        f'<text x="48" y="53" text-anchor="middle" style="font-size:15px;font-weight:700">{p:.0f}%</text></svg>'
    )


# ----------------------------------------------------------------------------- sections


def _header(event: dict[str, Any]) -> str:
    summary = _dict(event.get("summary"))
    project = _dict(event.get("project"))
    git = _dict(event.get("git"))
    status = str(event.get("status") or summary.get("status") or "not_evaluated")
    gates = _dict(summary.get("gates"))
    commit = git.get("commit")
    meta = [
        f"mode {_e(event.get('mode', '?'))}",
        f"finished {_e(event.get('finished_at') or '?')}",
        f"backend-gates {_e(_dict(event.get('tool')).get('version', '?'))}",
    ]
    if commit:
        meta.insert(0, f"{_e(git.get('branch') or '')} {_e(str(commit)[:10])}".strip())
    cards = [
        (summary.get("findings", 0), "findings"),
        (summary.get("failing", 0), f"at or above {_e(summary.get('fail_on', 'warning'))}"),
        (summary.get("suppressed", 0), "suppressed"),
        (gates.get("failed", 0), "gates failed"),
        (gates.get("warned", 0), "gates warned"),
        (gates.get("passed", 0), "gates passed"),
        (gates.get("not_evaluated", 0), "not evaluated"),
        (summary.get("files", 0), "files checked"),
    ]
    card_html = "".join(f'<div class="card"><b>{_e(v)}</b><span>{label}</span></div>' for v, label in cards)
    return (
        f'<header class="top"><div><h1>backend-gates · {_e(project.get("name", "project"))}</h1>'
        f'<div class="meta">{" · ".join(meta)}</div></div>'
        f'<div>overall {_pill(status, big=True)}</div></header><div class="cards">{card_html}</div>'
    )


def _gates(event: dict[str, Any]) -> str:
    gates = [g for g in _list(event.get("gates")) if isinstance(g, dict)]
    if not gates:
        return "<section><h2>Gates</h2>" + _nodata("the report lists no gates") + "</section>"
    rows = []
    for g in gates:
        status = str(g.get("status", "not_evaluated"))
        sup = f' <span class="dim">(+{_e(g.get("suppressed"))} suppressed)</span>' if g.get("suppressed") else ""
        rows.append(
            f'<tr class="status-{_e(status)}" data-gate="{_e(g.get("id"))}"><td><a href="#gate-{_e(g.get("id"))}"><code>{_e(g.get("id"))}</code></a></td>'
            f"<td>{_e(g.get('checklist'))}</td><td>{_e(g.get('title'))}</td><td>{_pill(status)}</td>"
            f'<td class="num">{_e(g.get("findings", 0))}{sup}</td><td>{_e(g.get("reason"))}</td></tr>'
        )
    return (
        '<section><h2>Gates</h2><div class="scroll"><table id="gates"><thead><tr><th>gate</th><th>checklist</th><th>title</th>'
        '<th>status</th><th class="num">findings</th><th>reason</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table></div></section>"
    )


def _finding(f: dict[str, Any]) -> str:
    sev = str(f.get("severity", "warning"))
    where = f"{f.get('path') or '(project)'}:{f.get('line', '?')}:{f.get('column', '?')}"
    evidence = f.get("evidence")
    gate = f.get("gate") if isinstance(f.get("gate"), str) else "tool"
    parts = [
        f'<div class="finding {_e(sev)}" data-gate="{_e(gate)}" data-severity="{_e(sev)}" data-path="{_e(f.get("path") or "")}">'
        f'<span class="sev">{_e(sev)}</span> <code>{_e(f.get("rule"))}</code> '
        f'<span class="dim">{_e(f.get("name"))}</span> · <code>{_e(where)}</code>',
    ]
    if f.get("suppressed"):
        sup = _dict(f.get("suppression"))
        parts.append(f' · <span class="dim">suppressed ({_e(sup.get("kind", "inline"))}: {_e(sup.get("reason", ""))})</span>')
    parts.append(f"<div>{_e(redact_text(str(f.get('message', ''))))}</div>")
    if evidence:
        parts.append(f'<pre class="src">{_e(redact_text(str(evidence)))}</pre>')
    if f.get("fix"):
        parts.append(f'<div class="dim">fix: {_e(f.get("fix"))}</div>')
    if f.get("help_url"):
        parts.append(f'<div class="dim">docs: {_e(f.get("help_url"))}</div>')
    parts.append("</div>")
    return "".join(parts)


def _findings(event: dict[str, Any]) -> str:
    findings = [f for f in _list(event.get("findings")) if isinstance(f, dict)]
    if not findings:
        return "<section><h2>Findings</h2>" + _nodata("no findings in this report") + "</section>"
    gates = [g for g in _list(event.get("gates")) if isinstance(g, dict) and isinstance(g.get("id"), str)]
    titles = {g["id"]: g.get("title") for g in gates}
    order = [g["id"] for g in gates]
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for f in findings:
        gate = f.get("gate")
        groups.setdefault(gate if isinstance(gate, str) else None, []).append(f)
    keys = [k for k in order if k in groups] + [k for k in groups if k not in order]
    out = ['<section id="findings"><h2>Findings by gate</h2>', _filters(findings, keys)]
    for key in keys:
        group = sorted(
            groups[key], key=lambda f: (SEVERITY_ORDER.get(str(f.get("severity")), 3), str(f.get("path")), _num(f.get("line")) or 0)
        )
        active = [f for f in group if not f.get("suppressed")]
        suppressed = [f for f in group if f.get("suppressed")]
        name = key or "tool"
        title = titles.get(key) or ("the tool's own findings (unreadable files, suppressions)" if key is None else "")
        open_attr = " open" if active else ""
        out.append(
            f'<details id="gate-{_e(name)}" data-group="{_e(name)}"{open_attr}><summary><code>{_e(name)}</code> {_e(title)} — '
            f"{len(active)} finding(s){f', {len(suppressed)} suppressed' if suppressed else ''}</summary>"
        )
        out.extend(_finding(f) for f in active[:200])
        if len(active) > 200:
            out.append(f'<p class="dim">… {len(active) - 200} more in the JSON report</p>')
        if suppressed:
            out.append("<details><summary class=\"dim\">suppressed (audit trail)</summary>")
            out.extend(_finding(f) for f in suppressed[:100])
            out.append("</details>")
        out.append("</details>")
    out.append("</section>")
    return "".join(out)


def _filters(findings: list[dict[str, Any]], gates: list[str | None]) -> str:
    severities = [s for s in ("error", "warning", "info") if any(f.get("severity") == s for f in findings)]
    gate_opts = "".join(f'<option value="{_e(g or "tool")}">{_e(g or "tool")}</option>' for g in gates)
    sev_opts = "".join(f'<option value="{_e(s)}">{_e(s)}</option>' for s in severities)
    return (
        '<form id="filters" class="filters" role="search" aria-label="filter findings">'
        f'<label for="f-gate">gate<select id="f-gate"><option value="">all gates</option>{gate_opts}</select></label>'
        f'<label for="f-severity">severity<select id="f-severity"><option value="">all severities</option>{sev_opts}</select></label>'
        '<label for="f-file">file<input id="f-file" type="search" placeholder="path contains…" autocomplete="off"></label>'
        f'<span id="f-count" aria-live="polite">{len(findings)} finding(s)</span></form>'
    )


def _overview(event: dict[str, Any]) -> str:
    """The first screen's pictures: gate statuses, findings by gate and by rule, the trend."""
    gates = [g for g in _list(event.get("gates")) if isinstance(g, dict)]
    counts: dict[str, int] = {}
    for g in gates:
        status = str(g.get("status", "not_evaluated"))
        if status in STATUS_COLOR:
            counts[status] = counts.get(status, 0) + 1
    findings = [f for f in _list(event.get("findings")) if isinstance(f, dict) and not f.get("suppressed")]
    by_gate: dict[str, list[dict[str, Any]]] = {}
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        by_gate.setdefault(str(f.get("gate") or "tool"), []).append(f)
        by_rule.setdefault(f"{f.get('rule', '?')} {f.get('name', '')}".strip(), []).append(f)

    def color(group: list[dict[str, Any]]) -> str:
        worst = min((SEVERITY_ORDER.get(str(f.get("severity")), 2) for f in group), default=2)
        return ("#cf222e", "#d4a72c", "#54aeff")[worst]

    def rows(groups: dict[str, list[dict[str, Any]]]) -> list[tuple[str, float, str]]:
        ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        return [(k, float(len(v)), color(v)) for k, v in ordered[:12]]

    charts = []
    chart = status_chart(counts, title=f"{len(gates)} gates")
    charts.append(f'<div class="chart" id="gate-status-chart">{chart}</div>' if chart else _nodata("the report lists no gates"))
    if findings:
        charts.append(f'<div class="chart" id="findings-by-gate">{bar_chart(rows(by_gate), unit="", title="Findings by gate")}</div>')
        more = f" (top 12 of {len(by_rule)})" if len(by_rule) > 12 else ""
        charts.append(f'<div class="chart" id="findings-by-rule">{bar_chart(rows(by_rule), unit="", title="Findings by rule" + more)}</div>')
    else:
        charts.append('<div class="chart" id="findings-by-gate"><p class="ok">no findings</p></div>')
    history = [h for h in _list(event.get("_history")) if isinstance(h, dict)]
    if history:
        points = []
        for index, h in enumerate([*history, event]):
            summary = _dict(h.get("summary"))
            stamp = str(h.get("finished_at") or f"run {index + 1}")
            label = stamp[:16].replace("T", " ") if len(history) < 4 else stamp[:10]
            findings_n = int(_num(summary.get("findings")) or 0)
            failing_n = int(_num(summary.get("failing")) or 0)
            points.append((label, findings_n, failing_n, str(h.get("status") or summary.get("status") or "")))
        trend = trend_chart(points, title=f"Findings over the last {len(points)} runs (oldest first)")
        if trend:
            charts.append(f'<div class="chart" id="trend-chart">{trend}</div>')
    return '<section id="overview"><h2>Overview</h2><div class="grid">' + "".join(charts) + "</div></section>"


def _endpoints(event: dict[str, Any]) -> str:
    metrics = _dict(event.get("metrics"))
    latency = _dict(metrics.get("latency"))
    endpoints = [e for e in _list(event.get("endpoints")) if isinstance(e, dict)]
    budget = _num(_config_value(event, "thresholds.latency-p95-ms"))
    out = ["<section><h2>Endpoints</h2>"]
    if not endpoints and not latency:
        out.append(_nodata("no HTTP requests were recorded (run `pytest --backend-gates`)"))
        out.append("</section>")
        return "".join(out)
    rows = []
    for ep in sorted(endpoints, key=lambda e: (str(e.get("path")), str(e.get("method")))):
        key = f"{ep.get('method', '')} {ep.get('path', '')}".strip()
        lat = _dict(latency.get(key))
        p95 = ep.get("p95_ms", lat.get("p95_ms"))
        over = budget is not None and _num(p95) is not None and _num(p95) > budget  # type: ignore[operator]
        lat_status = lat.get("status")
        rows.append(
            f"<tr><td><code>{_e(ep.get('method'))}</code></td><td><code>{_e(ep.get('path'))}</code></td>"
            f'<td class="num">{_e(ep.get("requests", lat.get("samples", "–")))}</td>'
            f'<td class="num{" bad" if over or lat_status == "failed" else ""}">{_e(_fmt(p95, 1, " ms"))}</td>'
            f"<td>{_yes_no(ep.get('documented'))}</td><td>{_yes_no(ep.get('conformant'))}</td>"
            f'<td class="num">{_e(ep.get("tests", "–") if not isinstance(ep.get("tests"), list) else len(ep["tests"]))}</td>'
            f"<td>{_yes_no(ep.get('ready'))}</td></tr>"
        )
    if rows:
        out.append(
            '<div class="scroll"><table id="endpoints"><thead><tr><th>method</th><th>path</th><th class="num">requests</th><th class="num">p95</th>'
            "<th>documented</th><th>conforms to spec</th><th class=\"num\">tests</th><th>ready</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table></div>"
        )
    chart_rows = []
    source = latency or {f"{e.get('method', '')} {e.get('path', '')}": {"p95_ms": e.get("p95_ms")} for e in endpoints}
    for key, item in sorted(source.items(), key=lambda kv: -(_num(_dict(kv[1]).get("p95_ms")) or 0)):
        value = _num(_dict(item).get("p95_ms"))
        if value is None:
            continue
        failing = (budget is not None and value > budget) or _dict(item).get("status") == "failed"
        chart_rows.append((key, value, "#cf222e" if failing else "#0969da"))
    chart = bar_chart(chart_rows[:15], unit="ms", title="p95 latency per endpoint", limit=budget)
    if chart:
        out.append(f'<h3>Latency</h3><div class="chart" id="latency-chart">{chart}</div>')
    else:
        out.append("<h3>Latency</h3>" + _nodata("no latency samples"))
    insufficient = [k for k, v in latency.items() if _dict(v).get("status") == "insufficient"]
    if insufficient:
        out.append(f'<p class="dim">insufficient samples for: {_e(", ".join(insufficient[:20]))}</p>')
    out.append("</section>")
    return "".join(out)


def _queries(event: dict[str, Any]) -> str:
    metrics = _dict(event.get("metrics"))
    queries = _dict(metrics.get("queries"))
    findings = [f for f in _list(event.get("findings")) if isinstance(f, dict)]
    n_plus_one = [f for f in findings if _is_repeat(f)]
    slow_findings = [f for f in findings if "slow-query" in str(f.get("name", ""))]
    slow_ms = _num(_config_value(event, "thresholds.slow-query-ms"))
    out = ["<section><h2>Query hotspots</h2>"]
    if not queries and not n_plus_one and not slow_findings:
        out.append(_nodata("no SQL was captured (run `pytest --backend-gates` with a database)"))
        out.append("</section>")
        return "".join(out)
    out.append("<h3>N+1 and repeated queries</h3>")
    if n_plus_one:
        rows = []
        for f in n_plus_one[:30]:
            extra = _dict(f.get("extra"))
            rows.append(
                f"<tr><td><code>{_e(f.get('rule'))}</code></td><td>{_e(extra.get('scope', f.get('path')))}</td>"
                f'<td class="num">{_e(extra.get("n", "–"))}</td><td><code>{_e(redact_text(str(extra.get("example") or f.get("evidence") or "")))}</code></td>'
                f"<td><code>{_e(extra.get('call_site', ''))}</code></td></tr>"
            )
        out.append(
            '<div class="scroll"><table id="n-plus-one"><thead><tr><th>rule</th><th>test / request</th><th class="num">repeats</th><th>query</th><th>call site</th></tr></thead><tbody>'
            + "".join(rows)
            + "</tbody></table></div>"
        )
    else:
        out.append(_nodata("no N+1 pattern found"))
    per_request = _queries_per_request(event, n_plus_one)
    if per_request:
        out.append(f'<h3>Queries per request</h3><div class="chart" id="queries-chart">{per_request}</div>')
    else:
        out.append("<h3>Queries per request</h3>" + _nodata("no per-request query counts"))
    out.append("<h3>Slowest and most frequent queries</h3>")
    if queries:
        items = sorted(queries.items(), key=lambda kv: (-(_num(_dict(kv[1]).get("p95_ms")) or 0), -(_num(_dict(kv[1]).get("count")) or 0)))
        rows = []
        for fp, q in items[:25]:
            q = _dict(q)
            p95 = _num(q.get("p95_ms"))
            slow = slow_ms is not None and p95 is not None and p95 > slow_ms
            tests = q.get("test_count", q.get("tests"))
            rows.append(
                f'<tr><td><code>{_e(redact_text(str(q.get("sql", ""))))}</code><div class="dim">{_e(str(fp)[:16])}</div></td>'
                f'<td class="num">{_e(q.get("count", "–"))}</td><td class="num{" bad" if slow else ""}">{_e(_fmt(q.get("p95_ms"), 1, " ms"))}</td>'
                f'<td class="num">{_e(_fmt(q.get("max_ms"), 1, " ms"))}</td>'
                f'<td class="num">{_e(len(tests) if isinstance(tests, list) else (tests if tests is not None else "–"))}</td></tr>'
            )
        out.append(
            '<div class="scroll"><table id="queries"><thead><tr><th>query (redacted)</th><th class="num">executions</th><th class="num">p95</th>'
            '<th class="num">max</th><th class="num">tests</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table></div>"
        )
    elif slow_findings:
        out.extend(_finding(f) for f in slow_findings[:25])
    else:
        out.append(_nodata("no query metrics"))
    out.append("</section>")
    return "".join(out)


def _is_repeat(f: dict[str, Any]) -> bool:
    """N+1 / duplicate-query findings (runtime): by name, or by their `extra` shape."""
    name = str(f.get("name", "")).lower()
    extra = _dict(f.get("extra"))
    return "n-plus-one" in name or "duplicate-query" in name or ("n" in extra and "scope" in extra)


def _queries_per_request(event: dict[str, Any], n_plus_one: list[dict[str, Any]]) -> str:
    """Chart: queries per request by endpoint when recorded, else N+1 repeats per scope, else
    executions per query."""
    budget = _num(_config_value(event, "thresholds.request-query-budget")) or None
    rows: list[tuple[str, float, str]] = []
    for ep in _list(event.get("endpoints")):
        if not isinstance(ep, dict):
            continue
        for key in ("queries_per_request", "max_queries", "sql_per_request", "queries"):
            value = _num(ep.get(key))
            if value is not None:
                over = budget is not None and value > budget
                rows.append((f"{ep.get('method', '')} {ep.get('path', '')}", value, "#cf222e" if over else "#8250df"))
                break
    if rows:
        rows.sort(key=lambda r: -r[1])
        return bar_chart(rows[:15], unit="", title="queries per request (max)", limit=budget)
    for f in n_plus_one:
        extra = _dict(f.get("extra"))
        value = _num(extra.get("n"))
        if value is not None:
            rows.append((str(extra.get("scope") or f.get("path") or "?"), value, "#cf222e"))
    if rows:
        rows.sort(key=lambda r: -r[1])
        return bar_chart(rows[:15], unit="", title="repeated queries per test/request (N+1)", width=760)
    queries = _dict(_dict(event.get("metrics")).get("queries"))
    for q in queries.values():
        value = _num(_dict(q).get("count"))
        if value is not None:
            rows.append((redact_text(str(_dict(q).get("sql", "?"))), value, "#8250df"))
    rows.sort(key=lambda r: -r[1])
    return bar_chart(rows[:10], unit="", title="executions per query")


def _coverage(event: dict[str, Any]) -> str:
    metrics = _dict(event.get("metrics"))
    cov = _dict(metrics.get("coverage"))
    spec = _dict(metrics.get("spec_coverage"))
    kinds = _dict(metrics.get("test_kinds"))
    errors = _dict(metrics.get("errors"))
    target = _num(_config_value(event, "thresholds.coverage-percent"))
    out = ['<section><h2>Coverage and tests</h2><div class="grid">']
    # code coverage
    out.append("<div><h3>Line coverage</h3>")
    percent = _num(cov.get("percent"))
    if percent is None:
        out.append(_nodata("no coverage measured"))
    else:
        out.append(
            f'<div style="display:flex;gap:14px;align-items:center">{gauge(percent, label="line coverage", target=target)}'
            f'<div>{_e(cov.get("covered_lines", "–"))} of {_e(cov.get("num_statements", "–"))} statements'
            + (f'<div class="dim">target {_e(_fmt(target, 0, "%"))}</div>' if target is not None else "")
            + "</div></div>"
        )
        files: list[tuple[str, float]] = []
        for k, v in _dict(cov.get("files")).items():
            value = _num(v)
            if value is not None:
                files.append((str(k), value))
        files.sort(key=lambda kv: kv[1])
        if files:
            chart = bar_chart(
                [(k, v, "#cf222e" if target is not None and v < target else "#1a7f37") for k, v in files[:10]],
                unit="%",
                title="least covered files",
                limit=target,
                width=440,
            )
            out.append(chart)
    out.append("</div>")
    # spec coverage
    out.append("<div><h3>API spec coverage</h3>")
    if not spec:
        out.append(_nodata("no OpenAPI operations were matched against tests"))
    else:
        out.append(
            f'<div style="display:flex;gap:14px;align-items:center">{gauge(_num(spec.get("percent")), label="spec coverage")}'
            f'<div>{_e(spec.get("exercised", "–"))} of {_e(spec.get("operations", "–"))} operations exercised by tests</div></div>'
        )
        untested = [str(u) for u in _list(spec.get("untested"))]
        if untested:
            out.append("<div class=\"dim\">untested:</div><ul>" + "".join(f"<li><code>{_e(u)}</code></li>" for u in untested[:20]) + "</ul>")
            if len(untested) > 20:
                out.append(f'<p class="dim">… and {len(untested) - 20} more</p>')
    out.append("</div>")
    # test kinds
    out.append("<div><h3>Test kinds</h3>")
    counts = [(k, _num(v)) for k, v in kinds.items() if k != "missing" and _num(v) is not None]
    if not counts:
        out.append(_nodata("no test-kind evidence"))
    else:
        missing = {str(m) for m in _list(kinds.get("missing"))}
        out.append(
            '<div class="scroll"><table id="test-kinds"><thead><tr><th>kind</th><th class="num">tests</th></tr></thead><tbody>'
            + "".join(
                f'<tr><td>{_e(k)}</td><td class="num{" bad" if k in missing or not v else ""}">{_e(_fmt(v, 0))}</td></tr>' for k, v in counts
            )
            + "</tbody></table></div>"
        )
        if missing:
            out.append(f'<p class="bad">missing: {_e(", ".join(sorted(missing)))}</p>')
    out.append("</div>")
    # error rate
    out.append("<div><h3>Server errors</h3>")
    if not errors:
        out.append(_nodata("no responses recorded"))
    else:
        limit = _num(_config_value(event, "thresholds.error-rate-percent"))
        rate = _num(errors.get("rate_percent"))
        bad = rate is not None and limit is not None and rate > limit
        out.append(
            f'<p><b class="{"bad" if bad else "ok"}">{_e(_fmt(rate, 2, "%"))}</b> 5xx of {_e(errors.get("responses", "–"))} responses '
            f'({_e(errors.get("server_errors", "–"))} server errors, {_e(errors.get("excluded", 0))} expected and excluded)'
            + (f'<span class="dim"> · budget {_e(_fmt(limit, 2, "%"))}</span>' if limit is not None else "")
            + "</p>"
        )
    out.append("</div></div></section>")
    return "".join(out)


def _problems(event: dict[str, Any]) -> str:
    errors = [e for e in _list(event.get("errors")) if isinstance(e, dict)]
    baseline = _dict(event.get("baseline"))
    diff = _dict(event.get("diff"))
    parts = []
    if diff:
        parts.append(f"<p>Only lines changed since <code>{_e(diff.get('ref'))}</code> were reported ({_e(diff.get('dropped', 0))} finding(s) elsewhere left out).</p>")
    if baseline:
        unused = _list(baseline.get("unused"))
        parts.append(
            f"<p>Baseline <code>{_e(baseline.get('file'))}</code>: {_e(baseline.get('matched', 0))} finding(s) recorded there are not reported"
            + (f"; {len(unused)} entr{'y' if len(unused) == 1 else 'ies'} no longer occur (rewrite it to shrink it)" if unused else "")
            + ".</p>"
        )
    if errors:
        parts.append(
            "<h3>What the tool could not read or run</h3><ul>"
            + "".join(f"<li><code>{_e(e.get('path') or '-')}</code>: {_e(e.get('message'))} <span class=\"dim\">({_e(e.get('kind'))})</span></li>" for e in errors[:50])
            + "</ul>"
        )
    if not parts:
        return ""
    return "<section><h2>Run notes</h2>" + "".join(parts) + "</section>"


# ----------------------------------------------------------------------------- page

log = logging.getLogger(__name__)


def _section(render: Any, event: dict[str, Any]) -> str:
    """A malformed part of the report costs its section ("no data"), never the page."""
    try:
        return str(render(event))
    except Exception as exc:
        log.debug("HTML report: %s failed", render.__name__, exc_info=True)
        title = render.__name__.strip("_").replace("_", " ")
        return f"<section><h2>{_e(title)}</h2>{_nodata(f'this part of the report is malformed ({type(exc).__name__})')}</section>"



def script_hash() -> str:
    import base64
    import hashlib

    return "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")


def render_html(event: dict[str, Any], history: list[dict[str, Any]] | None = None) -> str:
    """One self-contained HTML page for a report event (the dict `event.to_event` builds);
    `history`: earlier report events, oldest first, for the trend chart."""
    if not isinstance(event, dict):
        event = {}
    if history:
        event = {**event, "_history": history}
    name = _dict(event.get("project")).get("name", "project")
    status = str(event.get("status") or "not_evaluated")
    # first screen: verdict, pictures, gates; then the runtime sections; the long list last
    order = (_header, _overview, _gates, _endpoints, _queries, _coverage, _findings, _problems)
    body = "".join(_section(render, event) for render in order)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src '{script_hash()}'\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>backend-gates: {_e(name)} — {_e(STATUS_LABEL.get(status, status))}</title>"
        f"<style>{CSS}</style></head><body><main>{body}"
        f"<footer>generated by backend-gates from the <code>{_e(event.get('event', 'backend.gates.report'))}</code> event, "
        f"schema {_e(event.get('schema_version', '?'))} · self-contained, no network resources</footer></main>"
        f"<script>{SCRIPT}</script></body></html>\n"
    )


def write_html(event: dict[str, Any], path: Path, history: list[dict[str, Any]] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    from .redact import write_file

    write_file(path, render_html(event, history))


def load_event(path: Path) -> dict[str, Any]:
    from .errors import UsageError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the report: {exc.strerror}") from None
    except ValueError as exc:
        raise UsageError(f"{path}: not a JSON report: {exc}") from None
    if not isinstance(data, dict) or data.get("event") != "backend.gates.report":
        raise UsageError(f"{path}: not a backend-gates report event (expected \"event\": \"backend.gates.report\")")
    return data
