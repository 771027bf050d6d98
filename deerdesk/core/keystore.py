"""Where the API key lives: the OS keychain, through a small async KeyStore."""

from __future__ import annotations

import asyncio
from typing import Protocol

SERVICE = "DeerDesk"


class KeychainUnavailableError(Exception):
    """No working keychain backend; the key can only be kept for this session."""


class KeyStore(Protocol):
    async def get(self, profile: str) -> str | None: ...
    async def set(self, profile: str, key: str) -> None: ...
    async def delete(self, profile: str) -> None: ...


def _account(profile: str) -> str:
    return f"api-key:{profile}"


class KeyringKeyStore:
    """The OS keychain through `keyring`; every call runs off the caller's thread."""

    def __init__(self, service: str = SERVICE) -> None:
        self._service = service

    @staticmethod
    def _check_backend() -> None:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or backend.priority <= 0:
            raise KeychainUnavailableError(
                "No keychain is available on this system (no Secret Service or KWallet). "
                "The key can be kept for this session only."
            )

    def _get(self, profile: str) -> str | None:
        import keyring
        import keyring.errors

        self._check_backend()
        try:
            return keyring.get_password(self._service, _account(profile))
        except keyring.errors.KeyringError as exc:
            raise KeychainUnavailableError(f"The keychain could not be read ({exc}).") from None

    def _set(self, profile: str, key: str) -> None:
        import keyring
        import keyring.errors

        self._check_backend()
        try:
            keyring.set_password(self._service, _account(profile), key)
        except keyring.errors.KeyringError as exc:
            raise KeychainUnavailableError(f"The keychain refused the key ({exc}).") from None

    def _delete(self, profile: str) -> None:
        import keyring
        import keyring.errors

        self._check_backend()
        try:
            keyring.delete_password(self._service, _account(profile))
        except keyring.errors.PasswordDeleteError:
            pass
        except keyring.errors.KeyringError as exc:
            raise KeychainUnavailableError(f"The keychain could not be changed ({exc}).") from None

    async def get(self, profile: str) -> str | None:
        return await asyncio.to_thread(self._get, profile)

    async def set(self, profile: str, key: str) -> None:
        await asyncio.to_thread(self._set, profile, key)

    async def delete(self, profile: str) -> None:
        await asyncio.to_thread(self._delete, profile)

    def __repr__(self) -> str:
        return f"KeyringKeyStore(service={self._service!r})"


class MemoryKeyStore:
    """Keys for this session only (no keychain, demo mode, unit tests of code above)."""

    def __init__(self) -> None:
        self._keys: dict[str, str] = {}

    async def get(self, profile: str) -> str | None:
        return self._keys.get(profile)

    async def set(self, profile: str, key: str) -> None:
        self._keys[profile] = key

    async def delete(self, profile: str) -> None:
        self._keys.pop(profile, None)

    def __repr__(self) -> str:
        return f"MemoryKeyStore(profiles={sorted(self._keys)})"
