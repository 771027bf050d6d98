"""Guards against Qt binding releases with known defects that would crash a long session."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    changed = Signal(int)


def test_emit_keeps_the_reference_count_of_its_result(qapp):
    # PySide6 6.12.0 returned True from emit() without a reference: on Python 3.11 each emit
    # took one from True, and the window aborted after a few thousand task updates
    emitter = _Emitter()
    received: list[int] = []
    emitter.changed.connect(received.append)
    before = sys.getrefcount(True)
    for value in range(200):
        emitter.changed.emit(value)
    assert received == list(range(200))
    assert sys.getrefcount(True) >= before
