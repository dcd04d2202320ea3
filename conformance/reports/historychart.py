"""summary.html's History section: two charts drawn here as inline SVG (no script, no CDN, so
the page opens offline from a CI artifact): broken / not-tested / passed rules per run, and the
latency p50 / p95 per run, over the last runs; each run's bar and points link to its row in the
table below (`#run-<id>`) and name it in a tooltip."""

from __future__ import annotations

from html import escape

from conformance.reports.model import Report, RunPoint

WIDTH, HEIGHT = 720, 230
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 14, 40
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
# Stacked from the axis up: passed at the bottom, broken on top where the eye lands.
STACK = (("passed", "#2e7d32"), ("not_tested", "#f0a500"), ("broken", "#c62828"))
LINES = (("p50_ms", "#1565c0", "p50"), ("p95_ms", "#6a1b9a", "p95"))

HISTORY_CSS = """
.history svg { width: 100%; max-width: 720px; height: auto; display: block; background: #fff;
               border: 1px solid #d5d9de; border-radius: 6px; margin: .3rem 0 1rem; }
.history svg text { font: 11px system-ui, sans-serif; fill: #39424b; }
.history table td:first-child { white-space: nowrap; }
.h-new { background: #c62828; color: #fff; } .h-persisting { background: #8d6e63; color: #fff; }
.h-flaky { background: #f0a500; color: #1d232a; } .h-fixed { background: #2e7d32; color: #fff; }
.history-label { margin: 0 0 .4rem; }
"""


def _anchor(run: RunPoint) -> str:
    return f"run-{escape(run.run_id)}"


def _slot(n: int) -> float:
    return PLOT_W / max(n, 1)


def _axes(top: float, unit: str) -> list[str]:
    """The y axis with three ticks (0, half, top) and the plot's frame."""
    out = [
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + PLOT_H}" stroke="#78828c"/>',
        f'<line x1="{LEFT}" y1="{TOP + PLOT_H}" x2="{LEFT + PLOT_W}" y2="{TOP + PLOT_H}" stroke="#78828c"/>',
    ]
    for frac in (0, 0.5, 1):
        y = TOP + PLOT_H * (1 - frac)
        value = top * frac
        text = f"{value:.0f}" if top >= 10 or frac == 0 else f"{value:.1f}"
        out.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{text}{unit}</text>'
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + PLOT_W}" y2="{y:.1f}" stroke="#eef0f3"/>'
        )
    return out


def _x_labels(runs: tuple[RunPoint, ...]) -> list[str]:
    """The first and last run's dates under the axis (every date would overlap)."""
    if not runs:
        return []
    y = TOP + PLOT_H + 16
    out = [f'<text x="{LEFT}" y="{y}">{escape(runs[0].started[:10])}</text>']
    if len(runs) > 1:
        out.append(
            f'<text x="{LEFT + PLOT_W}" y="{y}" text-anchor="end">{escape(runs[-1].started[:10])}</text>'
        )
    return out


def _legend(items: tuple[tuple[str, str], ...]) -> str:
    x, y = LEFT, HEIGHT - 6
    out = []
    for label, colour in items:
        out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{x + 14}" y="{y}">{escape(label)}</text>')
        x += 24 + 7 * len(label)
    return "".join(out)


