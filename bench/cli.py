"""bin/bench: the product's production stack and the two reference servers, the four scenarios, BENCHMARKS.md."""

import argparse
import datetime
import signal
import sys
import time
from pathlib import Path

from bench import report, stack
from bench.processes import ROOT
from bench.scenarios import Bench, Sizes
from loadtest.limits import raise_open_file_limit

SERVERS = (
    "product",
    "product-granian",
    "product-hypercorn",
    "product-daphne",
    "product-uvicorn-cli",
    "product-cluster",
    "channels-tutorial",
    "bare-websockets",
    "bare-granian",
)
DEFAULT_SERVERS = ("product", "channels-tutorial", "bare-websockets")
SEARCH_START_RATE = 50


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bin/bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small shapes and short runs: a smoke run of the bench")
    parser.add_argument(
        "--scenarios",
        default="m,1,2,3,4",
        help="which scenarios (default m,1,2,3,4); m: memory per idle subscribed socket at 2,000, a 40 MB "
        "message, a flood closed while still sending (bench/limits.py); d: a messenger's day (20,000 "
        "connections in rooms of 5 to 50, 2 %% of users sending a minute, reads, typing, edits, reactions); 4r: "
        "the rate search of 4b with every client marking what it reads (the reference servers: plain 4b)",
    )
    parser.add_argument(
        "--servers",
        default=",".join(DEFAULT_SERVERS),
        help=f"which of {', '.join(SERVERS)} (default {','.join(DEFAULT_SERVERS)}); product is the "
        "production launcher on its default server (uvicorn); product-granian, product-hypercorn and product-daphne "
        "are the product on those servers; product-uvicorn-cli is uvicorn's own command with its defaults "
        "(permessage-deflate, 16 MiB messages); product-cluster is the product "
        "with its realtime path on a Redis Cluster of its own (three primaries, a replica each); bare-granian is "
        "the bare server's rooms as a plain ASGI application on granian (the floor of ASGI there)",
    )
    parser.add_argument(
        "--keep-disturbed",
        action="store_true",
        help="keep every run as it ran, with the CPU other processes took beside it, instead of running a "
        "disturbed one again (up to three times): for a machine that is never quiet",
    )
    parser.add_argument("--nodes", type=int, default=2, help="web nodes of the product (default 2)")
    parser.add_argument("--workers", type=int, default=1, help="Celery workers of the product (default 1)")
    parser.add_argument("--port", type=int, default=9300, help="first port of the servers (default 9300)")
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/messenger_bench_run",
        help="the bench's own PostgreSQL database; dropped and created again",
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/10",
        help="the bench's own Redis database; emptied before each server starts",
    )
    parser.add_argument(
        "--redis-persistence",
        choices=sorted(stack.REDIS_PERSISTENCE),
        default="none",
        help="the product's Redis: none (the --redis-url database, no append-only file), aof (a Redis of its "
        "own with appendfsync everysec) or fsync (appendfsync always); default none",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--var", type=Path, default=ROOT / "var" / "bench", help="logs and plans")
    return parser.parse_args(argv)


def say(text: str) -> None:
    print(f"{datetime.datetime.now():%H:%M:%S} {text}", flush=True)


def build_server(name: str, args: argparse.Namespace):
    var = args.var
    if name in stack.WEB_SERVERS:
        return stack.ProductStack(
            name=name,
            nodes=args.nodes,
            workers=args.workers,
            port=args.port,
            database_url=args.database_url,
            redis_url=args.redis_url,
            var=var,
            redis_persistence=args.redis_persistence,
        )
    if name == "channels-tutorial":
        return stack.tutorial_server(port=args.port + 50, redis_url=args.redis_url, var=var)
    if name == "bare-granian":
        return stack.asgi_floor_server(port=args.port + 70, var=var)
    return stack.websockets_server(port=args.port + 60, var=var)


def run_server(bench: Bench, server, scenarios: set[str]) -> None:
    sizes = bench.sizes
    say(f"{server.name}: starting")
    try:
        server.start()  # inside: what started before a failure is stopped too
        if "m" in scenarios:  # first: its memory figure must not land on what a warm-up freed
            say(f"{server.name}: scenario m, {sizes.idle_users:,} idle subscribed sockets, then the limits")
            bench.web_server_limits(server)
        if scenarios - {"m"}:
            say(f"{server.name}: warm-up run (not kept)")
            bench.warm_up(server)
        if "1" in scenarios:
            say(f"{server.name}: scenario 1, {sizes.hold_users:,} connections held {sizes.hold_seconds:.0f} s")
            bench.hold(server)
        if "2" in scenarios:
            say(f"{server.name}: scenario 2, {sizes.room_shape.describe()} at 100 msg/s")
            bench.rooms(server)
            if server.name in stack.WEB_SERVERS:  # the reference servers know no read receipts
                say(f"{server.name}: scenario 2r, the same with every client marking what it reads")
                bench.rooms(server, reads=True)
        if "3" in scenarios:
            say(f"{server.name}: scenario 3, the highest sustained rate in that shape")
            bench.highest_rate(server, "3", sizes.room_shape, start=SEARCH_START_RATE, processes=2)
        if "4" in scenarios and server.name != "channels-tutorial":
            say(f"{server.name}: scenario 4, {sizes.seed_shape.describe()} at {sizes.seed_rate:,.0f} msg/s")
            bench.seeds(server)
            say(f"{server.name}: scenario 4b, the highest sustained rate in the seeds' shape")
            bench.highest_rate(server, "4b", sizes.seed_shape, start=sizes.seed_rate / 8, processes=2)
        if "4r" in scenarios and server.name != "channels-tutorial":
            # The product with read receipts on; the reference servers know none: their 4b is the floor.
            reads = server.name in stack.WEB_SERVERS
            say(f"{server.name}: scenario 4r, the highest sustained rate in the seeds' shape{', reads on' * reads}")
            bench.highest_rate(
                server,
                "4r",
                sizes.seed_shape,
                start=sizes.seed_rate / 8,
                processes=2,
                extra_args=["--reads"] if reads else [],
            )
        if "d" in scenarios and server.name in stack.WEB_SERVERS:  # edits and reactions need the product's API
            say(f"{server.name}: scenario d, a messenger's day: {sizes.day_shape.describe()}")
            bench.day(server)
    finally:
        say(f"{server.name}: stopping")
        server.stop()


NOTES_FILE = Path(__file__).with_name("NOTES.md")


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    missing = [program for program in map(stack.program_missing, args.servers.split(",")) if program]
    if missing:  # found now, not an hour into the run
        say(f"not installed: {', '.join(missing)} (bin/setup requirements-dev.txt)")
        return 2
    # Stopped from outside: unwind, so every server started so far is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    raise_open_file_limit()  # the servers and the load tool inherit it: 10,000 sockets each side
    sizes = Sizes.quick() if args.quick else Sizes()
    args.var.mkdir(parents=True, exist_ok=True)
    plots = args.output.parent / "benchmarks"  # next to BENCHMARKS.md, which links them
    plots.mkdir(parents=True, exist_ok=True)
    for stale in plots.glob("*.png"):  # of an earlier run: BENCHMARKS.md is written anew
        stale.unlink()
    scenarios = set(args.scenarios.split(","))
    bench = Bench(sizes, plots, say=say, rerun_disturbed=not args.keep_disturbed)
    started = datetime.datetime.now(datetime.UTC)
    say("limits: " + ", ".join(f"{k} {v}" for k, v in report.kernel_limits().items()))
    begun = time.monotonic()
    product = None
    for name in args.servers.split(","):
        server = build_server(name, args)
        product = server if name in stack.WEB_SERVERS else product
        run_server(bench, server, scenarios)
    command = " ".join(["bin/bench", *(sys.argv[1:] if argv is None else argv)])
    stack_text = (
        f"{args.nodes} web nodes (`python -m chat.realtime.server`, the load tool spreads clients over them), "
        f"{args.workers} Celery worker (threads pool) and one beat, PostgreSQL (accounts, SQL message store: no "
        "MongoDB on this machine) and Redis, all on this machine; DEBUG off, JSON logs; per-connection send limit "
        "raised to 1,000/s (the runs send at most a few messages per user per second)"
    )
    report.write(
        args.output,
        plots=plots,
        figures=bench.figures,
        sizes=sizes,
        command=command,
        stack=stack_text,
        redis_url=args.redis_url,
        database_url=args.database_url,
        notes=NOTES_FILE.read_text() if NOTES_FILE.exists() else "",
        started=started,
    )
    say(f"wrote {args.output} in {(time.monotonic() - begun) / 60:.0f} minutes")
    return 0
