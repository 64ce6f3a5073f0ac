"""Which argument of the interpreter's command line is the entry script the launcher rewrites."""

from __future__ import annotations

from pathlib import Path

import pytest

from ao_instrument.launcher.main_script import entry_script


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
