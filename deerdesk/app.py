"""Composition root: parses arguments, builds every object, runs the qasync loop, shuts down."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path

log = logging.getLogger(__name__)

#: closing the window must release everything within this many seconds
SHUTDOWN_SECONDS = 2.0
#: connecting waits this long at most for the window's first paint
FIRST_PAINT_WAIT_SECONDS = 1.0
EXIT_OK, EXIT_CANNOT_START = 0, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deerdesk", description="DeerDesk sound generator")
    parser.add_argument("--demo", action="store_true", help="use the built-in simulated service")
    parser.add_argument("--data-dir", help="where history and library live")
    parser.add_argument(
        "--exit-after-startup",
        action="store_true",
        help="exit 0 once the window is shown and the history painted (smoke tests, benchmarks)",
    )
    return parser


def demo_data_dir(normal: Path, given: str | None) -> Path:
    """Demo mode keeps its own history: the given --data-dir, else `demo` inside the normal one."""
    return Path(given).expanduser() if given else normal / "demo"


async def _main(args: argparse.Namespace, started: float) -> int:
    from PySide6.QtCore import QLockFile, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from deerdesk.core.config import load_settings
    from deerdesk.core.keystore import KeyManager, KeyringKeyStore, MemoryKeyStore
    from deerdesk.core.library import Library
    from deerdesk.core.logs import RedactingFilter, setup_logging
    from deerdesk.core.session import Session
    from deerdesk.core.store import Store, StoreError
    from deerdesk.ui.main_window import MainWindow, WindowOptions

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    quit_event = asyncio.Event()
    app.aboutToQuit.connect(quit_event.set)
    app.setQuitOnLastWindowClosed(False)  # the loop ends after cleanup, not before

    settings = load_settings({"data_dir": None if args.demo else args.data_dir})
    sim = None
    demo_key = None
    if args.demo:  # the simulator (numpy, audio encoding) is loaded only for the demo
        from deerdesk.sim.config import DEMO_KEY, SimConfig
        from deerdesk.sim.server import ThreadedSim

        demo_key = DEMO_KEY
        # its own thread: rendering demo audio never delays the window
        sim = ThreadedSim(SimConfig(processing_seconds=4.0)).start()
        settings = replace(
            settings,
            data_dir=demo_data_dir(settings.data_dir, args.data_dir),
            library_dir=None,
            base_url=sim.url,
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    redactor = RedactingFilter()
    handler = setup_logging(settings.log_dir, "deerdesk", redactor)
    lock = QLockFile(str(settings.data_dir / "deerdesk.lock"))
    lock.setStaleLockTime(0)
    store = None
    try:
        if not lock.tryLock(100):
            QMessageBox.warning(
                None,
                "DeerDesk is already running",
                f"Another DeerDesk window is using the history in {settings.data_dir}. "
                "Switch to that window instead.",
            )
            return EXIT_CANNOT_START
        try:
            store = Store(settings.database)
        except StoreError as exc:
            QMessageBox.critical(None, "DeerDesk cannot open its history", str(exc))
            return EXIT_CANNOT_START
        session = Session(store, Library(settings.library))
        keychain = MemoryKeyStore() if args.demo else KeyringKeyStore()
        keys = KeyManager(keychain, settings.profile, on_key=redactor.add_secret)
        window = MainWindow(settings, session, keys, WindowOptions(demo=args.demo))
        window.closing.connect(quit_event.set)
        if args.exit_after_startup:

            def report_and_quit() -> None:
                elapsed_ms = (time.perf_counter() - started) * 1000
                log.info("first history page painted %.0f ms after start", elapsed_ms)
                print(f"painted: the first history page, {elapsed_ms:.0f} ms", flush=True)
                QTimer.singleShot(0, quit_event.set)

            window.history_panel.first_painted.connect(report_and_quit)
        painted = asyncio.Event()
        window.history_panel.first_painted.connect(painted.set)
        window.show()
        for problem in settings.problems:
            window.statusBar().showMessage(problem, 15000)
            log.warning("%s", problem)
        # the keychain and the HTTP stack load after the window is on screen, not before
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(painted.wait(), FIRST_PAINT_WAIT_SECONDS)
        if not quit_event.is_set():
            await window.start(demo_key)
        await quit_event.wait()
        window.hide()
        try:
            await asyncio.wait_for(window.shutdown(), SHUTDOWN_SECONDS)
        except TimeoutError:
            log.warning("shutdown took longer than %.1f s; the rest is abandoned", SHUTDOWN_SECONDS)
        return EXIT_OK
    finally:
        if sim is not None:
            sim.stop()
        if store is not None:
            store.close()
        if lock.isLocked():
            lock.unlock()
        logging.getLogger().removeHandler(handler)
        handler.close()


def run(argv: list[str]) -> int:
    started = time.perf_counter()
    import qasync
    from PySide6.QtWidgets import QApplication

    from deerdesk.ui.resources import app_icon

    args = build_parser().parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("DeerDesk")
    app.setOrganizationName("DeerDesk")
    app.setDesktopFileName("deerdesk")
    app.setWindowIcon(app_icon())
    if sys.version_info >= (3, 12):
        return asyncio.run(_main(args, started), loop_factory=qasync.QEventLoop)
    return qasync.run(_main(args, started))  # the same, for Python 3.11's asyncio.run
