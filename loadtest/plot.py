"""The PNG: delivery latency, throughput and the tool's own CPU over the run, second by second."""

import matplotlib

matplotlib.use("Agg")  # files only; no display

import matplotlib.pyplot as plt  # noqa: E402


def write_png(summary: dict, path: str) -> None:
    series = summary["timeseries"]
    seconds = series["second"]
    figure, (latency, throughput, cpu) = plt.subplots(3, 1, figsize=(10, 9), sharex=True)
    title = summary.get("label") or "load run"
    figure.suptitle(
        f"{title}: {summary['connections']['planned']:,} clients, {summary['rate_target']:,.0f} msg/s target, "
        f"lost {summary['deliveries']['lost']:,}"
    )

    latency.plot(seconds, series["delivery_p50_ms"], label="delivery p50")
    latency.plot(seconds, series["delivery_p99_ms"], label="delivery p99")
    latency.set_ylabel("ms")
    if any(value and value > 0 for value in series["delivery_p99_ms"]):
        latency.set_yscale("log")
    latency.legend(loc="upper left")
    latency.grid(True, alpha=0.3)

    throughput.plot(seconds, series["sent"], label="sent/s")
    throughput.plot(seconds, series["acked"], label="acked/s")
    throughput.plot(seconds, series["delivered"], label="delivered/s")
    throughput.set_ylabel("per second")
    throughput.legend(loc="upper left")
    throughput.grid(True, alpha=0.3)

    workers = sorted({worker for _, worker, _ in series["tool_cpu"]})
    for worker in workers:
        points = [(at, share * 100) for at, w, share in series["tool_cpu"] if w == worker and at >= 0]
        cpu.plot([at for at, _ in points], [value for _, value in points], label=f"load process {worker}")
    cpu.axhline(100, color="grey", linestyle="--", linewidth=0.8)
    cpu.set_ylabel("tool CPU % of a core")
    cpu.set_xlabel("seconds since sending started")
    cpu.legend(loc="upper left")
    cpu.grid(True, alpha=0.3)

    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
