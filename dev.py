#!/usr/bin/env python3
"""DeerDesk's one-step set-up and launcher, for a fresh Debian/Ubuntu machine with python3.

    python3 dev.py demo [APP ARGS]     launch DeerDesk against the built-in simulator
    python3 dev.py test [PYTEST ARGS]  run every test (real keychain, offscreen Qt, Xvfb)
    python3 dev.py bench               run the benchmarks and print their ratios
    python3 dev.py app [APP ARGS]      launch DeerDesk as a user would (real service)
    python3 dev.py cli [CLI ARGS]      run deerdesk-cli from the project's environment

Each command checks the Debian packages Qt and the tests need (installing them when run as
root, otherwise printing the exact apt-get line and stopping), creates `.venv` and installs
the pinned dependencies from `constraints.txt` when they changed. Only the standard library
is used here, because nothing else exists yet when it runs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".deerdesk-installed"

# What Qt's xcb platform plugin, QtMultimedia and the keychain need at run time.
RUNTIME_PACKAGES = [
    "libgl1",
    "libegl1",
    "libglib2.0-0",
    "libfontconfig1",
    "libdbus-1-3",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-xinerama0",
    "libxcb-xkb1",
    "libpulse0",
    "fonts-dejavu-core",
]
# What the test command adds: a virtual X server, a session bus and a real Secret Service.
TEST_PACKAGES = ["xvfb", "xauth", "dbus", "gnome-keyring", "libsecret-tools"]


def say(message: str) -> None:
    print(f"[dev.py] {message}", file=sys.stderr, flush=True)


def missing_debian_packages(packages: list[str]) -> list[str]:
    if shutil.which("dpkg-query") is None:
        return []  # not a Debian system: nothing we can check or install
    missing = []
    for package in packages:
        result = subprocess.run(
            ["dpkg-query", "-W", "-f=${db:Status-Abbrev}", package],
            capture_output=True,
            text=True,
            check=False,
        )
        if not result.stdout.startswith("ii"):
            missing.append(package)
    return missing


def ensure_debian_packages(packages: list[str]) -> None:
    missing = missing_debian_packages(packages)
    if not missing:
        return
    line = "apt-get install -y --no-install-recommends " + " ".join(missing)
    if os.geteuid() != 0:
        say("these system libraries are missing; install them, then run this command again:")
        print(f"sudo {line}")
        sys.exit(2)
    say(f"installing system packages: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(line.split(), check=True, env=env, stdout=subprocess.DEVNULL)


def venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv(extras: str) -> None:
    wanted = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        wanted.update((ROOT / name).read_bytes())
    wanted.update(extras.encode())
    wanted.update(sys.version.encode())
    digest = wanted.hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == digest and venv_python().exists():
        return
    if not venv_python().exists():
        try:
            import ensurepip  # noqa: F401  (Debian ships venv's pip in python3-venv)
        except ImportError:
            ensure_debian_packages(["python3-venv"])
        say("creating the virtual environment in .venv")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    say("installing pinned dependencies (first run takes a minute)")
    target = f".[{extras}]" if extras else "."
    pip = [str(venv_python()), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-c", str(ROOT / "constraints.txt"), "-e", target], check=True, cwd=ROOT)
    STAMP.write_text(digest + "\n")


def run_app(args: list[str]) -> int:
    ensure_debian_packages(RUNTIME_PACKAGES)
    ensure_venv("")
    env = dict(os.environ)
    headless = not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY")
    if headless and env.get("QT_QPA_PLATFORM") is None:
        say("no DISPLAY: start it from a desktop session (or set QT_QPA_PLATFORM)")
        return 2
    return subprocess.run([str(venv_python()), "-m", "deerdesk", *args], env=env).returncode


def run_cli(args: list[str]) -> int:
    ensure_venv("")
    return subprocess.run([str(venv_python()), "-m", "deerdesk.cli", *args]).returncode


def run_tests(args: list[str]) -> int:
    ensure_debian_packages(RUNTIME_PACKAGES + TEST_PACKAGES)
    ensure_venv("test")
    python = str(venv_python())
    subprocess.run([python, "-m", "ruff", "check", "."], cwd=ROOT, check=True)
    subprocess.run([python, "-m", "ruff", "format", "--check", "."], cwd=ROOT, check=True)
    # A private home for the keychain daemon, so tests never touch a real user's keyring.
    scratch = Path(tempfile.mkdtemp(prefix="deerdesk-test-home-"))
    env = dict(
        os.environ,
        XDG_DATA_HOME=str(scratch / "data"),
        XDG_CONFIG_HOME=str(scratch / "config"),
        XDG_CACHE_HOME=str(scratch / "cache"),
        XDG_STATE_HOME=str(scratch / "state"),
        XDG_RUNTIME_DIR=str(scratch / "runtime"),
        QT_QPA_PLATFORM="offscreen",
        DEERDESK_REQUIRE_KEYCHAIN="1",
        DEERDESK_REQUIRE_XVFB="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    (scratch / "runtime").mkdir(mode=0o700)
    inner = (
        "echo deerdesk-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null"
        ' && exec "$0" -m pytest "$@"'
    )
    command = ["dbus-run-session", "--", "sh", "-c", inner, python, *args]
    try:
        return subprocess.run(command, cwd=ROOT, env=env).returncode
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_benchmarks(args: list[str]) -> int:
    ensure_debian_packages(RUNTIME_PACKAGES)
    ensure_venv("test")
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    command = [str(venv_python()), "-m", "benchmarks", *args]
    return subprocess.run(command, cwd=ROOT, env=env).returncode


COMMANDS = {
    "demo": lambda args: run_app(["--demo", *args]),
    "app": run_app,
    "cli": run_cli,
    "test": run_tests,
    "bench": run_benchmarks,
}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        return 2
    return COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
