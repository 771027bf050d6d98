"""The commands of deerdesk-cli over the engine: wiring, progress on stderr, results on stdout."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Iterable

from deerdesk.api import errors as api_errors
from deerdesk.api.client import DeerApiClient
from deerdesk.api.ratelimit import RateLimiter
from deerdesk.cli import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_TASK_FAILED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
)
from deerdesk.core import events as ev
from deerdesk.core.config import Settings, load_settings
from deerdesk.core.keystore import KeychainUnavailableError, KeyringKeyStore
from deerdesk.core.library import Library
from deerdesk.core.logs import RedactingFilter, setup_logging
from deerdesk.core.records import ErrorInfo, TaskRecord
from deerdesk.core.states import LocalState
from deerdesk.core.store import Store, StoreError
from deerdesk.core.sync import sync_account
from deerdesk.core.tracker import DuplicateExternalIdError, Tracker, TrackerOptions

log = logging.getLogger(__name__)


def describe(error: ErrorInfo) -> str:
    if error.request_id and error.request_id not in error.message:
        return f"{error.message} (request {error.request_id})"
    return error.message


class CommandError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_command(args: argparse.Namespace) -> int:
    flags = {"data_dir": args.data_dir, "base_url": args.base_url, "profile": args.profile}
    settings = load_settings(flags)
    for problem in settings.problems:
        err(f"deerdesk-cli: warning: {problem}")
    if args.command in ("list", "show"):
        return _offline_command(args, settings)
    try:
        return asyncio.run(_online_command(args, settings))
    except KeyboardInterrupt:
        err("deerdesk-cli: stopped; nothing is lost, `deerdesk-cli wait` picks up from here")
        return 130


def _open_store(settings: Settings) -> Store:
    try:
        return Store(settings.database)
    except StoreError as exc:
        raise CommandError(EXIT_USAGE, str(exc)) from None


def _print_tasks(records: Iterable[TaskRecord], as_json: bool, single: bool = False) -> None:
    now = time.time()
    records = list(records)
    if as_json:
        payload = records[0].to_json(now) if single else [r.to_json(now) for r in records]
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    for record in records:
        prompt = record.prompt if len(record.prompt) <= 48 else record.prompt[:47] + "…"
        cost = record.cost or "-"
        days = record.days_left(now) if record.audios else None
        left = f" {days:.0f}d left" if days is not None else ""
        print(
            f"{record.id:>6}  {record.state.value:<10} {record.duration:>4.1f}s  {cost:>5}  "
            f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(record.created_at))}  "
            f"{prompt}{left}"
        )
        if single:
            print(f"        task id {record.task_id or '-'}; external id {record.external_task_id}")
            if record.status_msg:
                print(f"        service: {record.status_msg}")
            if record.error:
                print(f"        error: {describe(record.error)}")
            for file in record.files:
                print(f"        {file.format}: {file.path} ({file.bytes} bytes)")


def _offline_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        store = _open_store(settings)
    except CommandError as exc:
        err(f"deerdesk-cli: {exc}")
        return exc.code
    try:
        if args.command == "list":
            states = [LocalState(args.state)] if args.state else None
            limit = max(1, min(args.limit, 100_000))
            _print_tasks(store.page(limit=limit, states=states, search=args.search), args.json)
            return EXIT_OK
        record = store.find(args.id)
        if record is None:
            err(f"deerdesk-cli: no task {args.id!r} in the history")
            return EXIT_USAGE
        _print_tasks([record], args.json, single=True)
        return EXIT_OK
    finally:
        store.close()


async def _api_key(settings: Settings) -> str:
    key = os.environ.get("DEERAPI_KEY")
    if key:
        return key.strip()
    try:
        key = await KeyringKeyStore().get(settings.profile)
    except KeychainUnavailableError as exc:
        raise CommandError(EXIT_USAGE, f"{exc} Set DEERAPI_KEY instead.") from None
    if not key:
        raise CommandError(
            EXIT_USAGE,
            "No API key: set DEERAPI_KEY, or add the key in DeerDesk's settings (it is kept "
            "in the system keychain).",
        )
    return key


class _Progress:
    """Prints task progress to stderr and remembers what decides the exit code."""

    def __init__(self, watched: set[int] | None) -> None:
        self.watched = watched
        self.problem: ev.AccountProblem | None = None
        self.offline_since: float | None = None
        self.offline_detail = ""
        self._last: dict[int, str] = {}

    def __call__(self, event: ev.TrackerEvent) -> None:
        if isinstance(event, ev.AccountProblem):
            self.problem = event
        elif isinstance(event, ev.ConnectionChanged):
            if event.state is ev.ConnectionState.OFFLINE:
                self.offline_since = self.offline_since or time.monotonic()
                self.offline_detail = event.detail
                err("deerdesk-cli: the service cannot be reached; retrying…")
            else:
                self.offline_since = None
        elif isinstance(event, ev.RateLimited):
            err(f"deerdesk-cli: rate limited by the service; waiting {event.seconds:.1f}s")
        elif isinstance(event, (ev.TaskChanged, ev.TaskFinished)):
            task = event.task
            if self.watched is not None and task.id not in self.watched:
                return
            files = len(task.files)
            line = f"task {task.id}: {task.state.value}" + (f", {files} file(s)" if files else "")
            if isinstance(event, ev.TaskFinished):
                line += " — done"
            if self._last.get(task.id) != line:
                self._last[task.id] = line
                err(line)


async def _follow(tracker: Tracker, ids: list[int], progress: _Progress, timeout: float) -> None:
    """Waits for the tasks, stopping early on an account problem or a long outage."""
    waiting = asyncio.ensure_future(tracker.wait_idle_or_halted(ids))
    try:
        while not waiting.done():
            await asyncio.wait([waiting], timeout=0.2)
            if progress.offline_since and time.monotonic() - progress.offline_since > timeout:
                raise CommandError(
                    EXIT_UNREACHABLE,
                    f"The service could not be reached for {timeout:.0f}s "
                    f"({progress.offline_detail}). Tasks are kept; run `deerdesk-cli wait` later.",
                )
    finally:
        waiting.cancel()
    if progress.problem is not None:
        raise CommandError(EXIT_REFUSED, describe(progress.problem.error))


async def _wait_created(tracker: Tracker, ids: list[int], progress: _Progress, timeout: float):
    def sent() -> bool:
        records = [tracker.store.get(i) for i in ids]
        return all(r is None or r.task_id or r.state.is_final for r in records)

    while not sent():
        if progress.problem is not None:
            break
        if progress.offline_since and time.monotonic() - progress.offline_since > timeout:
            raise CommandError(
                EXIT_UNREACHABLE,
                "The service could not be reached; the task is saved and will be sent by "
                "`deerdesk-cli wait`.",
            )
        await asyncio.sleep(0.05)


async def _online_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        return await _online_command_inner(args, settings)
    except CommandError as exc:
        err(f"deerdesk-cli: {exc}")
        return exc.code


async def _online_command_inner(args: argparse.Namespace, settings: Settings) -> int:
    store = _open_store(settings)
    redactor = RedactingFilter()
    handler = setup_logging(settings.log_dir, "deerdesk-cli", redactor)
    client: DeerApiClient | None = None
    tracker: Tracker | None = None
    try:
        key = await _api_key(settings)
        redactor.add_secret(key)
        client = DeerApiClient(
            settings.base_url, key, rate_limiter=RateLimiter(settings.requests_per_second)
        )
        library = Library(settings.library)
        options = TrackerOptions(
            formats=settings.formats,
            max_concurrent_creates=settings.max_concurrent_creates,
            poll_first=settings.poll_first_seconds,
            poll_cap=settings.poll_cap_seconds,
        )
        tracker = Tracker(store, client, library, options)
        return await _dispatch(args, settings, store, client, tracker)
    finally:
        if tracker is not None:
            await tracker.aclose()
        if client is not None:
            await client.aclose()
        store.close()
        logging.getLogger().removeHandler(handler)
        handler.close()


async def _dispatch(
    args: argparse.Namespace,
    settings: Settings,
    store: Store,
    client: DeerApiClient,
    tracker: Tracker,
) -> int:
    timeout = args.offline_timeout
    if args.command == "submit":
        try:
            records = tracker.submit(
                args.prompt,
                args.duration,
                external_id=args.external_id,
                callback_url=args.callback_url,
                takes=args.takes,
            )
        except (api_errors.ValidationError, DuplicateExternalIdError, ValueError) as exc:
            raise CommandError(EXIT_USAGE, str(exc)) from None
        ids = [r.id for r in records]
        progress = _Progress(set(ids))
        tracker.subscribe(progress)
        if args.wait:
            await _follow(tracker, ids, progress, timeout)
        else:
            await _wait_created(tracker, ids, progress, timeout)
        return _report(store, ids, args.json, progress, require_success=args.wait)

    if args.command == "wait":
        if args.ids:
            found = [store.find(i) for i in args.ids]
            missing = [i for i, r in zip(args.ids, found, strict=True) if r is None]
            if missing:
                raise CommandError(EXIT_USAGE, f"no such task(s): {', '.join(missing)}")
            ids = [r.id for r in found if r is not None]
        else:
            ids = [r.id for r in store.unfinished()]
            ids += [r.id for r in store.succeeded_without(settings.formats)]
        progress = _Progress(set(ids))
        tracker.subscribe(progress)
        tracker.start()
        for local_id in ids:
            if _needs_files(store, local_id):
                tracker.retry(local_id)
        await _follow(tracker, ids, progress, timeout)
        return _report(store, ids, args.json, progress, require_success=True)

    if args.command == "retry":
        record = store.find(args.id)
        if record is None:
            raise CommandError(EXIT_USAGE, f"no task {args.id!r} in the history")
        progress = _Progress({record.id})
        tracker.subscribe(progress)
        tracker.retry(record.id)
        await _follow(tracker, [record.id], progress, timeout)
        return _report(store, [record.id], args.json, progress, require_success=True)

    if args.command == "sync":
        try:
            report = await sync_account(store, client)
        except api_errors.ConnectionFailedError as exc:
            raise CommandError(EXIT_UNREACHABLE, str(exc)) from None
        except api_errors.ApiError as exc:
            raise CommandError(EXIT_REFUSED, str(exc)) from None
        err(f"deerdesk-cli: the account lists {report.seen} task(s); {len(report.imported)} new")
        ids = [r.id for r in report.imported]
        progress = _Progress(set(ids))
        tracker.subscribe(progress)
        tracker.adopt(report.imported)
        await _follow(tracker, ids, progress, timeout)
        return _report(store, ids, args.json, progress, require_success=False)
    raise CommandError(EXIT_USAGE, f"unknown command {args.command}")


def _needs_files(store: Store, local_id: int) -> bool:
    record = store.get(local_id)
    if record is None or record.state is not LocalState.SUCCEED:
        return False
    return any(not os.path.exists(f.path) for f in record.files)


def _report(
    store: Store, ids: list[int], as_json: bool, progress: _Progress, *, require_success: bool
) -> int:
    records = [r for r in (store.get(i) for i in ids) if r is not None]
    _print_tasks(records, as_json)
    refused = [r for r in records if r.state is LocalState.REJECTED]
    if progress.problem is not None or refused:
        error = progress.problem.error if progress.problem else refused[0].error
        if error is not None:
            err(f"deerdesk-cli: the service refused: {describe(error)}")
        return EXIT_REFUSED
    if require_success and any(r.state is LocalState.FAILED for r in records):
        for record in records:
            if record.state is LocalState.FAILED:
                err(f"deerdesk-cli: task {record.id} failed: {record.status_msg}")
        return EXIT_TASK_FAILED
    return EXIT_OK
