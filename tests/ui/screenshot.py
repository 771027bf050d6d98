"""Opens the window over the simulator with a realistic history and saves a screenshot.

    python -m tests.ui.screenshot OUT.png      (under a real X server, e.g. xvfb-run)

The history holds finished, failed, rejected and in-flight tasks, one request in three takes
and a favourite; a finished task is selected, so the details pane shows its waveform.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from deerdesk.core.config import Settings
from deerdesk.core.keystore import KeyManager, MemoryKeyStore
from deerdesk.core.library import Library
from deerdesk.core.session import Session
from deerdesk.core.states import LocalState
from deerdesk.core.store import Store
from deerdesk.sim.config import DEMO_KEY, SimConfig
from deerdesk.sim.server import ThreadedSim
from deerdesk.ui.main_window import MainWindow, WindowOptions

FINISHED = [
    ("heavy wooden door creaks open in a stone hall", 6.5, 1),
    ("distant thunder rolling over hills, light rain", 9.0, 1),
    ("sci-fi laser charge-up and discharge, punchy", 3.5, 3),
    ("forbidden spell explosion", 4.0, 1),
    ("unsafe crowd riot noise", 5.0, 1),
    ("footsteps on fresh snow, slow walk, close microphone", 7.3, 1),
]
IN_FLIGHT = [
    ("ocean waves at sunrise with seagulls far away", 8.0),
    ("old film projector whirring in a quiet room", 5.5),
]


async def until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the scene did not settle in time")
        await asyncio.sleep(0.05)


async def build_scene(window: MainWindow, sim: ThreadedSim) -> None:
    """Fills the history and leaves a finished task selected."""
    ids = []
    for prompt, duration, takes in FINISHED:
        ids += [r.id for r in window.session.submit(prompt, duration, takes=takes)]
    store = window.session.store

    def settled() -> bool:
        records = [store.get(i) for i in ids]
        return all(
            r is not None
            and r.state.is_final
            and (r.state is not LocalState.SUCCEED or len(r.files) == 2)
            for r in records
        )

    await until(settled)
    sim.config.processing_seconds = 15  # "processing" from 3 s on, finished long after
    for prompt, duration in IN_FLIGHT:
        window.session.submit(prompt, duration)
    window.history.upsert(store.update(ids[1], favourite=True))
    await until(
        lambda: window.session.in_flight() == 2 and store.count(states=[LocalState.PROCESSING]) == 2
    )
    window.history.reload()
    target = ids[-1]
    window.history_panel.select_task(target)
    window.prompt_panel.use_prompt("glass marble rolling across a wooden floor", 4.2)
    await until(lambda: bool(window.details.player.waveform.peaks), 10)
    await asyncio.sleep(1.2)  # let the in-flight timers tick and the window settle


async def main(out: Path) -> None:
    from PySide6.QtGui import QGuiApplication

    with (
        tempfile.TemporaryDirectory() as data,
        ThreadedSim(SimConfig(keys={DEMO_KEY: "ok"}, processing_seconds=0.4)) as sim,
    ):
        settings = Settings(
            base_url=sim.url,
            data_dir=Path(data),
            poll_first_seconds=0.1,
            poll_cap_seconds=0.5,
            requests_per_second=1000.0,
        )
        store = Store(settings.database)
        session = Session(store, Library(settings.library))
        keys = KeyManager(MemoryKeyStore(), settings.profile)
        options = WindowOptions(demo=True, settings_path=Path(data) / "config.toml", tray=False)
        window = MainWindow(settings, session, keys, options)
        window.resize(1280, 760)
        window.move(0, 0)
        window.show()
        await window.start(DEMO_KEY)
        await build_scene(window, sim)
        window.activateWindow()
        screen = QGuiApplication.primaryScreen()
        image = screen.grabWindow(
            0, 0, 0, window.frameGeometry().width(), window.frameGeometry().height()
        )
        if not image.save(str(out)):
            raise SystemExit(f"could not save {out}")
        await window.shutdown()
        store.close()
        window.deleteLater()
        await asyncio.sleep(0.05)


if __name__ == "__main__":
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshot.png").resolve()
    qasync.run(main(target))
    print(target)
