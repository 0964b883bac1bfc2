"""The bundled catalog ships in the wheel and loads from an installed (non-editable) package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _run(args, **kw):
    result = subprocess.run(args, capture_output=True, text=True, **kw)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.slow  # builds a wheel and a virtual environment (about a minute)
@pytest.mark.skipif(not (REPO / "pyproject.toml").is_file(), reason="needs the source tree")
def test_wheel_installs_and_loads_the_catalog(tmp_path, monkeypatch):
    monkeypatch.delenv("CRASHCOMPAT_VEHICLES", raising=False)
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
          "-w", str(dist), str(REPO)])
    (wheel,) = dist.glob("crashcompat-*.whl")

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    _run([str(python), "-m", "pip", "install", "-q", str(wheel)])

    work = tmp_path / "elsewhere"
    work.mkdir()
    code = ("import crashcompat.catalog.loading as c; cat = c.load_catalog(); "
            "print(len(cat)); print(c.__file__); print(c.bundled_root())")
    out = _run([str(python), "-c", code], cwd=work).splitlines()
    n, module_file, root = int(out[0]), Path(out[1]), Path(out[2])

    expected = len(list((REPO / "vehicles").rglob("*.toml")))
    assert n == expected  # every class folder ships, us-van included
    assert module_file.resolve().is_relative_to(venv.resolve())
    assert root.resolve().is_relative_to(venv.resolve())
    assert root.name == "_vehicles"
