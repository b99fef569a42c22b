"""netdoc.yaml edges: YAML that would silently mean something else, or crash the
parser, is an error with a line number and exit code 2; `file:` secrets resolve
next to netdoc.yaml and never point at the system's own credential files."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from netdoc.config import parse_config
from netdoc.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
GOOD = """\
credentials:
  ssh: {ssh: {username: netdoc, password: "env:PW"}}
clients:
  acme:
    sites:
      hq: {subnets: [192.0.2.0/24], credentials: [ssh]}
"""

HOSTILE_YAML = {
    "duplicate client": (GOOD + "  acme:\n    sites: {other: {subnets: [198.51.100.0/24]}}\n",
                         "duplicate key 'acme'", 7),
    "duplicate nested key": (GOOD.replace("subnets: [192.0.2.0/24],",
                                          "subnets: [192.0.2.0/24], subnets: [],"),
                             "duplicate key 'subnets'", 6),
    "complex key": ("clients:\n  ? [a, b]\n  : {sites: {}}\n", "plain text", 2),
    "deep nesting": ("clients: " + "[" * 5000 + "]" * 5000 + "\n", "levels deep", 1),
    "deep block nesting": ("clients:\n" + "".join("  " * i + f"k{i}:\n"
                                                   for i in range(1, 200)), "levels deep", None),
    "alias loop": ("clients: &a\n  acme: *a\n", "alias", None),
    "billion laughs": ("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                       + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join(
                           [f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(7))
                       + "clients: *h\n", "values after expanding aliases", None),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_YAML))
def test_hostile_yaml_is_an_error_with_a_line(tmp_path: Path, case: str) -> None:
    text, message, line = HOSTILE_YAML[case]
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path / "netdoc.yaml")
    assert message in str(caught.value)
    if line is not None:
        assert caught.value.line == line  # type: ignore[attr-defined]
    else:
        assert caught.value.line  # type: ignore[attr-defined]


def test_the_command_line_exits_2_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "netdoc.yaml"
    path.write_text(HOSTILE_YAML["deep nesting"][0])
    done = subprocess.run([sys.executable, "-m", "netdoc.app.cli", "--config", str(path), "check"],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "netdoc.yaml:1: nested more than" in done.stderr


def test_file_secrets_resolve_next_to_netdoc_yaml(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    conf = tmp_path / "etc"
    conf.mkdir()
    (conf / "ssh.pw").write_text("s3cret-from-file\n")
    (conf / "ssh.pw").chmod(0o600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = parse_config(GOOD.replace("env:PW", "file:ssh.pw"), conf / "netdoc.yaml")
    secret = config.credentials["ssh"].ssh.password  # type: ignore[union-attr]
    assert secret is not None and secret.reveal() == "s3cret-from-file"


@pytest.mark.parametrize("target", ["/etc/shadow", "/etc/gshadow",
                                    "/etc/ssh/ssh_host_ed25519_key", "/root/.ssh/id_rsa"])
def test_file_secrets_refuse_system_credential_files(tmp_path: Path, target: str) -> None:
    with pytest.raises(ConfigError, match="system credential file"):
        parse_config(GOOD.replace("env:PW", f"file:{target}"), tmp_path / "netdoc.yaml")


def test_a_symlink_to_a_system_file_is_refused_too(tmp_path: Path) -> None:
    (tmp_path / "innocent.pw").symlink_to("/etc/shadow")
    with pytest.raises(ConfigError, match="system credential file"):
        parse_config(GOOD.replace("env:PW", "file:innocent.pw"), tmp_path / "netdoc.yaml")


def test_a_token_in_the_git_remote_url_is_warned_about(tmp_path: Path) -> None:
    text = GOOD.replace("    sites:", "    remote: https://netdoc:glpat-abcdef123456@git.example"
                                       "/acme.git\n    sites:")
    config = parse_config(text, tmp_path / "netdoc.yaml")
    assert any("remote" in w and "plaintext token" in w for w in config.warnings)
    assert all("glpat-abcdef123456" not in w for w in config.warnings)
