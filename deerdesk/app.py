"""Composition root: parses arguments, builds every object, runs the qasync loop, shuts down."""

from __future__ import annotations

import argparse
import asyncio
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deerdesk", description="DeerDesk sound generator")
    parser.add_argument("--demo", action="store_true", help="use the built-in simulated service")
    parser.add_argument("--data-dir", help="where history and library live")
    parser.add_argument(
        "--exit-after-startup",
        action="store_true",
        help="exit 0 once the window is shown (smoke tests, start-up benchmarks)",
    )
    return parser


async def _main(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    from deerdesk.sim.config import SimConfig
    from deerdesk.sim.server import SimServer

    app = QApplication.instance()
    assert app is not None
    quit_event = asyncio.Event()
    app.aboutToQuit.connect(quit_event.set)
    sim = await SimServer(SimConfig(processing_seconds=4.0)).start() if args.demo else None
    window = QMainWindow()
    title = "DeerDesk — Demo: simulated service" if sim else "DeerDesk"
    window.setWindowTitle(title)
    text = f"Simulated service at {sim.url}" if sim else "DeerDesk"
    window.setCentralWidget(QLabel(text))
    window.resize(900, 600)
    window.show()
    if args.exit_after_startup:
        QTimer.singleShot(0, app.quit)
    try:
        await quit_event.wait()
    finally:
        if sim is not None:
            await sim.aclose()
    return 0


def run(argv: list[str]) -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    args = build_parser().parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("DeerDesk")
    if sys.version_info >= (3, 12):
        return asyncio.run(_main(args), loop_factory=qasync.QEventLoop)
    return qasync.run(_main(args))  # the same, for Python 3.11's asyncio.run
