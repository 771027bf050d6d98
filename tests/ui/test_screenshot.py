"""The window on a real X server (Xvfb), with a history of every kind of task, as a PNG."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]


def xvfb_available() -> bool:
    if os.environ.get("DEERDESK_REQUIRE_XVFB") == "1":
        return True  # the test command installs Xvfb: a missing one must fail, not skip
    return shutil.which("Xvfb") is not None


@pytest.fixture
def x_display():
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as handle:
        number = handle.readline().strip()  # Xvfb writes it once it accepts clients
    try:
        assert number.isdigit(), "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.xvfb
@pytest.mark.skipif(not xvfb_available(), reason="Xvfb is not installed")
def test_window_screenshot_under_xvfb(x_display, tmp_path):
    out = tmp_path / "window.png"
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb"}
    result = subprocess.run(
        [sys.executable, "-m", "tests.ui.screenshot", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    image = QImage(str(out))
    assert image.width() >= 1200 and image.height() >= 700
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, 700, 7)}
    assert len(colours) > 40  # a drawn window, not a blank screen
