"""The secret that keys the audit chain: never in the database.

Where it comes from, first found wins:

1. ``DUBAN_AUDIT_KEY`` — the secret itself (at least :data:`MIN_KEY_LENGTH` characters), for
   deployments that inject secrets through the environment;
2. the key file ``DUBAN_AUDIT_KEY_FILE``, by default ``~/.config/duban/audit.key``
   (``$XDG_CONFIG_HOME`` respected), which ``duban init`` creates with owner-only permissions
   (0600, its folder 0700). A key file that others may read is refused, as ssh refuses a
   private key that others may read.

Guarantees: every append and every verification uses the same key bytes for the same source;
without a key nothing is appended (the caller's transaction fails with a Chinese message), so
the chain never holds an unkeyed event. The key's fingerprint (:func:`key_id`) may be stored
and shown: it reveals nothing of the key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from functools import lru_cache
from pathlib import Path

from engine.errors import DubanError

MIN_KEY_LENGTH = 32
"""Characters a key must have (a generated key is 64 hexadecimal characters, 256 bits)."""

_CACHE: dict[tuple[str, int, int, int], bytes] = {}


class AuditKeyError(DubanError):
    """The audit key is missing, too short or not protected."""


def default_key_path() -> Path:
    """``$XDG_CONFIG_HOME/duban/audit.key`` (``~/.config/duban/audit.key``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "duban" / "audit.key"


def _configured() -> tuple[str | None, Path]:
    from config.settings import get_settings

    settings = get_settings()
    return settings.audit_key, Path(settings.audit_key_file or default_key_path()).expanduser()


def key_file_path() -> Path:
    """The key file in use (whether or not the environment variable takes precedence)."""
    return _configured()[1]


def key_from_environment() -> bool:
    """Whether ``DUBAN_AUDIT_KEY`` supplies the key."""
    return _configured()[0] is not None


def audit_key() -> bytes:
    """The key bytes; raises :class:`AuditKeyError` with the remedy when there is none."""
    secret, path = _configured()
    if secret is not None:
        if len(secret.strip()) < MIN_KEY_LENGTH:
            raise AuditKeyError(f"环境变量 DUBAN_AUDIT_KEY 过短：审计密钥至少需 {MIN_KEY_LENGTH} 个字符")
        return secret.strip().encode("utf-8")
    return _read_key_file(path)


def _read_key_file(path: Path) -> bytes:
    # Checked on every use (a stat costs microseconds): a file made readable to others, or
    # removed, stops the very next write; the content is read again only when the file changed.
    try:
        info = path.stat()
    except FileNotFoundError:
        raise AuditKeyError(
            f"未找到审计密钥文件 {path}：请运行 duban init 生成，或设置环境变量 DUBAN_AUDIT_KEY"
            "（审计记录须用密钥签名，密钥不存放在数据库中）") from None
    except OSError as exc:
        raise AuditKeyError(f"无法读取审计密钥文件 {path}（{exc.strerror}）") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AuditKeyError(f"审计密钥文件 {path} 的权限过宽（其他用户可访问），"
                            f"请执行 chmod 600 {path}")
    version = (str(path), info.st_ino, info.st_mtime_ns, info.st_size)
    cached = _CACHE.get(version)
    if cached is not None:
        return cached
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        raise AuditKeyError(f"无法读取审计密钥文件 {path}（应为一行文本密钥）") from None
    if len(text) < MIN_KEY_LENGTH:
        raise AuditKeyError(f"审计密钥文件 {path} 中的密钥过短（至少 {MIN_KEY_LENGTH} 个字符）")
    _CACHE.clear()
    _CACHE[version] = text.encode("ascii")
    return _CACHE[version]


def ensure_key_file() -> Path | None:
    """Create the key file with a new random key unless a key is configured already.

    Returns the path of a file created now, ``None`` when the environment supplies the key or
    the file exists (an existing file is checked, never replaced: replacing it would make every
    event written so far unverifiable).
    """
    if key_from_environment():
        audit_key()
        return None
    path = key_file_path()
    if path.exists():
        audit_key()
        return None
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # created meanwhile by another init: use that one
        audit_key()
        return None
    except OSError as exc:
        raise AuditKeyError(f"无法创建审计密钥文件 {path}（{exc.strerror}）") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    os.chmod(path, 0o600)  # whatever the umask
    return path


@lru_cache(maxsize=8)
def key_id(key: bytes) -> str:
    """A short public fingerprint of ``key`` (tells "another key" apart from "tampered")."""
    return hmac.new(key, b"duban audit key id", hashlib.sha256).hexdigest()[:16]
