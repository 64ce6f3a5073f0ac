"""Safety check: a library's own test suite gives the same outcome with its modules rewritten.

    python bench/dataflow/safety.py --package DIR --tests DIR [--cwd DIR] [-- PYTEST_ARGS...]

Runs the tests twice with pytest, as they are and with every module under `--package` rewritten by
ao's import hook (`AO_TAINT_PATHS=DIR`, `rewrite_plugin.py`), and compares the outcome of every test.
Exit status 0 when they are identical and at least one module was rewritten.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent


def outcomes(junit: Path) -> dict[str, str]:
    """test id -> passed / failed / error / skipped."""
    found = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        kinds = {child.tag for child in case}
        found[name] = next((k for k in ("failure", "error", "skipped") if k in kinds), "passed")
    return found


def run(tests: str, cwd: str, extra: list[str], rewrite: str | None) -> tuple[dict[str, str], str]:
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        env = {k: v for k, v in os.environ.items() if k not in ("AO_TAINT", "AO_TAINT_PATHS")}
        args = [sys.executable, "-m", "pytest", tests, "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *extra]
        if rewrite:
            env["AO_TAINT_PATHS"] = rewrite
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
            args[3:3] = ["-p", "rewrite_plugin"]
        done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
        return outcomes(junit), done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--package", required=True, help="directory of the library's modules to rewrite")
    parser.add_argument("--tests", required=True, help="the library's tests")
    parser.add_argument("--cwd", default=None, help="where to run pytest (default: the tests' parent)")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args(argv)
    cwd = args.cwd or str(Path(args.tests).resolve().parent)
    plain, _ = run(args.tests, cwd, args.pytest_args, None)
    rewritten, log = run(args.tests, cwd, args.pytest_args, str(Path(args.package).resolve()))
    summary = re.search(r"ao: (\d+) modules rewritten: (.*)", log)
    count = int(summary.group(1)) if summary else 0
    differ = sorted(k for k in plain.keys() | rewritten.keys() if plain.get(k) != rewritten.get(k))
    tally = {kind: sum(1 for v in plain.values() if v == kind) for kind in ("passed", "failed", "error", "skipped")}
    print(f"tests: {len(plain)} {tally}")
    print(f"modules rewritten: {count} ({summary.group(2) if summary else '-'})")
    for name in differ[:50]:
        print(f"DIFFERS {name}: plain={plain.get(name)} rewritten={rewritten.get(name)}")
    same = not differ and count > 0 and bool(plain)
    print("same outcome" if same else "OUTCOMES DIFFER" if differ else "nothing rewritten")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
