"""The README's layout table is a promise about the tree: every folder it names exists, and
every sub-package of netdoc/ is in it. And the folders are the pipeline: a stage never
imports another stage's private names."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("discover", "inventory", "topology", "render", "backup", "facts", "vault")


def layout_table() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Layout\n", 1)[1].split("\n## ", 1)[0]
    paths: list[str] = []
    for line in section.splitlines():
        if line.startswith("| `"):
            paths += re.findall(r"`([^`]+/)`", line.split("|")[1])
    return paths


def test_every_folder_in_the_layout_table_exists() -> None:
    paths = layout_table()
    assert len(paths) > 10
    missing = [p for p in paths if not (ROOT / p).is_dir()]
    assert missing == []


def test_every_netdoc_sub_package_is_in_the_layout_table() -> None:
    listed = set(layout_table())
    packages = sorted(f"netdoc/{d.name}/" for d in (ROOT / "netdoc").iterdir()
                      if d.is_dir() and (d / "__init__.py").exists())
    assert [p for p in packages if p not in listed] == []


def test_the_wheel_installs_no_top_level_package_but_netdoc() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'include = ["netdoc*"]' in pyproject
    assert not (ROOT / "collectors" / "__init__.py").exists()


def test_no_stage_imports_another_stages_private_names() -> None:
    offenders: list[str] = []
    for stage in STAGES:
        for path in (ROOT / "netdoc" / stage).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if not isinstance(node, ast.ImportFrom) or not node.module:
                    continue
                parts = node.module.split(".")
                if len(parts) < 2 or parts[0] != "netdoc" or parts[1] == stage:
                    continue
                if parts[1] in STAGES:
                    private = [a.name for a in node.names if a.name.startswith("_")]
                    if private:
                        offenders.append(f"{path.relative_to(ROOT)}: {node.module} {private}")
    assert offenders == []
