"""The simulator's settings: accounts, timing, content policy words and fault injection."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

DEMO_KEY = "deerdesk-demo-key"

#: account states a key can be given on the command line as KEY:STATE
ACCOUNT_STATES = {
    "ok": None,
    "expired": (401, 1004, "API key expired"),
    "not-yet-valid": (401, 1003, "API key not yet valid"),
    "account": (429, 1100, "account abnormal"),
    "arrears": (429, 1101, "account in arrears"),
    "pack": (429, 1102, "resource pack exhausted or expired"),
    "no-permission": (403, 1103, "no permission to access this endpoint"),
    "ip": (429, 1304, "IP not in the allow-list"),
}

API_FAULTS = (
    "rate_limit_1302",
    "rate_limit_1302_retry_after",
    "rate_limit_1303",
    "rate_limit_1303_retry_after",
    "http_500",
    "http_503",
    "http_504",
    "ok_nonzero",
    "drop",
    "drop_after_create",
    "slow",
    "malformed_json",
)
FILE_FAULTS = ("drop", "slow", "truncated", "http_503")


def key_label(key: str) -> str:
    """How stats name a key without showing it."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


@dataclass
class SimConfig:
    """Everything a run of the simulator can be told. Mutable at run time (tests, /sim/control)."""

    keys: dict[str, str] = field(default_factory=lambda: {DEMO_KEY: "ok"})
    processing_seconds: float = 5.0
    fault_rate: float = 0.0
    faults: tuple[str, ...] = API_FAULTS + tuple(f"file_{f}" for f in FILE_FAULTS)
    seed: int = 0
    refuse_word: str = "forbidden"
    fail_word: str = "unsafe"
    expire_seconds: float = 30 * 86400
    slow_seconds: float = 1.5
    retry_after_seconds: float = 1.0
    offline: bool = False

    @staticmethod
    def parse_key(spec: str) -> tuple[str, str]:
        key, _, state = spec.partition(":")
        state = state or "ok"
        if state not in ACCOUNT_STATES:
            raise ValueError(f"unknown account state {state!r}; one of {', '.join(ACCOUNT_STATES)}")
        return key, state
