"""Exit codes a script or systemd can act on, one per cause, each mapped from the
error's type in one place (netdoc/errors.py):

    0 all well   1 devices failed   2 usage/config   3 lock held
    4 environment (permissions, a missing tool)   5 a stage failed
"""
from __future__ import annotations

from pathlib import Path

import pytest

from cli_support import CONFIG, netdoc_json, write_config
from netdoc import errors
from netdoc.config import Client, Config
from netdoc.app.pipeline import STAGES, DeviceFailure, StageOutcome
from netdoc.app.runner import client_lock

README = Path(__file__).resolve().parents[2] / "README.md"


def one_device_fails(config: Config, client: Client) -> StageOutcome:
    return StageOutcome(stage="render", client=client.name, summary="1 device failed",
                        failures=[DeviceFailure(host="192.0.2.1", reason="login refused")])


def the_stage_breaks(config: Config, client: Client) -> StageOutcome:
    raise RuntimeError("the stage fell over")


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ND_CLI_TEST_COMMUNITY", "public")
    monkeypatch.chdir(tmp_path)
    return write_config(tmp_path, CONFIG + "run: {lock_wait: 0}\n")


def test_0_all_well(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, document = netdoc_json(capsys, "--config", str(config), "check")
    assert code == errors.EXIT_OK == 0


def test_1_some_devices_failed(config: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(STAGES, "render", f"{__name__}:one_device_fails")
    code, document = netdoc_json(capsys, "--config", str(config), "render")
    assert code == errors.EXIT_DEVICES == 1
    assert document["runs"][0]["status"] == "failures"


def test_2_configuration_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = write_config(tmp_path, "clients: [oops\n")
    code, document = netdoc_json(capsys, "--config", str(broken), "check")
    assert code == errors.EXIT_USAGE == 2
    assert document["error"]["kind"] == "ConfigError"


def test_2_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, document = netdoc_json(capsys, "run", "--stages", "nonsense")
    assert code == 2 and document["error"]["kind"] == "UsageError"


def test_3_the_lock_is_held(config: Path, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    with client_lock(tmp_path / "inventory" / "acme", 0):  # another run holds the client
        code, document = netdoc_json(capsys, "--config", str(config), "render")
    assert code == errors.EXIT_LOCKED == 3
    assert document["runs"][0]["status"] == "locked"


def test_4_an_output_folder_cannot_be_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ND_CLI_TEST_COMMUNITY", "public")
    (tmp_path / "a-file").write_text("not a folder")
    config = write_config(tmp_path, CONFIG.replace("inventory: inventory",
                                                   "inventory: a-file/inventory"))
    code, document = netdoc_json(capsys, "--config", str(config), "render")
    assert code == errors.EXIT_ENVIRONMENT == 4
    assert document["runs"][0]["status"] == "environment"
    assert "a-file" in document["runs"][0]["failures"][0]["reason"]


def test_5_a_stage_failed(config: Path, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(STAGES, "render", f"{__name__}:the_stage_breaks")
    code, document = netdoc_json(capsys, "--config", str(config), "render")
    assert code == errors.EXIT_STAGE == 5
    assert document["runs"][0]["status"] == "stage_failed"


def test_exit_codes_come_from_the_error_types_alone() -> None:
    assert errors.ConfigError("x").exit_code == errors.SecretError("x").exit_code == 2
    assert errors.UsageError("x").exit_code == 2
    assert errors.LockHeld("x").exit_code == 3
    assert errors.StoreError("x").exit_code == errors.EnvironmentProblem("x").exit_code == 4
    assert errors.StageFailed("x").exit_code == 5
    assert errors.DeviceError("h", "x").exit_code == 1


def test_the_readme_documents_every_exit_code() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Exit codes"):]
    for code in (0, 1, 2, 3, 4, 5):
        assert f"| {code} |" in section, code


def test_check_names_every_unresolvable_secret_not_just_the_first(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ND_MISSING_A", "ND_MISSING_B"):
        monkeypatch.delenv(name, raising=False)
    config = write_config(tmp_path, CONFIG.replace(
        "  lab-snmp:\n", "  one: {snmp: {version: 2c, community: \"env:ND_MISSING_A\"}}\n"
                         "  two: {ssh: {username: u, password: \"env:ND_MISSING_B\"}}\n"
                         "  lab-snmp:\n").replace("credentials: [lab-snmp]",
                                                  "credentials: [one, two]"))
    code, document = netdoc_json(capsys, "--config", str(config), "check")
    assert code == 2 and document["error"]["kind"] == "SecretError"
    message = document["error"]["message"]
    assert "2 secret(s) cannot be resolved" in message
    assert "credentials.one" in message and "credentials.two" in message
