"""The README's layout table is a promise about the tree: every folder it names exists, and
every sub-package of netdoc/ is in it. And the folders are the pipeline: a stage never
imports another stage's private names, git and file locks have one home each
(netdoc/gitstore.py, netdoc/fsutil.py), and a client's file names one (netdoc/workspace.py)."""
from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from netdoc import workspace

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


def modules(*folders: str) -> Iterator[tuple[str, ast.Module]]:
    """(path relative to the repository, parsed module) for every module under `folders`."""
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield str(path.relative_to(ROOT)), ast.parse(path.read_text())


def imported_modules(tree: ast.Module) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_git_and_file_locks_are_reached_only_through_the_one_store_and_the_one_lock() -> None:
    """GitPython belongs to netdoc/gitstore.py and fcntl to netdoc/fsutil.py (FileLock): a
    stage that needs a commit or a lock asks them."""
    offenders = []
    for path, tree in modules(*(f"netdoc/{stage}" for stage in STAGES)):
        for name in sorted(imported_modules(tree)):
            if name.split(".")[0] in ("git", "fcntl"):
                offenders.append(f"{path}: import {name}")
    assert offenders == []


# The client's files whose names netdoc.workspace owns, and that no other module may spell
# out: distinctive file and folder names (generic words such as "site" or "devices" are
# also keys of the data, so they are not checked here).
OWNED_NAMES = {value: name for name, value in vars(workspace).items()
               if name.isupper() and isinstance(value, str)
               and len(value) > len(".lock")  # the vault's own .lock is another file
               and (value.endswith((".json", ".graphml", ".lock", ".yaml"))
                    or value.startswith("."))}
# Names still spelt out in modules another helper is rewriting, with the workspace name to
# use; each entry must still be true (delete it when the module is fixed).
NOT_YET: dict[str, set[str]] = {}


def docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def test_the_workspace_owns_the_client_file_names() -> None:
    assert {"last-run.json", "state.json", "last-changes.json", ".netdoc-state",
            "backup-state.json", "repository.lock", "port-history.json"} <= set(OWNED_NAMES)
    spelt: dict[str, set[str]] = {}
    for path, tree in modules("netdoc"):
        if path == "netdoc/workspace.py":
            continue
        skip = docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in OWNED_NAMES \
                    and id(node) not in skip:
                spelt.setdefault(path, set()).add(OWNED_NAMES[node.value])
    assert spelt == NOT_YET


def test_only_the_git_store_runs_git() -> None:
    """Local repositories go through GitStore, remotes through its run_git: no module
    starts the git command itself."""
    offenders = []
    for path, tree in modules("netdoc"):
        if path == "netdoc/gitstore.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.List, ast.Tuple)) and node.elts and \
                    isinstance(node.elts[0], ast.Constant) and node.elts[0].value == "git":
                offenders.append(f"{path}:{node.lineno}")
    assert offenders == []
