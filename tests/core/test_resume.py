"""A real deerdesk-cli process killed with SIGKILL mid-create and mid-download resumes cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deerdesk.core.library import verify_audio
from tests.conftest import TEST_KEY


def cli_command(data_dir: Path, url: str, *args: str, key: str = TEST_KEY):
    """(argv, env) for one deerdesk-cli run against `url` with its history in `data_dir`."""
    env = {**os.environ, "DEERAPI_KEY": key}
    command = [sys.executable, "-m", "deerdesk.cli", "--data-dir", str(data_dir)]
    return [*command, "--base-url", url, *args], env


def cli(data_dir: Path, url: str, *args: str, **popen) -> subprocess.Popen:
    command, env = cli_command(data_dir, url, *args)
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen
    )


def wait_until(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def finish_with_wait(data_dir: Path, url: str) -> list[dict]:
    process = cli(data_dir, url, "wait", "--json")
    out, errors = process.communicate(timeout=120)
    assert process.returncode == 0, errors
    listing = cli(data_dir, url, "list", "--json")
    out, errors = listing.communicate(timeout=60)
    return json.loads(out)


def assert_complete(tasks: list[dict], data_dir: Path, expected: int) -> None:
    assert len(tasks) == expected
    for task in tasks:
        assert task["state"] == "succeed", task
        assert {f["format"] for f in task["files"]} == {"wav", "mp3"}
        for file in task["files"]:
            assert Path(file["path"]).stat().st_size == file["bytes"]
            verify_audio(Path(file["path"]), file["format"], None)
    assert not list((data_dir / "library").glob(".*.part")), "a partial file survived"


@pytest.mark.slow
def test_sigkill_during_creates_resumes_without_duplicates(make_sim, tmp_path):
    # creates are slow, so the kill lands while some are sent and others are not
    sim = make_sim(faults=("slow",), fault_rate=0.5, slow_seconds=0.4, seed=1)
    process = cli(
        tmp_path, sim.url, "submit", "rain on glass", "--duration", "3", "--takes", "8", "--wait"
    )
    wait_until(lambda: sim.stats()["requests"].get("create", 0) >= 1)
    wait_until(lambda: sim.created_tasks() >= 2)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    killed_at = sim.created_tasks()
    sim.config.fault_rate = 0.0
    tasks = finish_with_wait(tmp_path, sim.url)
    assert_complete(tasks, tmp_path, 8)
    stats = sim.stats()
    assert stats["tasks"] == 8, f"duplicates after kill at {killed_at} creates: {stats}"


@pytest.mark.slow
def test_sigkill_during_downloads_leaves_no_partial_file(make_sim, tmp_path):
    sim = make_sim(faults=("file_slow",), slow_seconds=0.6, processing_seconds=0.1)
    process = cli(
        tmp_path, sim.url, "submit", "thunder roll", "--duration", "10", "--takes", "3", "--wait"
    )
    wait_until(lambda: sim.created_tasks() == 3)
    sim.config.fault_rate = 1.0  # every download now stalls before its body
    wait_until(lambda: sim.stats()["requests"].get("file", 0) >= 2)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    sim.config.fault_rate = 0.0
    tasks = finish_with_wait(tmp_path, sim.url)
    assert_complete(tasks, tmp_path, 3)
    assert sim.created_tasks() == 3


def test_key_is_in_no_file_the_app_wrote(make_sim, tmp_path):
    sim = make_sim(fault_rate=0.3, seed=4)
    for args in (
        ("submit", "birds at dawn", "--duration", "3", "--wait"),
        ("submit", "forbidden", "--duration", "3"),
        ("sync",),
        ("list",),
    ):
        process = cli(tmp_path, sim.url, *args)
        out, errors = process.communicate(timeout=120)
        assert TEST_KEY not in out + errors
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" for p in written), "the log file should exist"
    assert any(p.suffix == ".wav" for p in written)
    for path in written:
        assert TEST_KEY.encode() not in path.read_bytes(), path


def test_cli_exit_codes(make_sim, tmp_path):
    sim = make_sim(keys={TEST_KEY: "ok", "sk-arrears": "arrears"})

    def code(*args, key=TEST_KEY, url=None):
        command, env = cli_command(
            tmp_path, url or sim.url, "--offline-timeout", "1", *args, key=key
        )
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    assert code("submit", "x" * 201, "--duration", "5").returncode == 2
    bad_duration = code("submit", "rain", "--duration", "10.05")
    assert bad_duration.returncode == 2 and "0.1 s grid" in bad_duration.stderr
    arrears = code("submit", "rain", "--duration", "5", key="sk-arrears")
    assert arrears.returncode == 3 and "top up" in arrears.stderr
    assert "request" in arrears.stderr
    assert code("submit", "unsafe", "--duration", "3", "--wait").returncode == 5
    offline = code("submit", "rain", "--duration", "3", url="http://127.0.0.1:9")
    assert offline.returncode == 4 and "saved" in offline.stderr
    shown = code("show", "1", "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["id"] == 1
    assert code("show", "nope").returncode == 2
    queued = json.loads(code("list", "--state", "queued", "--json").stdout)
    assert [t["prompt"] for t in queued] == ["rain"], "the offline task waits, nothing lost"
