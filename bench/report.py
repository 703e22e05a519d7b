"""BENCHMARKS.md: the figures of one bench run, the machine, the versions, the command, the ratios."""

import datetime
import math
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from bench.scenarios import Figure, Sizes

PACKAGES = (
    "Django",
    "channels",
    "channels-redis",
    "daphne",
    "Twisted",
    "autobahn",
    "websockets",
    "redis",
    "celery",
    "psycopg",
    "uvloop",
    "granian",
    "uvicorn",
    "hypercorn",
    "msgspec",
)
SERVER_TITLES = {
    "product": "product (uvicorn)",
    "product-granian": "product on granian",
    "product-hypercorn": "product on hypercorn",
    "product-daphne": "product on daphne",
    "product-uvicorn-cli": "product on uvicorn's command-line defaults",
    "product-cluster": "product on a Redis Cluster (3 primaries + 3 replicas)",
    "channels-tutorial": "Channels tutorial",
    "bare-websockets": "bare websockets (ceiling)",
    "bare-granian": "bare ASGI on granian",
}


def _ms(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def _find(figures: list[Figure], scenario: str, server: str) -> Figure | None:
    return next((f for f in figures if f.scenario == scenario and f.server == server), None)


def machine_facts() -> list[str]:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            model = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return [
        f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB memory, Linux {platform.release()}",
        "limits for 10,000 sockets: " + ", ".join(f"{name} {value}" for name, value in kernel_limits().items()),
        "shared with other engineers' test runs: every figure carries the load average before and after it and "
        "the CPU that went to other processes; a run with more than a quarter of a core for others is run again "
        "(test runs started under `nice -n 19` take only the cores a run leaves idle and are not counted)",
    ]


def kernel_limits() -> dict[str, str]:
    """What 10,000 connections on loopback need: file descriptors, ephemeral ports, accept backlog."""
    import resource

    limits = {"open files (bench, raised)": str(resource.getrlimit(resource.RLIMIT_NOFILE)[0])}
    for name in ("fs/file-max", "fs/nr_open", "net/ipv4/ip_local_port_range", "net/core/somaxconn"):
        try:
            limits[name.replace("/", ".")] = Path(f"/proc/sys/{name}").read_text().split("\n")[0].replace("\t", "-")
        except OSError:
            continue
    return limits


def versions(redis_url: str, database_url: str) -> str:
    parts = [f"Python {platform.python_version()}"]
    for package in PACKAGES:
        try:
            parts.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            continue
    try:
        import redis

        parts.append(f"Redis server {redis.Redis.from_url(redis_url).info('server')['redis_version']}")
    except Exception:  # noqa: BLE001 - a missing version is not worth failing the report
        pass
    try:
        import psycopg

        with psycopg.connect(database_url) as connection:
            parts.append(f"PostgreSQL {connection.execute('SHOW server_version').fetchone()[0].split()[0]}")
    except Exception:  # noqa: BLE001
        pass
    return ", ".join(parts)


def _commit() -> str:
    finished = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return finished.stdout.strip() or "unknown"


def run_row(figure: Figure) -> str:
    summary, observation = figure.summary, figure.observation
    latency = summary["latency"]
    deliveries, connections = summary["deliveries"], summary["connections"]
    history = summary["history"]
    store = history.get("store_drained_s")
    cpu = summary["tool"]["cpu_mean_by_process"]
    return (
        f"| {figure.scenario} | {SERVER_TITLES[figure.server]} | {summary['shape']['users']:,}/"
        f"{summary['shape']['channels']:,}/{summary['shape']['per_channel']} | {summary['rate_target']:,.0f} | "
        f"{summary['rate_achieved']:,.0f} | {deliveries['expected']:,} | {deliveries['lost']:,} | "
        f"{deliveries['duplicates']:,} | {_ms(latency['connect']['p99_ms'])} | {_ms(latency['ack']['p99_ms'])} | "
        f"{_ms(latency['delivery']['p50_ms'])} | {_ms(latency['delivery']['p99_ms'])} | "
        f"{_ms(latency['delivery']['max_ms'])} | {connections['opened']:,}/{connections['planned']:,} | "
        f"{sum(connections['disconnects'].values())} | "
        f"{'-' if store is None else f'{store:.1f} s'} | "
        f"{'/'.join(f'{c:.0%}' for c in cpu) or '-'}{' saturated' if summary['tool']['saturated'] else ''} | "
        f"{observation.busy_cores:.2f} | {observation.foreign_cores:.2f} | "
        f"{observation.load_before[0]} → {observation.load_after[0]} | {observation.attempts} | "
        f"{'yes' if figure.passed else 'no'} |"
    )


def _servers(figures: list[Figure]) -> list[str]:
    return [server for server in SERVER_TITLES if any(f.server == server for f in figures)]


def node_ms_per_message(figure: Figure) -> float | None:
    """CPU of the web nodes (or the one server process) per message sent, in milliseconds."""
    cores = figure.observation.extra.get("cores_by_process", {})
    node_cores = sum(value for name, value in cores.items() if name.startswith("web")) or sum(
        value for name, value in cores.items() if name == figure.server
    )
    rate = figure.summary["rate_achieved"]
    return node_cores / rate * 1000 if rate and node_cores else None


def web_server_limit_cells(figure: Figure | None) -> list[str]:
    if figure is None:
        return ["-"] * 4
    extra = figure.extra
    oversized = "-"
    if "oversized" in extra:
        oversized = f"{extra['oversized']}, {extra['oversized_rss_growth_mib']:.1f} MiB"
    return [
        f"{_ms(extra.get('memory_per_connection_kib'))} KiB",
        extra.get("extensions", "-"),
        oversized,
        str(extra.get("flood_close", "-")),
    ]


def web_server_table(figures: list[Figure]) -> list[str]:
    """The product's consumer on each web server tried, and the bare servers: the websockets ceiling and
    the same rooms as a bare ASGI application on granian (what ASGI there costs with no consumer at all)."""
    servers = [server for server in _servers(figures) if server.startswith("product") or server.startswith("bare")]
    if len(servers) < 2:
        return []
    lines = [
        "## Web servers: the product's consumer on each, and the bare servers",
        "",
        "| server | m. memory per idle subscribed connection | m. extensions | m. 40 MB message: answer, node RSS "
        "growth | m. flood closed while sending: client saw | 1. memory per connection | 2. lost / p99 | 3. highest sustained | 3. node CPU per message | "
        "3. / ceiling | 4b. highest sustained | 4b. node CPU per message | 4b. / ceiling |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for server in servers:
        cells = web_server_limit_cells(_find(figures, "m", server))
        hold = _find(figures, "1", server)
        cells.append("-" if hold is None else f"{_ms(hold.extra.get('memory_per_connection_kib'))} KiB")
        rooms = _find(figures, "2", server)
        cells.append(
            "-"
            if rooms is None
            else f"{rooms.summary['deliveries']['lost']:,} / {_ms(rooms.summary['latency']['delivery']['p99_ms'])} ms"
        )
        for scenario in ("3", "4b"):
            figure, ceiling = _find(figures, scenario, server), _find(figures, scenario, "bare-websockets")
            if figure is None:
                cells += ["-", "-", "-"]
                continue
            per_message = node_ms_per_message(figure)
            cells.append(f"{figure.summary['rate_achieved']:,.0f} msg/s")
            cells.append("-" if per_message is None else f"{per_message:.2f} ms")
            cells.append(
                f"{figure.summary['rate_achieved'] / ceiling.summary['rate_achieved']:.0%}"
                if ceiling and ceiling.summary["rate_achieved"]
                else "-"
            )
        lines.append(f"| {SERVER_TITLES[server]} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Node CPU per message: the web nodes' CPU during the kept run of the rate search divided by the "
        "messages sent (the bare server: its one process). m: the nodes' RSS growth per socket with 2,000 "
        "signed-in sockets subscribed and idle, after the warm-up; the client offers no extension; the 40 MB "
        "message comes in 1 MB fragments from a signed-in user, and the growth is the node's peak RSS while it "
        "arrives; the flood is 20,000 typing frames sent without reading (4429 after `rate_limited`; 1006 is a "
        "reset that the close frame did not outrun). m runs before the other scenarios' warm-up, after one of "
        "its own with 20 sockets: memory that 1,000 sockets of a warm-up freed would be counted as free.",
        "",
    ]
    return lines


def day_table(figures: list[Figure]) -> list[str]:
    """Scenario d, a messenger's day: connections, memory, delivery and the CPU each message costs while
    the clients send (the connecting phase left out), the nodes apart and the whole stack."""
    days = [figure for figure in figures if figure.scenario == "d"]
    if not days:
        return []
    lines = [
        "## A messenger's day (scenario d)",
        "",
        "| server | shape | connections held | node RSS per connection | messages/s sent | deliveries/s "
        "(`message`) | frames/s received, all types | delivery p50 / p99 | node CPU per message | whole stack CPU "
        "per message | cores while sending: nodes / worker+beat / PostgreSQL+Redis | other processes' cores | "
        "typing, reads sent; edits, reactions made | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for figure in days:
        summary, observation = figure.summary, figure.observation
        shape, connections = summary["shape"], summary["connections"]
        delivery = summary["latency"]["delivery"]
        seconds = summary["duration_s"] or 1
        rate = summary["rate_achieved"]
        cores = observation.extra.get("cores_while_sending") or {}
        nodes = sum(value for name, value in cores.items() if name.startswith("web"))
        celery = sum(value for name, value in cores.items() if name.startswith(("worker", "beat")))
        services = cores.get("postgres+redis", 0.0)
        whole = sum(cores.values())
        actions = summary.get("actions", {})
        frames = sum(summary.get("frames_received", {}).values()) / seconds
        lines.append(
            f"| {SERVER_TITLES[figure.server]} | {shape['users']:,} users, {shape['channels']:,} rooms of "
            f"{shape['per_channel']} to {shape.get('largest') or shape['per_channel']} | "
            f"{connections['open_at_end']:,} of {connections['planned']:,} ({sum(connections['disconnects'].values())} "
            f"dropped) | {_ms(figure.extra.get('memory_per_connection_kib'))} KiB | {rate:,.1f} | "
            f"{delivery['throughput_per_s']:,.0f} | {frames:,.0f} | {_ms(delivery['p50_ms'])} / "
            f"{_ms(delivery['p99_ms'])} ms | "
            + (f"{nodes / rate * 1000:.2f} ms | {whole / rate * 1000:.2f} ms | " if rate and cores else "- | - | ")
            + f"{nodes:.2f} / {celery:.2f} / {services:.2f} | {observation.foreign_cores:.2f} | "
            f"{actions.get('typing', 0):,}, {actions.get('read', 0):,}; {actions.get('edit', 0):,}, "
            f"{actions.get('reaction', 0):,} | {', '.join(f'{k} {v}' for k, v in summary['errors'].items()) or 'none'} |"
        )
    lines += [
        "",
        "CPU per message: the processes' CPU between the first and the last second of sending (after every "
        "connection opened) over the messages sent; a message here brings its typing frames, the reads of "
        "everyone who gets it (their receipts to the room) and its share of edits and reactions. RSS per "
        "connection: the nodes' peak RSS growth over the run per connection opened. The machine is 2 cores "
        "shared with other engineers' test runs: compare ratios within one run.",
        "",
    ]
    return lines


def summary_table(figures: list[Figure], sizes: Sizes) -> list[str]:
    servers = [
        server
        for server in _servers(figures)
        if server in ("product", "channels-tutorial", "bare-websockets", "bare-granian")
    ]
    lines = [
        "| scenario | " + " | ".join(SERVER_TITLES[s] for s in servers) + " | product / ceiling |",
        "|---" * (len(servers) + 2) + "|",
    ]

    def cell(scenario: str, server: str, describe) -> str:
        figure = _find(figures, scenario, server)
        return "not run" if figure is None else describe(figure)

    def hold(f: Figure) -> str:
        c = f.summary["connections"]
        memory = f.extra.get("memory_per_connection_kib")
        return (
            f"{c['open_at_end']:,} of {c['planned']:,} open at the end, {sum(c['disconnects'].values())} dropped, "
            f"{_ms(memory)} KiB per connection, connect p99 {_ms(f.summary['latency']['connect']['p99_ms'])} ms"
        )

    def rooms(f: Figure) -> str:
        d = f.summary["deliveries"]
        return (
            f"lost {d['lost']:,} of {d['expected']:,}, delivery p99 "
            f"{_ms(f.summary['latency']['delivery']['p99_ms'])} ms"
        )

    def rate(f: Figure) -> str:
        failed_at = f.extra.get("failed_at")
        return (
            f"**{f.summary['rate_achieved']:,.0f} msg/s** ({f.summary['latency']['delivery']['throughput_per_s']:,.0f} "
            f"deliveries/s, p99 {_ms(f.summary['latency']['delivery']['p99_ms'])} ms)"
            + (f"; failed at {failed_at:,.0f}" if failed_at else "")
        )

    def seeds(f: Figure) -> str:
        d, history = f.summary["deliveries"], f.summary["history"]
        store = history.get("store_drained_s")
        return (
            f"{f.summary['rate_achieved']:,.0f} msg/s: lost {d['lost']:,} of {d['expected']:,}, p99 "
            f"{_ms(f.summary['latency']['delivery']['p99_ms'])} ms"
            + (f", in the store {store:.1f} s after the run" if store is not None else "")
            + (f", {history['missing']} missing from history" if history.get("missing") else "")
        )

    def ratio(scenario: str, reference: str = "bare-websockets") -> str:
        product, ceiling = _find(figures, scenario, "product"), _find(figures, scenario, reference)
        if product is None or ceiling is None or not ceiling.summary["rate_achieved"]:
            return "-"
        return f"**{product.summary['rate_achieved'] / ceiling.summary['rate_achieved']:.0%}**"

    shape, seed = sizes.room_shape, sizes.seed_shape

    def idle(f: Figure) -> str:
        return f"{_ms(f.extra.get('memory_per_connection_kib'))} KiB per connection"

    if any(f.scenario == "m" for f in figures):
        lines.append(
            f"| m. {sizes.idle_users:,} signed-in sockets subscribed and idle | "
            + " | ".join(cell("m", s, idle) for s in servers)
            + " | |"
        )
    lines.append(
        f"| 1. {sizes.hold_users:,} connections held {sizes.hold_seconds:.0f} s | "
        + " | ".join(cell("1", s, hold) for s in servers)
        + " | |"
    )
    lines.append(f"| 2. {shape.describe()}, 100 msg/s | " + " | ".join(cell("2", s, rooms) for s in servers) + " | |")
    lines.append(
        "| 2r. the same, every client marking what it reads (read receipts) | "
        + " | ".join(cell("2r", s, rooms) for s in servers)
        + " | |"
    )
    lines.append(
        "| 3. highest sustained rate, same shape | "
        + " | ".join(cell("3", s, rate) for s in servers)
        + f" | {ratio('3')} |"
    )
    lines.append(
        f"| 4. {seed.describe()}, {sizes.seed_rate:,.0f} msg/s | "
        + " | ".join(cell("4", s, seeds) for s in servers)
        + " | |"
    )
    lines.append(
        "| 4b. highest sustained rate in the seeds' shape | "
        + " | ".join(cell("4b", s, rate) for s in servers)
        + f" | {ratio('4b')} |"
    )
    if any(f.scenario == "4r" for f in figures):
        lines.append(
            "| 4r. the same search with every client marking what it reads (the reference servers: no reads) | "
            + " | ".join(cell("4r", s, rate) for s in servers)
            + f" | {ratio('4r', 'bare-granian')} of the ASGI floor (bare ASGI) |"
        )
    return lines


def plot_links(plots: Path, base: Path) -> list[str]:
    """Latency and throughput over time of the runs that drew one (scenarios 2 and 4)."""
    lines = []
    for image in sorted(plots.glob("*.png")):
        title = image.stem.replace("-", ", ", 1)
        lines += [f"![{title}]({image.relative_to(base)})", ""]
    return ["## Latency and throughput over time", "", *lines] if lines else []


def write(
    path: Path,
    *,
    figures: list[Figure],
    sizes: Sizes,
    command: str,
    stack: str,
    redis_url: str,
    database_url: str,
    notes: str,
    started: datetime.datetime,
    plots: Path,
) -> None:
    header = (
        "| scenario | server | users/channels/per channel | target msg/s | sent msg/s | deliveries expected | lost | "
        "duplicates | connect p99 ms | ack p99 ms | delivery p50 ms | delivery p99 ms | delivery max ms | opened | "
        "dropped | in store after | load tool CPU | machine cores busy | other processes cores | load average "
        "(1 min) | attempts | sustained |"
    )
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{command}` on {started:%Y-%m-%d %H:%M} UTC (commit {_commit()}). Regenerate with the same "
        'command; `bin/bench --help` lists the options. The load tool is `python -m loadtest` (README, "Load '
        'testing"); every figure below is one of its runs.',
        "",
        "## Machine and versions",
        "",
        *[f"- {fact}" for fact in machine_facts()],
        f"- {versions(redis_url, database_url)}",
        f"- product stack: {stack}",
        "- reference servers, one process each, same frames as the product (bench/): the Channels tutorial "
        "consumer (`group_send` per message, one channel-layer hop per recipient) on RedisChannelLayer under "
        "daphne, and a bare `websockets` server with `websockets.broadcast` (no accounts, no database, no "
        "persistence: the ceiling for Python here); with `--servers bare-granian`, the same rooms as a bare "
        "ASGI application on granian, each frame awaited through the product's outbox (the floor of any ASGI "
        "consumer there)",
        "- the load tool runs on the same 2 cores as the servers; its own CPU is in every row, and it says when "
        "it was saturated",
        "- each server first gets a 5-second warm-up run at 20 msg/s that is not kept (a fresh process pays "
        "once for connection pools and caches); a run with more than a quarter of a core going to other "
        "processes is run again (at most three times, the least disturbed one is kept); the rate searches "
        "(3, 4b) double the rate until a run is not sustained, then bisect",
        "",
        "## Summary",
        "",
        *summary_table(figures, sizes),
        "",
        *web_server_table(figures),
        *day_table(figures),
        "Sustained = no message lost or duplicated, every send acknowledged, no connection failed or dropped, the "
        "target rate held, delivery p99 under 1 s. Rates are messages sent per second; each is delivered to every "
        "member of its channel (the sender too).",
        "",
        *plot_links(plots, path.parent),
        "## Every kept run",
        "",
        header,
        "|" + "---|" * (header.count("|") - 1),
        *[run_row(figure) for figure in figures],
        "",
        notes.strip(),
        "",
    ]
    path.write_text("\n".join(lines))
