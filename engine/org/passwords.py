"""Web console passwords: the rules a new password meets, and argon2id hashing.

Guarantees:

- a password is checked and hashed after Unicode NFKC normalisation, so the full-width digits
  and letters a Chinese input method may type match their ASCII forms;
- only the argon2id hash (PHC string, random salt) is ever returned or stored; nothing here logs;
- :func:`verify` costs the same whether or not there is a real hash to check
  (:func:`verify_nothing` runs against a dummy hash of the same parameters), so the time a login
  takes does not tell whether the name exists.
"""

from __future__ import annotations

import secrets
import unicodedata

from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher

from config.defaults import PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS
from engine.errors import InvalidInput

_STATE: dict[str, object] = {"hasher": PasswordHash((Argon2Hasher(),))}
"""The hasher in use (argon2-cffi's defaults: 64 MiB, 3 passes, 4 lanes) and its dummy hash."""


def use_hasher(hasher: PasswordHash) -> None:
    """Replace the hasher (tests use cheap argon2 parameters). Hashes made with other
    parameters still verify and are re-hashed with the current ones at the next login."""
    _STATE.clear()
    _STATE["hasher"] = hasher


def _hasher() -> PasswordHash:
    hasher = _STATE["hasher"]
    assert isinstance(hasher, PasswordHash)
    return hasher


def normalised(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def check_rules(password: str) -> str:
    """The password as it will be hashed; raises :class:`InvalidInput` (Chinese) when it is
    shorter than ``PASSWORD_MIN_CHARS``, longer than ``PASSWORD_MAX_CHARS``, blank, or holds a
    control character (a newline pasted by accident, a terminal escape)."""
    text = normalised(password)
    if len(text) < PASSWORD_MIN_CHARS:
        raise InvalidInput(f"密码至少需要 {PASSWORD_MIN_CHARS} 个字符")
    if len(text) > PASSWORD_MAX_CHARS:
        raise InvalidInput(f"密码不能超过 {PASSWORD_MAX_CHARS} 个字符")
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise InvalidInput("密码不能包含换行、制表符等控制字符")
    if not text.strip():
        raise InvalidInput("密码不能全部是空格")
    return text


def hash_password(password: str) -> str:
    """The argon2id hash of a password that passed :func:`check_rules`."""
    return _hasher().hash(normalised(password))


def verify(password: str, stored: str) -> tuple[bool, str | None]:
    """Whether ``password`` matches ``stored``, and a new hash when ``stored`` was made with other
    parameters than the current ones (``None`` otherwise). A malformed stored hash never
    matches."""
    if len(password) > PASSWORD_MAX_CHARS * 4:
        verify_nothing(password[:PASSWORD_MAX_CHARS])  # bound the work, keep the timing alike
        return False, None
    try:
        return _hasher().verify_and_update(normalised(password), stored)
    except UnknownHashError:
        verify_nothing(password)
        return False, None


def verify_nothing(password: str) -> None:
    """Spend the time a verification takes, for a name that has no account."""
    dummy = _STATE.get("dummy")
    if not isinstance(dummy, str):
        dummy = _STATE["dummy"] = _hasher().hash(secrets.token_urlsafe(24))
    _hasher().verify(normalised(password), dummy)
