"""``process_gone``: which claim holders of this host may be released at once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from engine.store.lease import process_gone

HOST = socket.gethostname()


def test_a_running_process_of_this_host_is_not_gone() -> None:
    assert not process_gone(f"{HOST}:{os.getpid()}")


def test_holders_of_other_hosts_or_malformed_are_never_judged_gone() -> None:
    assert not process_gone(f"elsewhere.example:{os.getpid()}")
    assert not process_gone(f"{HOST}:not-a-pid")
    assert not process_gone("")


def test_an_exited_and_reaped_process_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert process_gone(f"{HOST}:{child.pid}")


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="zombie detection reads /proc (Linux)")
def test_an_exited_but_unreaped_process_is_gone() -> None:
    """A dispatcher that died under a parent that has not reaped it yet holds nothing."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        # Wait for the exit without reaping: the child stays a zombie until child.wait().
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
        os.kill(child.pid, 0)  # the pid still answers signals …
        assert process_gone(f"{HOST}:{child.pid}")  # … yet it is gone
    finally:
        child.wait()
