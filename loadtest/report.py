"""The summary table and verdict lines printed at the end, and the JSON file."""

import json
import math

COLUMNS = ("samples", "avg_ms", "min_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms", "error_pct", "throughput_per_s")
HEADERS = ("samples", "avg ms", "min ms", "p50 ms", "p95 ms", "p99 ms", "max ms", "error %", "per s")


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"


def table(summary: dict) -> str:
    rows = [("", *HEADERS)]
    for name, row in summary["latency"].items():
        rows.append((name, *(_cell(row[column]) for column in COLUMNS)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))
        for row in rows
    )


def verdict_lines(summary: dict) -> list[str]:
    connections, deliveries, history, tool = (summary[key] for key in ("connections", "deliveries", "history", "tool"))
    lines = [
        f"sent {summary['sent']:,} at {summary['rate_achieved']:,.1f}/s (target {summary['rate_target']:,.0f}/s), "
        f"acked {summary['acked']:,}",
        f"deliveries: expected {deliveries['expected']:,}, delivered {deliveries['delivered']:,}, "
        f"lost {deliveries['lost']:,}, duplicates {deliveries['duplicates']:,}",
        f"connections: {connections['opened']:,} of {connections['planned']:,} opened, failed {connections['failed'] or 0}, "
        f"dropped {connections['disconnects'] or 0}, {connections['open_at_end']:,} open at the end",
        f"error frames: {summary['errors'] or 'none'}",
    ]
    if history.get("error"):
        lines.append(f"history: {history['error']}")
    if history["missing"] is not None:
        drained = history["store_drained_s"]
        store = (
            f"message store caught up {drained:.2f} s after the last send"
            if drained is not None
            else "message store backlog not exported"
            if not history.get("store_exported", True)
            else "message store did not catch up in time"
        )
        lines.append(
            f"history: {history['checked_channels']} channels checked, {history['missing']} messages missing; {store}"
        )
    cpu = tool["cpu_mean_by_process"]
    busy = summary["machine"]["cpu_busy_share"]
    lines.append(
        f"load tool: {summary['processes']} process(es), CPU {', '.join(f'{100 * c:.0f}%' for c in cpu) or '-'} of a core "
        f"while sending (loop lag max {tool['loop_lag_max_ms']:.0f} ms); machine busy "
        f"{'-' if busy is None else f'{100 * busy:.0f}%'}, load average {summary['machine']['load_average']}"
    )
    if tool["saturated"]:
        lines.append(
            "WARNING: the load tool itself was saturated (a process near 100% of a core): the figures show the tool's "
            "limit, not the server's. Run with more --processes, or from another machine."
        )
    if summary["rate_achieved"] < 0.97 * summary["rate_target"]:
        lines.append(
            "WARNING: the tool could not send at the target rate (its sockets pushed back or it ran out of CPU)."
        )
    return lines


def render(summary: dict) -> str:
    title = f"== {summary['label']}" if summary.get("label") else "== load run"
    return "\n".join([title, table(summary), *verdict_lines(summary)])


def write_json(summary: dict, path: str) -> None:
    def clean(value):
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, dict):
            return {str(key): clean(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [clean(item) for item in value]
        return value

    with open(path, "w") as handle:
        json.dump(clean(summary), handle, indent=1)
