"""tools.torch_versions: the torch pairs the weekly workflow tests come from pyproject.toml."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tools import torch_versions

ROOT = Path(__file__).resolve().parents[2]


def test_the_floor_is_the_declared_one(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\ndependencies = ["numpy>=1", "torch>=2.6.1", "torchvision >= 0.21"]\n')
    assert torch_versions.floors(pyproject) == {"torch": "2.6.1", "torchvision": "0.21"}
    assert torch_versions.requirements("floor", pyproject) == ["torch==2.6.*", "torchvision==0.21.*"]
    assert torch_versions.requirements("newest", pyproject) == ["torch", "torchvision"]
    with pytest.raises(ValueError, match="newest"):
        torch_versions.requirements("oldest", pyproject)
    pyproject.write_text('[project]\nname = "x"\ndependencies = ["torch"]\n')
    with pytest.raises(ValueError, match="no '>=' floor for torch, torchvision"):
        torch_versions.floors(pyproject)


def test_the_repository_declares_matching_floors() -> None:
    found = torch_versions.floors()
    torch_minor = int(found["torch"].split(".")[1])
    assert found["torch"].startswith("2.") and found["torchvision"] == f"0.{torch_minor + 15}", found


def test_the_weekly_workflow_runs_both_and_reports_failures() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "torch-versions.yml").read_text())
    assert "schedule" in workflow[True] and "workflow_dispatch" in workflow[True]  # yaml reads `on:` as True
    job = workflow["jobs"]["notebooks"]
    assert job["strategy"]["matrix"]["torch"] == ["newest", "floor"]
    runs = " ".join(step.get("run", "") for step in job["steps"])
    assert "tools.torch_versions ${{ matrix.torch }}" in runs and "tests/book/test_notebook_smoke.py" in runs
    assert any("issues.create" in step.get("with", {}).get("script", "") for step in job["steps"])
    assert workflow["permissions"]["issues"] == "write"
