"""Devices that ask something between the SSH login and their prompt.

A profile's `backup.login` lists such questions and their answers (a policy
banner to accept, a console menu choice, the CLI's own username/password on
top of SSH's). netdoc answers them, in whatever order they come, until a
prompt shows; then it backs up as usual. The SonicOS recording asks to accept
a policy banner; here the same device also asks for its own login.
"""
from __future__ import annotations

from dataclasses import replace

from backup_helpers import BackupSite, failure_for, load_recording  # type: ignore[import-not-found]

PROMPT = "netdoc@2CB8ED123456> "


def _backed_up_like_the_recording(site: BackupSite, name: str) -> None:
    """`name` was stored exactly as the unchanged recording (backed up beside it) is."""
    outcome = site.run()
    assert outcome.failures == []
    stored = site.stored(name)
    assert stored is not None and "\n    get-community " in stored
    assert stored == site.stored("fw-ref")


def test_policy_banner_is_accepted_and_the_config_stored(site: BackupSite) -> None:
    rec = load_recording("sonicwall_sonicos")
    assert "Accept The Policy Banner" in rec.banner and rec.prompt == "yes: "
    site.add(rec, "fw1")
    outcome = site.run()
    assert outcome.failures == []
    stored = site.stored("fw1") or ""
    assert stored.startswith("administration\n    firewall-name ")
    assert "Policy Banner" not in stored and "yes" not in stored.split("\n")
    assert stored.rstrip("\n").split("\n")[-1].startswith("cli ftp password default ")


def test_second_login_gets_the_credential_sets_username_and_password(site: BackupSite) -> None:
    """Some SonicOS releases ask User:/Password: again inside the SSH session."""
    rec = load_recording("sonicwall_sonicos")
    rec = replace(rec, banner="Copyright (c) 2023 SonicWall, Inc.\n", prompt="User: ",
                  modes={**rec.modes, "netdoc": "Password: ", "lab-pass": PROMPT})
    site.add(rec, "fw1")
    site.add("sonicwall_sonicos", "fw-ref")
    _backed_up_like_the_recording(site, "fw1")


def test_wrong_answer_to_the_second_login_fails_that_device_with_a_reason(
        site: BackupSite) -> None:
    """The device keeps asking (its password is not the credential's): netdoc gives up
    after a few answers, well within its time limit, and names the question, without
    the password."""
    site.backup = {"timeout": 30}
    rec = load_recording("sonicwall_sonicos")
    rec = replace(rec, banner="", prompt="Password: ", modes={"other-pass": PROMPT})
    site.add("sonicwall_sonicos", "fw-ok")
    site.add(rec, "fw1")
    outcome = site.run()
    reason = failure_for(outcome, "fw1")
    assert "kept asking the login question" in reason and "Password" in reason
    assert "lab-pass" not in reason
    assert [f.name for f in outcome.failures] == ["hq/fw1"]
    assert site.stored("fw-ok") is not None
    assert outcome.seconds < 15


def test_a_device_without_the_question_is_backed_up_all_the_same(site: BackupSite) -> None:
    """The answers are only given when asked: a SonicWall without a policy banner."""
    rec = load_recording("sonicwall_sonicos")
    rec = replace(rec, banner="Copyright (c) 2023 SonicWall, Inc.\n", prompt=PROMPT,
                  modes={})
    site.add(rec, "fw1")
    site.add("sonicwall_sonicos", "fw-ref")
    _backed_up_like_the_recording(site, "fw1")
