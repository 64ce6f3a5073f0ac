"""Third-party pytest suites, with their own configuration, plain and under `ao-instrument` (issue 10).

Downloads the source distributions of a few projects from the package index, installs each with its
dependencies into a private folder, and runs the project's own test suite twice in its source tree —
`python -m pytest` and `ao-instrument python -m pytest` — with ao's origin tracking rewriting the test
modules as the program's code. Prints each suite's outcome line (passed, failed, skipped, errors) and
whether both runs agree, with the wall times. Not part of the test suite: it needs the package index.

    .venv/bin/python bench/compat/third_party_suites.py [--project more-itertools==11.2.1 ...]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from importlib.metadata import entry_points
from pathlib import Path

# project -> what its test suite needs beside the project and pytest
PROJECTS = {"more-itertools==11.2.1": (), "jinja2==3.1.6": ("trio",)}
LAUNCHER = Path(sys.executable).with_name("ao-instrument")
_SUMMARY = re.compile(r"^(?:=+ )?(\d+ .*(?:passed|failed|error|skipped).*) in [\d.]+s")
_COUNTS = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected|warnings?)")


def prepare(project: str, needs: tuple[str, ...], scratch: Path) -> tuple[Path, Path]:
    """(source tree with the tests, folder with the project and its dependencies installed)."""
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    downloads = scratch / "sdists"
    subprocess.run([*pip, "download", "--no-deps", "--no-binary", ":all:", project, "-d", str(downloads)], check=True)
    name = project.split("==")[0].replace("-", "_").lower()
    (archive,) = [p for p in downloads.iterdir() if p.name.lower().startswith(name) and p.name.endswith(".tar.gz")]
    with tarfile.open(archive) as sdist:
        sdist.extractall(scratch, filter="data")
    source = scratch / archive.name[: -len(".tar.gz")]
    site = scratch / f"site-{name}"
    subprocess.run([*pip, "install", "--target", str(site), str(archive), *needs], check=True)
    return source, site


def peers() -> str:
    """Entry point names of the installed instrumentors that are not ao's."""
    return ",".join(sorted({e.name for e in entry_points(group="opentelemetry_instrumentor")
                            if not e.value.startswith("ao_instrument")}))  # fmt: skip


def suite(source: Path, site: Path, under_ao: bool, home: Path) -> tuple[dict[str, int], float, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AO_"))}
    # ao's own effect: the other instrumentors installed here for ao's tests (FastAPI's imports anyio) are off
    env.update(PYTHONPATH=str(site), AO_HOME=str(home), AO_NO_AUTOSTART="1", OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=peers(),
               OTEL_TRACES_EXPORTER="none", OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="none")  # fmt: skip
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rN"]
    if under_ao:
        argv = [str(LAUNCHER), *argv]
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=source, env=env, capture_output=True, text=True, timeout=3600)
    elapsed = time.perf_counter() - started
    lines = [m.group(1) for m in map(_SUMMARY.search, done.stdout.splitlines()) if m]
    summary = lines[-1] if lines else f"exit {done.returncode}: {(done.stdout + done.stderr)[-400:]}"
    counts = {kind.rstrip("s") if kind.startswith("error") else kind: int(n) for n, kind in _COUNTS.findall(summary)}
    counts.pop("warning", None)
    counts.pop("warnings", None)
    return counts, elapsed, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", action="append", help="name==version (repeatable)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        for project in args.project or list(PROJECTS):
            source, site = prepare(project, PROJECTS.get(project, ()), Path(scratch))
            plain, plain_s, plain_line = suite(source, site, False, Path(scratch) / "home")
            under, under_s, under_line = suite(source, site, True, Path(scratch) / "home")
            same = "same outcome" if plain == under else "DIFFERENT"
            print(f"{project}: {same}")
            print(f"  plain           {plain_s:7.1f} s  {plain_line}")
            print(f"  ao-instrument   {under_s:7.1f} s  {under_line}")


if __name__ == "__main__":
    main()
