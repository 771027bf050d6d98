"""Where the API key lives: the OS keychain, through a small async KeyStore."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
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
        except Exception as exc:  # backends raise their own errors (D-Bus, ...), not only
            raise KeychainUnavailableError(  # KeyringError; none of them may escape
                f"The keychain could not be read ({type(exc).__name__})."
            ) from None

    def _set(self, profile: str, key: str) -> None:
        import keyring
        import keyring.errors

        self._check_backend()
        try:
            keyring.set_password(self._service, _account(profile), key)
        except Exception as exc:  # the message could quote what was sent: name the type only
            raise KeychainUnavailableError(
                f"The keychain refused the key ({type(exc).__name__})."
            ) from None

    def _delete(self, profile: str) -> None:
        import keyring
        import keyring.errors

        self._check_backend()
        try:
            keyring.delete_password(self._service, _account(profile))
        except keyring.errors.PasswordDeleteError:
            pass
        except Exception as exc:
            raise KeychainUnavailableError(
                f"The keychain could not be changed ({type(exc).__name__})."
            ) from None

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


class KeyManager:
    """The key of one profile: in the keychain, or kept for this session only when the
    keychain does not work and the person agreed to that. Never in a file."""

    def __init__(
        self,
        keychain: KeyStore,
        profile: str,
        *,
        on_key: Callable[[str], None] | None = None,
    ) -> None:
        self._keychain = keychain
        self._on_key = on_key or (lambda _key: None)
        self._session = MemoryKeyStore()
        self.profile = profile
        self.session_only = False
        self.keychain_problem: str | None = None

    async def load(self) -> str | None:
        """The key, or None; a broken keychain is noted in `keychain_problem`, not raised."""
        if self.session_only:
            return await self._session.get(self.profile)
        try:
            key = await self._keychain.get(self.profile)
        except KeychainUnavailableError as exc:
            self.keychain_problem = str(exc)
            return None
        self.keychain_problem = None
        if key:
            self._on_key(key)
        return key

    async def store(self, key: str, *, session_only: bool = False) -> None:
        """Raises KeychainUnavailableError unless `session_only` (then it stays in memory)."""
        key = key.strip()
        self._on_key(key)  # known to the log redactor before anything can log it
        if session_only:
            await self._session.set(self.profile, key)
            self.session_only = True
            return
        await self._keychain.set(self.profile, key)
        self.session_only = False
        self.keychain_problem = None
        await self._session.delete(self.profile)

    async def remove(self) -> None:
        await self._session.delete(self.profile)
        if not self.session_only:
            await self._keychain.delete(self.profile)
        self.session_only = False

    def __repr__(self) -> str:
        return f"KeyManager(profile={self.profile!r}, session_only={self.session_only})"