def rules_chart(runs: tuple[RunPoint, ...]) -> str:
    """Stacked bars, one per run: passed, not tested, broken rules."""
    top = max((r.broken + r.not_tested + r.passed for r in runs), default=0) or 1
    slot = _slot(len(runs))
    bar = max(2.0, min(slot * 0.7, 40.0))
    out = [
        f'<svg class="chart-rules" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        'aria-label="Rules per run: broken, not tested, passed" xmlns="http://www.w3.org/2000/svg">',
        *_axes(top, ""),
    ]
    for i, run in enumerate(runs):
        x = LEFT + slot * i + (slot - bar) / 2
        base = TOP + PLOT_H
        title = (
            f"run {run.run_id} ({run.started}): exit {run.exit_status}, {run.broken} broken, "
            f"{run.not_tested} not tested, {run.passed} passed"
        )
        out.append(f'<a href="#{_anchor(run)}" data-run="{escape(run.run_id)}"><title>{escape(title)}</title>')
        for name, colour in STACK:
            count = getattr(run, name)
            height = PLOT_H * count / top
            base -= height
            out.append(
                f'<rect class="{name}" data-count="{count}" x="{x:.2f}" y="{base:.2f}" '
                f'width="{bar:.2f}" height="{height:.2f}" fill="{colour}"/>'
            )
        out.append("</a>")
    out += _x_labels(runs)
    out.append(_legend((("broken", "#c62828"), ("not tested", "#f0a500"), ("passed", "#2e7d32"))))
    out.append("</svg>")
    return "".join(out)


def latency_chart(runs: tuple[RunPoint, ...]) -> str:
    """p50 and p95 per run in milliseconds: a line each, a point per run."""
    values = [v for r in runs for v in (r.p50_ms, r.p95_ms) if v is not None]
    top = max(values, default=0.0) or 1.0
    slot = _slot(len(runs))
    out = [
        f'<svg class="chart-latency" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        'aria-label="Latency per run: p50 and p95" xmlns="http://www.w3.org/2000/svg">',
        *_axes(top, " ms"),
    ]
    for field, colour, name in LINES:
        points = [
            (LEFT + slot * (i + 0.5), TOP + PLOT_H * (1 - v / top), run, v)
            for i, run in enumerate(runs)
            if (v := getattr(run, field)) is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.2f},{y:.2f}" for x, y, _, _ in points)
            out.append(f'<polyline class="{name}" points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y, run, v in points:
            title = f"run {run.run_id} ({run.started}): {name} {v:.1f} ms"
            out.append(
                f'<a href="#{_anchor(run)}" data-run="{escape(run.run_id)}"><title>{escape(title)}</title>'
                f'<circle class="{name}" data-ms="{v}" cx="{x:.2f}" cy="{y:.2f}" r="4" fill="{colour}"/></a>'
            )
    out += _x_labels(runs)
    out.append(_legend((("p50", "#1565c0"), ("p95", "#6a1b9a"))))
    out.append("</svg>")
    return "".join(out)


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def history_section(report: Report) -> list[str]:
    """The History section: the two charts, then one row per run they link to."""
    h = report.history
    if h is None:
        return []
    out = ['<section class="history">', "<h2>History</h2>"]
    if h.fixed:
        fixed = ", ".join(f"<code>{escape(r)}</code>" for r in h.fixed)
        out.append(f'<p><span class="badge h-fixed">fixed</span> since the last run: {fixed}</p>')
    out.append(
        f"<p>The last {len(h.runs)} run(s) of this target and contract, oldest first "
        f'(<code>{escape(h.db)}</code>). A bar or point links to its run below.</p>'
    )
    out += ["<h3>Rules per run</h3>", rules_chart(h.runs)]
    out += ["<h3>Latency per run (ms)</h3>", latency_chart(h.runs)]
    out.append(
        "<table><thead><tr><th>started</th><th>run</th><th class='n'>exit</th>"
        "<th class='n'>broken</th><th class='n'>not tested</th><th class='n'>passed</th>"
        "<th class='n'>p50 ms</th><th class='n'>p95 ms</th></tr></thead><tbody>"
    )
    for run in reversed(h.runs):
        out.append(
            f'<tr id="{_anchor(run)}"><td>{escape(run.started)}</td><td><code>{escape(run.run_id)}</code></td>'
            f'<td class="n">{run.exit_status}</td><td class="n">{run.broken}</td>'
            f'<td class="n">{run.not_tested}</td><td class="n">{run.passed}</td>'
            f'<td class="n">{_ms(run.p50_ms)}</td><td class="n">{_ms(run.p95_ms)}</td></tr>'
        )
    out += ["</tbody></table>", "</section>"]
    return out
