"""The import hook: user modules rewritten, cached under ao's own tag, invalidated, off when asked."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from ao_instrument.dataflow import import_hook, install_hook, is_user_code
from ao_instrument.dataflow.import_hook import CACHE_TAG, cache_path
from ao_instrument.dataflow.user_code import UserCode

MODULE = "def greet(x):\n    return f'hello {x}'\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    (tmp_path / "userpkg").mkdir()
    (tmp_path / "userpkg" / "__init__.py").write_text("")
    (tmp_path / "userpkg" / "mod.py").write_text(MODULE)
    sys.path.insert(0, str(tmp_path))
    import_hook.install(UserCode([str(tmp_path)]))
    yield tmp_path
    import_hook.uninstall()
    sys.path.remove(str(tmp_path))
    for name in [n for n in sys.modules if n.startswith("userpkg")]:
        del sys.modules[name]


def test_user_module_is_rewritten_and_cached_under_its_own_tag(project: Path) -> None:
    import userpkg.mod  # type: ignore[import-not-found]

    assert isinstance(userpkg.mod.__loader__, import_hook.RewritingLoader)
    assert "@ao" in userpkg.mod.__dict__
    cached = Path(cache_path(str(project / "userpkg" / "mod.py")))
    assert cached.exists() and f".{CACHE_TAG}.pyc" in cached.name
    assert userpkg.mod.greet("x") == "hello x"
    plain = Path(cache_path(str(project / "userpkg" / "mod.py")).replace(f".{CACHE_TAG}", f".{sys.implementation.cache_tag}"))
    assert not plain.exists() or b"@ao" not in plain.read_bytes()


def test_cache_is_reused_and_invalidated_on_change(project: Path) -> None:
    source = project / "userpkg" / "mod.py"
    first = import_hook.load_code(str(source))
    cached = Path(cache_path(str(source)))
    stamp = cached.stat().st_mtime_ns
    assert import_hook.load_code(str(source)).co_consts == first.co_consts
    assert cached.stat().st_mtime_ns == stamp
    source.write_text(MODULE.replace("hello", "goodbye!"))
    os.utime(source, ns=(stamp + 10**9, stamp + 10**9))
    ns: dict[str, object] = {}
    exec(import_hook.load_code(str(source)), ns)
    assert ns["greet"]("x") == "goodbye! x"  # type: ignore[operator]


def test_plain_python_ignores_the_rewritten_cache(project: Path) -> None:
    import userpkg.mod  # noqa: F401

    out = subprocess.run(
        [sys.executable, "-c", "import userpkg.mod as m; print('@ao' in vars(m))"],
        cwd=project, capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(project), "PYTHONDONTWRITEBYTECODE": ""},
    )  # fmt: skip
    assert out.stdout.strip() == "False"


def test_libraries_and_ao_itself_are_not_user_code(tmp_path: Path) -> None:
    user = UserCode([str(tmp_path)])
    assert user.contains(str(tmp_path / "a.py"))
    assert not user.contains(os.__file__) and not user.contains(pytest.__file__)
    assert not user.contains(import_hook.__file__)
    venv = tmp_path / "venv" / "lib"
    venv.mkdir(parents=True)
    (tmp_path / "venv" / "pyvenv.cfg").write_text("")
    assert not user.contains(str(venv / "x.py"))
    assert not user.contains(str(tmp_path / "site-packages" / "x.py"))
    explicit = UserCode([os.path.dirname(pytest.__file__)])
    assert explicit.contains(pytest.__file__)


def test_taint_off_and_paths(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AO_TAINT", "off")
    assert install_hook(str(tmp_path)) is False and import_hook.installed() is None
    monkeypatch.setenv("AO_TAINT", "on")
    monkeypatch.setenv("AO_TAINT_PATHS", os.pathsep.join([str(tmp_path / "a"), str(tmp_path / "b")]))
    assert is_user_code(str(tmp_path / "b" / "x.py")) and not is_user_code(str(tmp_path / "c" / "x.py"))


def test_project_directory_of_an_installed_command_is_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`uvicorn app:app` runs `bin/uvicorn`: the app's modules are in the working directory."""
    from ao_instrument.dataflow.user_code import project_directory

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [os.path.join(os.path.dirname(sys.executable), "pytest"), "x"])
    assert os.path.isfile(sys.argv[0])
    assert project_directory() == str(tmp_path)
    (tmp_path / "agent.py").write_text("")
    monkeypatch.setattr(sys, "argv", [str(tmp_path / "agent.py")])
    monkeypatch.chdir(os.path.dirname(sys.executable))
    assert project_directory() == os.path.realpath(tmp_path)


def test_a_script_under_the_interpreters_prefix_is_its_own_project(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`/usr/src/app/agent.py` with Python in `/usr`: only install directories (bin, lib) hold commands."""
    from ao_instrument.dataflow.user_code import project_directory

    app = tmp_path / "src" / "app"
    app.mkdir(parents=True)
    (app / "agent.py").write_text("")
    for name in ("prefix", "base_prefix", "exec_prefix", "base_exec_prefix"):
        monkeypatch.setattr(sys, name, str(tmp_path))
    monkeypatch.setattr(sys, "argv", [str(app / "agent.py")])
    monkeypatch.chdir(os.path.dirname(sys.executable))
    assert project_directory() == os.path.realpath(app)


def test_run_script_runs_rewritten_as_main(tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent("""
        import sys, pickle
        class Thing:
            pass
        print(__name__, sys.argv[1:], '@ao' in globals(), pickle.loads(pickle.dumps(Thing())).__class__.__module__)
    """))
    code = (
        "import sys; from ao_instrument.dataflow import run_script, install_hook; "
        f"install_hook(); run_script({str(script)!r}, [{str(script)!r}, 'arg'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "__main__ ['arg'] True __main__"
