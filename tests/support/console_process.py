"""A ``duban`` command that serves the web console, run as a real process for a test.

The process runs in a session of its own; :func:`running` waits for the line that prints the
console's address, hands the address over, and afterwards stops the process (SIGINT, as Ctrl-C
does) if the test did not — whatever happens, nothing outlives the test.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.prefect_server import DUBAN

ADDRESS = re.compile(r"网页控制台：(http://\S+/)")
START_LIMIT = 120.0
"""Seconds to wait for the address line (``duban demo --serve`` runs its simulation first)."""


def duban_env(**extra: str) -> dict[str, str]:
    """This environment without ``DUBAN_*`` settings but the test audit key, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DUBAN_") or k == "DUBAN_AUDIT_KEY"}
    env.update(extra)
    return env


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    log: Path
    address: str

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def interrupt(self, timeout: float = 30) -> int:
        """Send SIGINT (Ctrl-C) and wait for the exit code."""
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=timeout)


def wait_for_address(log: Path, proc: subprocess.Popen[bytes], limit: float = START_LIMIT) -> str:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        found = ADDRESS.search(text)
        if found:
            return found.group(1)
        assert proc.poll() is None, f"exited with {proc.returncode}:\n{text}"
        time.sleep(0.1)
    raise AssertionError(f"no console address within {limit} s:\n{log.read_text(encoding='utf-8')}")


@contextmanager
def running(argv: list[str], *, env: dict[str, str], cwd: Path, log: Path) -> Iterator[Served]:
    """``duban <argv>`` until the test is done with it (stopped with SIGINT, then killed)."""
    with open(log, "wb") as handle:
        proc = subprocess.Popen([DUBAN, *argv], env=env, cwd=cwd, stdout=handle,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield Served(proc, log, wait_for_address(log, proc))
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
