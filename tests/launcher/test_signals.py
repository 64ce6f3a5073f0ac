"""Signals and the launcher: one sent to the launcher's pid reaches the program (SIGINT included), and a
terminal's Ctrl-C, which reaches the whole foreground process group, interrupts the program only once."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import subprocess
import sys
import termios
import textwrap
import time
from pathlib import Path

import pytest

LAUNCHER = os.path.join(os.path.dirname(sys.executable), "ao-instrument")

COUNTING = """
    import signal, sys, time
    received = []
    signal.signal(signal.SIGINT, lambda *_: received.append(1))
    print("ready", flush=True)
    deadline = time.monotonic() + 30
    while not received and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.5)  # a second SIGINT, if one came, would be counted by now
    print("interrupted", len(received), flush=True)
    sys.exit(3)
"""


def env() -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AO_"))},
            "OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none",
            "AO_TAINT": "off"}  # fmt: skip


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGUSR1])
def test_a_signal_sent_to_the_launcher_reaches_the_program_once(tmp_path: Path, sig: signal.Signals) -> None:
    (tmp_path / "prog.py").write_text(textwrap.dedent(COUNTING.replace("SIGINT", sig.name)))
    proc = subprocess.Popen([LAUNCHER, sys.executable, "prog.py"], env=env(), cwd=tmp_path, stdout=subprocess.PIPE,
                            text=True)  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    proc.send_signal(sig)
    assert proc.wait(20) == 3
    assert proc.stdout.read().strip() == "interrupted 1"


def _default_sigint() -> None:
    """SIGINT as a terminal's shell leaves it: a suite run as a background job (`cmd &`) has it ignored,
    which the launcher and the program inherit, as plain Python would."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_an_uncaught_sigint_ends_the_launcher_as_it_ends_the_program(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text("import time\nprint('ready', flush=True)\ntime.sleep(30)\n")
    proc = subprocess.Popen([LAUNCHER, sys.executable, "prog.py"], env=env(), cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint)  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(20) == -signal.SIGINT
    assert time.monotonic() - started < 10
    assert "KeyboardInterrupt" in (proc.stderr.read() if proc.stderr else "")


def _controlling_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def test_ctrl_c_on_a_terminal_interrupts_the_program_once(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text(textwrap.dedent(COUNTING))
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [LAUNCHER, sys.executable, "prog.py"], env=env(), cwd=tmp_path, stdin=slave, stdout=slave, stderr=slave,
        start_new_session=True, preexec_fn=_controlling_terminal,
    )  # fmt: skip
    os.close(slave)
    output = b""
    try:
        output = _read_until(master, b"ready")
        os.write(master, b"\x03")  # the terminal's interrupt character: the kernel signals the foreground group
        output += _read_until(master, b"interrupted")
        assert proc.wait(20) == 3
        output += _read_until(master, b"\n")
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert b"interrupted 1" in output, output


def _read_until(fd: int, marker: bytes, timeout: float = 30.0) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                data += os.read(fd, 1024)
            except OSError:
                break
    return data
