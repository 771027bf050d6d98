"""deerdesk-cli: DeerDesk's engine without a window, for scripts and batch work."""

from __future__ import annotations

import argparse
import asyncio
import sys

from deerdesk.core.states import LocalState

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
    parser.add_argument("--data-dir", help="history and library folder (env DEERDESK_DATA_DIR)")
    parser.add_argument("--base-url", help="service base URL (env DEERDESK_BASE_URL)")
    parser.add_argument("--profile", help="which connection's key to use (default: default)")
    parser.add_argument(
        "--offline-timeout",
        type=float,
        default=60.0,
        help="give up (exit 4) after the service was unreachable this many seconds",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    submit = commands.add_parser("submit", help="generate a sound from a prompt")
    submit.add_argument("prompt")
    submit.add_argument("--duration", required=True, help="seconds, 3.0 to 10.0 in 0.1 steps")
    submit.add_argument("--external-id")
    submit.add_argument("--callback-url")
    submit.add_argument("--takes", type=int, default=1, help="1 to 10 tasks of the same prompt")
    submit.add_argument("--wait", action="store_true", help="follow to the end and download")
    submit.add_argument("--json", action="store_true")

    wait = commands.add_parser("wait", help="follow tasks to the end (default: all unfinished)")
    wait.add_argument("ids", nargs="*", metavar="ID")
    wait.add_argument("--json", action="store_true")

    listing = commands.add_parser("list", help="the history, newest first")
    listing.add_argument("--state", choices=[s.value for s in LocalState])
    listing.add_argument("--search")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true")

    show = commands.add_parser("show", help="one task: ID is the local id, task id or external id")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")

    retry = commands.add_parser("retry", help="re-download missing files or re-send a task")
    retry.add_argument("id")
    retry.add_argument("--json", action="store_true")

    sync = commands.add_parser("sync", help="import the account's tasks and fetch their audio")
    sync.add_argument("--json", action="store_true")

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
    from deerdesk.cli_engine import run_command

    return run_command(args)


if __name__ == "__main__":
    sys.exit(main())
