"""`deerdesk --demo --exit-after-startup` paints the window, exits 0, keeps the demo apart."""

from __future__ import annotations

import os
import subprocess
import sys


def test_demo_window_starts_and_exits(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "deerdesk",
            "--demo",
            "--exit-after-startup",
            "--data-dir",
            str(tmp_path),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
