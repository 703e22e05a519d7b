"""Command line of the load tool: `python -m loadtest --help`."""

import argparse
import sys

from loadtest import provisioning
from loadtest.report import render, write_json
from loadtest.runner import RunConfig, Runner, http_url

EXAMPLES = """
examples:
  # 1,000 users in 20 channels of 50, 100 messages/s for 30 s, spread over two nodes
  python -m loadtest --url http://127.0.0.1:8001 --url http://127.0.0.1:8002 \\
      --users 1000 --channels 20 --per-channel 50 --rate 100 --duration 30 --json run.json --plot run.png
  # against a remote deployment (REST sign-up: raise THROTTLE_SIGNUP/THROTTLE_SIGNIN there first)
  python -m loadtest --url https://chat.example.com --provision rest --users 200 --channels 20 --per-channel 10
"""


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest",
        description="Load the messenger's /ws/ with N users in R channels and measure latency, loss and duplicates.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    target = parser.add_argument_group("target")
    target.add_argument(
        "--url",
        action="append",
        help="a node or balancer (http(s):// or ws(s)://...); repeat to "
        "spread clients over several nodes (default http://127.0.0.1:8000)",
    )
    target.add_argument("--origin", help="Origin header of the handshakes (default: the node's own address)")
    shape = parser.add_argument_group("shape")
    shape.add_argument("--users", type=int, default=200, help="connections, one per user (default 200)")
    shape.add_argument("--channels", type=int, default=20, help="channels (default 20)")
    shape.add_argument("--per-channel", type=int, help="members per channel (default users / channels)")
    shape.add_argument(
        "--largest-channel",
        type=int,
        help="rooms of mixed sizes from --per-channel up to this, every user in one (--channels is then ignored)",
    )
    load = parser.add_argument_group("load")
    load.add_argument("--rate", type=float, default=100, help="messages per second, all senders together (default 100)")
    load.add_argument(
        "--duration",
        type=float,
        default=20,
        help="seconds of sending (0 with --rate 0 holds the connections; default 20)",
    )
    load.add_argument("--ramp", type=float, default=5, help="seconds over which the connections open (default 5)")
    load.add_argument(
        "--drain",
        type=float,
        default=10,
        help="at most this many seconds for the last acks and deliveries after sending (default 10)",
    )
    load.add_argument("--body-bytes", type=int, default=64, help="message body size (default 64)")
    load.add_argument(
        "--reads",
        action="store_true",
        help="every client marks what it received as read, at most once a second a channel (read receipts on)",
    )
    load.add_argument("--typing", type=float, default=0, help="typing frames sent before each message (default 0)")
    load.add_argument(
        "--edits", type=float, default=0, help="edits (REST) of the sender's latest message per message (default 0)"
    )
    load.add_argument(
        "--reactions",
        type=float,
        default=0,
        help="reactions (REST) to the latest message the sender received, per message (default 0)",
    )
    load.add_argument("--processes", type=int, default=1, help="load processes; more when one saturates (default 1)")
    load.add_argument("--connect-concurrency", type=int, default=200, help="handshakes in flight per process")
    users = parser.add_argument_group("users and channels")
    users.add_argument(
        "--provision",
        choices=["auto", "command", "rest", "none"],
        default="auto",
        help="command: python -m loadtest.database here (needs the deployment's DATABASE_URL and "
        "DJANGO_SECRET_KEY); rest: sign up through the API; none: ids only, for servers without "
        "accounts; auto: command when manage.py is here and the target is this machine, else rest",
    )
    users.add_argument("--plan", help="use a plan written by python -m loadtest.database instead of provisioning")
    users.add_argument("--token-hours", type=float, default=12, help="access token lifetime for --provision command")
    output = parser.add_argument_group("output")
    output.add_argument(
        "--history-channels",
        type=int,
        default=100,
        help="channels whose history is checked after the run (0: none; default 100)",
    )
    output.add_argument("--json", help="write the full summary (and per-second series) to this file")
    output.add_argument("--plot", help="write a PNG of latency, throughput and the tool's CPU over time")
    output.add_argument("--label", default="", help="a title for the table, the JSON and the plot")
    output.add_argument(
        "--check",
        action="store_true",
        help="exit 1 on any loss, duplicate, failed or dropped connection, or message missing from history",
    )
    args = parser.parse_args(argv)
    args.url = args.url or ["http://127.0.0.1:8000"]
    args.per_channel = args.per_channel or max(1, args.users // args.channels)
    return args


def make_plan(args: argparse.Namespace) -> provisioning.Plan:
    if args.plan:
        return provisioning.load_plan(args.plan)
    shape = {"users": args.users, "channels": args.channels, "per_channel": args.per_channel}
    if args.largest_channel:
        shape["largest"] = args.largest_channel
    method = args.provision
    if method == "auto":
        method = "command" if provisioning.command_available(args.url[0]) else "rest"
    print(
        f"provisioning {args.users} users in {args.channels} channels of {args.per_channel} ({method})", file=sys.stderr
    )
    if method == "none":
        return provisioning.synthetic_plan(**shape)
    if method == "command":
        return provisioning.plan_with_command(**shape, token_hours=args.token_hours)
    return provisioning.plan_with_rest(base_url=http_url(args.url[0]), **shape)


def failed(summary: dict) -> bool:
    connections, deliveries = summary["connections"], summary["deliveries"]
    return bool(
        deliveries["lost"]
        or deliveries["duplicates"]
        or connections["failed"]
        or connections["disconnects"]
        or summary["history"]["missing"]
        or summary["history"].get("error")
    )


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        plan = make_plan(args)
    except provisioning.ProvisioningError as error:
        print(f"provisioning failed: {error}", file=sys.stderr)
        return 2
    config = RunConfig(
        urls=args.url,
        rate=args.rate,
        duration=args.duration,
        ramp=args.ramp,
        drain=args.drain,
        processes=args.processes,
        connect_concurrency=args.connect_concurrency,
        body_bytes=args.body_bytes,
        reads=args.reads,
        typing_per_message=args.typing,
        edits_per_message=args.edits,
        reactions_per_message=args.reactions,
        origin=args.origin,
        history_channels=args.history_channels,
        label=args.label,
        shape={
            "users": len(plan.users),
            "channels": len(plan.channels),
            "per_channel": args.per_channel,
            "largest": args.largest_channel,
        },
    )
    summary = Runner(config, plan).run()
    print(render(summary))
    if args.json:
        write_json(summary, args.json)
    if args.plot:
        from loadtest.plot import write_png

        write_png(summary, args.plot)
    return 1 if args.check and failed(summary) else 0
