"""The settings dialog: the key through the real keychain, verification, and saved settings."""

from __future__ import annotations

import os
import uuid

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from deerdesk.core.config import load_settings
from deerdesk.core.keystore import KeyManager, KeyringKeyStore
from deerdesk.core.owner import TaskOwner
from deerdesk.ui.settings_dialog import SettingsDialog
from tests.conftest import TEST_KEY
from tests.core.test_keystore import secret_service_available
from tests.ui.conftest import window_settings


@pytest.mark.skipif(not secret_service_available(), reason="no Secret Service on this bus")
def test_key_is_set_verified_and_removed_through_the_keychain_never_a_file(
    qtbot, sim, run_async, tmp_path, monkeypatch
):
    settings = window_settings(sim, tmp_path / "data")
    keychain = KeyringKeyStore(service=f"DeerDesk-ui-test-{uuid.uuid4().hex[:8]}")
    keys = KeyManager(keychain, "default")
    owner = TaskOwner()
    dialog = SettingsDialog(settings, keys, owner, has_key=False)
    qtbot.addWidget(dialog)
    dialog.show()

    qtbot.keyClicks(dialog.key_field, TEST_KEY)
    assert dialog.key_field.echoMode() == dialog.key_field.EchoMode.Password
    dialog.verify_button.click()
    qtbot.waitUntil(lambda: "accepted" in dialog.key_status.text(), timeout=10000)

    with qtbot.waitSignal(dialog.key_changed, timeout=10000) as changed:
        dialog.set_key_button.click()
    assert changed.args == [TEST_KEY]
    assert dialog.key_field.text() == ""  # the secret does not linger in the widget
    assert run_async(keychain.get("default")) == TEST_KEY

    # a wrong key is reported in words, with nothing stored
    qtbot.keyClicks(dialog.key_field, "sk-wrong")
    dialog.verify_button.click()
    qtbot.waitUntil(lambda: "not accepted" in dialog.key_status.text(), timeout=10000)
    assert "code 1000" in dialog.key_status.text()
    assert "sk-wrong" not in dialog.key_status.text()
    dialog.key_field.clear()

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(dialog.key_changed, timeout=10000) as removed:
        dialog.remove_key_button.click()
    assert removed.args == [None]
    assert run_async(keychain.get("default")) is None

    # save other settings: they go to the TOML file, the key never does
    dialog.concurrency.setValue(7)
    dialog.mp3.setChecked(False)
    changes = dialog.changes()
    assert changes == {"max_concurrent_creates": 7, "formats": ("wav",)}
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    run_async(owner.aclose())
    written = []
    for folder in (
        tmp_path,
        *([os.environ["XDG_DATA_HOME"]] if "XDG_DATA_HOME" in os.environ else []),
    ):
        for root, _dirs, files in os.walk(folder):
            for name in files:
                with open(os.path.join(root, name), "rb") as handle:
                    written.append((name, handle.read()))
    assert all(TEST_KEY.encode() not in data for _name, data in written)


def test_bad_base_url_and_no_format_cannot_be_saved(qtbot, sim, tmp_path):
    from deerdesk.core.keystore import MemoryKeyStore

    settings = window_settings(sim, tmp_path / "data")
    dialog = SettingsDialog(
        settings, KeyManager(MemoryKeyStore(), "default"), TaskOwner(), has_key=True
    )
    qtbot.addWidget(dialog)
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    dialog.base_url.setText("ftp://example.com")
    assert not save.isEnabled() and "http" in dialog.base_url_error.text()
    dialog.base_url.setText("https://api.example.com/")
    assert save.isEnabled()
    dialog.wav.setChecked(False)
    dialog.mp3.setChecked(False)
    assert not save.isEnabled() and "format" in dialog.problem.text()


def test_window_saves_settings_to_toml_and_reconnects(make_window, sim, qtbot, tmp_path):
    window = make_window(sim)
    window.open_settings()
    dialog = window.settings_dialog
    dialog.poll_cap.setValue(12.0)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    saved = load_settings(env={}, system_paths=[], user_path=tmp_path / "config.toml")
    assert saved.poll_cap_seconds == 12.0 and saved.source_of("poll_cap_seconds") == "user"
    qtbot.waitUntil(
        lambda: (
            window.session.tracker is not None and window.session.tracker.options.poll_cap == 12.0
        ),
        timeout=5000,
    )
    assert TEST_KEY not in (tmp_path / "config.toml").read_text()
