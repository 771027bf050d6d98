"""deerdesk-cli: DeerDesk's engine without a window, for scripts and batch work."""

from __future__ import annotations

import argparse
import asyncio
import sys

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_UNREACHABLE = 4
EXIT_TASK_FAILED = 5


def _add_sim_parser(commands: argparse._SubParsersAction) -> None:
    sim = commands.add_parser("sim", help="run the service simulator on loopback")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    sim.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="KEY[:STATE]",
        help="accepted key (repeatable); STATE is ok, expired, arrears, pack, no-permission, "
        "ip, account or not-yet-valid. Default: the demo key",
    )
    sim.add_argument("--processing-seconds", type=float, default=5.0)
    sim.add_argument("--fault-rate", type=float, default=0.0, help="0..1 of requests faulted")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--expire-seconds", type=float, default=30 * 86400)
    sim.add_argument("--refuse-word", default="forbidden", help="prompts with it get 1301")
    sim.add_argument("--fail-word", default="unsafe", help="prompts with it end failed")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deerdesk-cli", description="DeerDesk's text-to-audio engine from the command line."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    _add_sim_parser(commands)
    return parser


def run_sim(args: argparse.Namespace) -> int:
    from deerdesk.sim.config import DEMO_KEY, SimConfig
    from deerdesk.sim.server import serve_until_stopped

    if not 0 <= args.fault_rate <= 1:
        print("deerdesk-cli: --fault-rate must be between 0 and 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        keys = dict(SimConfig.parse_key(spec) for spec in args.key) or {DEMO_KEY: "ok"}
    except ValueError as exc:
        print(f"deerdesk-cli: {exc}", file=sys.stderr)
        return EXIT_USAGE
    config = SimConfig(
        keys=keys,
        processing_seconds=args.processing_seconds,
        fault_rate=args.fault_rate,
        seed=args.seed,
        expire_seconds=args.expire_seconds,
        refuse_word=args.refuse_word.lower(),
        fail_word=args.fail_word.lower(),
    )
    try:
        asyncio.run(serve_until_stopped(config, args.host, args.port))
    except OSError as exc:
        print(f"deerdesk-cli: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "sim":
        return run_sim(args)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
