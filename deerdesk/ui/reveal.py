"""Reveal a file in the desktop's file manager, with the file selected where the desktop can."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices

log = logging.getLogger(__name__)

#: the freedesktop.org file-manager interface (Nautilus, Dolphin, Nemo, Caja, Thunar...)
FILE_MANAGER_SERVICE = "org.freedesktop.FileManager1"
FILE_MANAGER_PATH = "/org/freedesktop/FileManager1"
#: a file manager that has to start first may take a while to answer
CALL_TIMEOUT_MS = 5000


def open_folder(path: Path) -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))


def reveal(path: Path, owner: QObject) -> None:
    """Ask the session's file manager to show `path` selected; open its folder when none answers.

    The D-Bus call is asynchronous, so a file manager that is slow to start never blocks the
    window; `owner` keeps the pending call alive until the answer comes.
    """
    if not sys.platform.startswith("linux"):
        open_folder(path)
        return
    from PySide6.QtDBus import QDBusConnection, QDBusMessage, QDBusPendingCallWatcher

    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        open_folder(path)
        return
    message = QDBusMessage.createMethodCall(
        FILE_MANAGER_SERVICE, FILE_MANAGER_PATH, FILE_MANAGER_SERVICE, "ShowItems"
    )
    message.setArguments([[QUrl.fromLocalFile(str(path)).toString()], ""])
    watcher = QDBusPendingCallWatcher(bus.asyncCall(message, CALL_TIMEOUT_MS), owner)

    def answered(call: QDBusPendingCallWatcher) -> None:
        if call.isError():
            reason = call.error().name()
            log.info("no file manager selected the file (%s); opening its folder", reason)
            open_folder(path)
        call.deleteLater()

    watcher.finished.connect(answered)
