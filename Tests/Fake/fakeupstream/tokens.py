"""OAuth state: the one valid token pair, single-use refresh tokens, auth codes and the device flow."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from .scenario import DEFAULT_EXPIRES_IN


def new_token() -> str:
    # Same shape as real Trakt tokens: 64 lowercase hex characters.
    return secrets.token_hex(32)


def _fixed_token(label: str) -> str:
    return hashlib.sha256(f"trakt-widget fake: {label}".encode()).hexdigest()


# Stable across resets so harnesses can hand the initial refresh token to a responder without asking.
INITIAL_ACCESS_TOKEN = _fixed_token("initial access token")
INITIAL_REFRESH_TOKEN = _fixed_token("initial refresh token")
INITIAL_AUTH_CODE = "test-auth-code"


@dataclass
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    created_at: int
    # Tests flip this to make the current access token fail before its natural expiry.
    expired: bool = False
    revoked: bool = False

    def access_valid(self, now: float) -> bool:
        return not (self.expired or self.revoked) and now < self.created_at + self.expires_in


@dataclass
class TokenStore:
    """Holds exactly one live pair, like a single Trakt user with a single connected app.

    Every method takes the lock: refresh must be check-and-rotate in one step, otherwise two
    concurrent refreshes with the same token could both succeed, which real Trakt never allows.
    """

    lenient: bool = False  # --demo: accept any bearer and any refresh token
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.current = TokenPair(
                INITIAL_ACCESS_TOKEN, INITIAL_REFRESH_TOKEN, DEFAULT_EXPIRES_IN, int(time.time())
            )
            self.used_refresh_tokens: list[str] = []
            self.revoked_tokens: list[str] = []
            self.auth_codes: set[str] = {INITIAL_AUTH_CODE}
            self.issued = 0  # pairs handed out since reset (refresh, code exchange, device flow)

    def set(self, fields: dict[str, Any]) -> None:
        allowed = {"access_token", "refresh_token", "expires_in", "created_at", "expired", "auth_codes"}
        unknown = sorted(set(fields) - allowed)
        if unknown:
            raise ValueError(f"unknown token fields: {', '.join(unknown)}")
        expected = {"access_token": str, "refresh_token": str, "expires_in": int, "created_at": int,
                    "expired": bool, "auth_codes": list}
        wrong = sorted(name for name, value in fields.items() if not isinstance(value, expected[name]))
        if wrong:
            raise ValueError(f"wrong type for token fields: {', '.join(wrong)}")
        with self._lock:
            pair = self.current
            if "access_token" in fields or "refresh_token" in fields:
                # Setting a token starts a fresh, valid pair unless the test says otherwise.
                pair = TokenPair(pair.access_token, pair.refresh_token, pair.expires_in, int(time.time()))
            for name in ("access_token", "refresh_token", "expires_in", "created_at", "expired"):
                if name in fields:
                    setattr(pair, name, fields[name])
            self.current = pair
            if "auth_codes" in fields:
                self.auth_codes = set(fields["auth_codes"])

    def access_ok(self, token: str | None) -> str | None:
        """None if `token` may call OAuth endpoints, else the reason (used as error_description)."""
        with self._lock:
            if not token:
                return "missing access token"
            if self.lenient:
                return None
            if token != self.current.access_token:
                return "The access token is invalid"
            if self.current.revoked:
                return "The access token was revoked"
            if not self.current.access_valid(time.time()):
                return "The access token expired"
            return None

    def _issue(self, expires_in: int) -> TokenPair:
        self.current = TokenPair(new_token(), new_token(), expires_in, int(time.time()))
        self.issued += 1
        return self.current

    def refresh(self, refresh_token: str, expires_in: int) -> TokenPair | None:
        """Rotate the pair; the presented refresh token is dead afterwards, whatever happens next."""
        with self._lock:
            known = refresh_token == self.current.refresh_token and not self.current.revoked
            if not (known or self.lenient):
                return None
            self.used_refresh_tokens.append(refresh_token)
            return self._issue(expires_in)

    def exchange_code(self, code: str, expires_in: int) -> TokenPair | None:
        with self._lock:
            if code not in self.auth_codes and not self.lenient:
                return None
            self.auth_codes.discard(code)  # codes are single-use too
            return self._issue(expires_in)

    def issue(self, expires_in: int) -> TokenPair:
        with self._lock:
            return self._issue(expires_in)

    def revoke(self, token: str) -> None:
        # Trakt keeps access and refresh token on one grant, so revoking either kills both.
        with self._lock:
            if token in (self.current.access_token, self.current.refresh_token):
                self.current.revoked = True
            self.revoked_tokens.append(token)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            pair = asdict(self.current)
            pair["expires_at"] = pair["created_at"] + pair["expires_in"]
            pair["access_valid"] = self.current.access_valid(time.time())
            return {
                **pair,
                "used_refresh_tokens": list(self.used_refresh_tokens),
                "revoked_tokens": list(self.revoked_tokens),
                "auth_codes": sorted(self.auth_codes),
                "issued": self.issued,
            }


# Device polling outcomes and the status Trakt answers with (reference doc, section 1.5).
DEVICE_STATUS = {
    "success": 200,
    "pending": 400,
    "invalid": 404,
    "used": 409,
    "expired": 410,
    "denied": 418,
    "slow_down": 429,
}


@dataclass
class DeviceCode:
    device_code: str
    user_code: str
    created: float
    expires_in: int
    approved: bool = False


@dataclass
class DeviceFlow:
    """Device-code state plus a scripted sequence of polling outcomes shared by all codes."""

    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.codes: dict[str, DeviceCode] = {}
            self.script: list[str] = ["success"]
            self.last_outcome = "pending"
            self.polls = 0

    def set_script(self, outcomes: list[str]) -> None:
        bad = [o for o in outcomes if o not in DEVICE_STATUS]
        if bad or not outcomes:
            raise ValueError(f"outcomes must be a non-empty list of {sorted(DEVICE_STATUS)}")
        with self._lock:
            self.script = list(outcomes)

    def new_code(self, expires_in: int) -> DeviceCode:
        with self._lock:
            code = DeviceCode(new_token(), secrets.token_hex(4).upper(), time.time(), expires_in)
            self.codes[code.device_code] = code
            return code

    def poll(self, device_code: str) -> str:
        """Next outcome for this poll. Once the script runs out its last outcome repeats."""
        with self._lock:
            self.polls += 1
            code = self.codes.get(device_code)
            if code is None:
                return "invalid"
            if code.approved:
                return "used"
            if time.time() > code.created + code.expires_in:
                return "expired"
            if self.script:
                self.last_outcome = self.script.pop(0)
            if self.last_outcome == "success":
                code.approved = True
            return self.last_outcome

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "script": list(self.script),
                "polls": self.polls,
                "codes": [asdict(c) for c in self.codes.values()],
            }
