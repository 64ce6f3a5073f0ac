"""The entry script: which argument of the command line it is, and that it runs rewritten once, after start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ao_instrument.launcher.main_script import _console_script, entry_script

LAUNCHER = os.path.join(os.path.dirname(sys.executable), "ao-instrument")
INSTRUMENT = os.path.join(os.path.dirname(sys.executable), "opentelemetry-instrument")


@pytest.mark.parametrize(
    "options",
    [[], ["-u"], ["-W", "ignore"], ["-Wignore"], ["-uWignore"], ["-X", "importtime"], ["-Ximporttime"],
     ["-uW", "ignore"], ["-B", "-O"], ["--check-hash-based-pycs", "always"]],
)  # fmt: skip
def test_the_script_after_interpreter_options(tmp_path: Path, options: list[str]) -> None:
    script = tmp_path / "agent.py"
    script.write_text("print('hi')\n")
    assert entry_script(["python", *options, str(script), "-c", "arg"]) == str(script)


@pytest.mark.parametrize("options", [["-c", "print(1)"], ["-m", "mod"], ["-i"], ["-ui"], ["-"]])
def test_no_script_to_rewrite(tmp_path: Path, options: list[str]) -> None:
    script = tmp_path / "agent.py"
    script.write_text("print('hi')\n")
    assert entry_script(["python", *options, str(script)]) is None


def test_a_zip_application_is_left_to_python(tmp_path: Path) -> None:
    app = tmp_path / "app.pyz"
    app.write_bytes(b"PK\x03\x04rest")
    assert entry_script(["python", str(app)]) is None


def test_an_installed_command_is_not_user_code(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("AO_TAINT_PATHS", raising=False)
    assert _console_script(os.path.join(os.path.dirname(sys.executable), "ao-instrument"))
    assert not _console_script(str(tmp_path / "agent.py"))
    monkeypatch.setenv("AO_TAINT_PATHS", os.path.dirname(sys.executable))
    assert not _console_script(os.path.join(os.path.dirname(sys.executable), "ao-instrument"))


# Whether the script ran rewritten, and what ran before it.
PROGRAM = """
import sys
print("script", "rewritten" if "@ao" in globals() else "as written", int("7") + 1, sys.argv[1:])
"""
USER_SITECUSTOMIZE = """
import sys
print("user sitecustomize", [p for p in sys.path_hooks if type(p).__name__ == "_RunEntryScript"] != [])
"""


def _run(command: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    (tmp_path / "prog.py").write_text(PROGRAM)
    (tmp_path / "site").mkdir(exist_ok=True)
    (tmp_path / "site" / "sitecustomize.py").write_text(USER_SITECUSTOMIZE)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AO_"))}
    full_env.update({"PYTHONPATH": str(tmp_path / "site"), "OTEL_TRACES_EXPORTER": "none",
                     "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none", **env})  # fmt: skip
    return subprocess.run(
        [*command, sys.executable, "prog.py", "x"], env=full_env, cwd=tmp_path, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    "command",
    [[LAUNCHER, "--no-autostart"], [INSTRUMENT, LAUNCHER, "--no-autostart"], [LAUNCHER, "--no-autostart", INSTRUMENT]],
    ids=["ao-instrument", "opentelemetry-instrument ao-instrument", "ao-instrument opentelemetry-instrument"],
)
def test_the_script_runs_rewritten_once_after_the_users_sitecustomize(tmp_path: Path, command: list[str]) -> None:
    result = _run(command, tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "script rewritten 8 ['x']", result.stdout
    assert lines.count("script rewritten 8 ['x']") == 1
    if command[-1] == "--no-autostart":  # ao's bootstrap first: it hands over to the user's sitecustomize
        assert lines[-2] == "user sitecustomize True"  # (the earlier lines: the launchers' own processes)
    assert "Overriding" not in result.stderr and "Attempting to instrument" not in result.stderr, result.stderr


def test_taint_off_under_the_launcher_runs_the_script_as_python_does(tmp_path: Path) -> None:
    result = _run([LAUNCHER, "--no-autostart", "--no-taint"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2:] == ["user sitecustomize False", "script as written 8 ['x']"]
