"""Files shipped beside the code: `resources/` in a checkout, `deerdesk/resources` in a wheel."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QIcon

_PACKAGE = Path(__file__).resolve().parent.parent


def resource_path(name: str) -> Path | None:
    for folder in (_PACKAGE / "resources", _PACKAGE.parent / "resources"):
        if (folder / name).is_file():
            return folder / name
    return None


def app_icon() -> QIcon:
    path = resource_path("deerdesk.svg")
    return QIcon(str(path)) if path else QIcon()
