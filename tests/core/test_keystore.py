"""The keyring-backed KeyStore against a real Secret Service (gnome-keyring in the test command)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess

import pytest

from deerdesk.core.keystore import KeychainUnavailableError, KeyringKeyStore, MemoryKeyStore


def secret_service_available() -> bool:
    if os.environ.get("DEERDESK_REQUIRE_KEYCHAIN") == "1":
        return True  # the test command provides one: a missing keychain must fail, not skip
    try:
        asyncio.run(KeyringKeyStore(service="DeerDesk-probe").get("probe"))
    except KeychainUnavailableError:
        return False
    return bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS"))


@pytest.mark.skipif(not secret_service_available(), reason="no Secret Service on this bus")
def test_key_round_trips_through_the_real_keychain():
    store = KeyringKeyStore(service="DeerDesk-test")
    key = "sk-real-keychain-0123456789"

    async def go():
        await store.set("studio", key)
        got = await store.get("studio")
        await store.delete("studio")
        return got, await store.get("studio")

    got, after = asyncio.run(go())
    assert got == key and after is None
    assert key not in repr(store)


@pytest.mark.skipif(
    not secret_service_available() or shutil.which("secret-tool") is None,
    reason="needs the Secret Service and secret-tool",
)
def test_key_is_readable_by_other_keychain_clients():
    store = KeyringKeyStore(service="DeerDesk-test2")
    asyncio.run(store.set("default", "sk-visible-to-secret-tool"))
    out = subprocess.run(
        ["secret-tool", "lookup", "service", "DeerDesk-test2", "username", "api-key:default"],
        capture_output=True,
        text=True,
        check=False,
    )
    asyncio.run(store.delete("default"))
    assert out.stdout.strip() == "sk-visible-to-secret-tool"


def test_memory_store_is_per_profile():
    store = MemoryKeyStore()
    asyncio.run(store.set("a", "k1"))
    assert asyncio.run(store.get("a")) == "k1" and asyncio.run(store.get("b")) is None
    assert "k1" not in repr(store)
