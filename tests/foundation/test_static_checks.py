"""ruff (lint and format) and mypy over the package, as CI runs them.

Each check runs its tool as a subprocess from the repository root and fails with the
tool's own findings. A check is skipped only when its tool is not installed (the
``test`` extras install both).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _tool(name: str) -> str:
    """The tool beside this interpreter (the venv's), else on PATH; skip when missing."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return found


def _run(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "MYPY_FORCE_COLOR": "0"}
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _findings(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def test_ruff_check_is_clean():
    result = _run(_tool("ruff"), "check", ".", timeout=120)
    assert result.returncode == 0, _findings(result)


def test_ruff_format_is_clean():
    result = _run(_tool("ruff"), "format", "--check", ".", timeout=120)
    assert result.returncode == 0, _findings(result)


@pytest.mark.timeout(900)
def test_mypy_is_clean():
    # The settings ([tool.mypy] in pyproject.toml) are strict about None; the cache
    # under .mypy_cache keeps re-runs to seconds.
    result = _run(_tool("mypy"), "clickpro", timeout=900)
    assert result.returncode == 0, _findings(result)
    assert "Success" in result.stdout, _findings(result)


def test_mypy_settings_catch_none_misuse(tmp_path):
    """The project's settings reject using an Optional as if it were set (self-check)."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def first(names: list[str]) -> str | None:\n"
        "    return names[0] if names else None\n\n\n"
        "def shout(names):\n"  # untyped def: checked because of check_untyped_defs
        "    return first(names).upper()\n",
        encoding="utf-8",
    )
    result = _run(
        _tool("mypy"),
        "--config-file",
        str(ROOT / "pyproject.toml"),
        "--cache-dir",
        str(tmp_path / "cache"),
        str(sample),
        timeout=300,
    )
    assert result.returncode == 1, _findings(result)
    assert "[union-attr]" in result.stdout, _findings(result)
