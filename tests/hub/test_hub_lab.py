"""The MSP's whole path in the site lab (topology `hub`): two client sites, each with
its own probe running netdoc, push over the lab network to the hub node, where a real
sshd fronts a real gitolite3 (203.0.113.10, TEST-NET). On the hub, `netdoc hub access`
grants and revokes, `hub sync` mirrors and `hub build` renders the all-clients site;
technicians' and probes' access is checked by real `git clone` attempts over ssh.

The same run documents acme's site from its configs: the lab's firewall and switch
configs carry VLANs, NAT, inbound ACLs and a site-to-site VPN, so the client's site
shows the addressing plan, VLAN table, VPN table, rule tables and exposure list; a
policy added to the firewall afterwards is reported in plain words.

Order matters inside this module (one lab, access changing as it goes), as on a real
hub: each test states the access it starts from. Needs root, the lab's tools,
openssh-server and gitolite3; the browser tests also need chromium and chromium-driver.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from support.lab_fixtures import (lab_location,  # type: ignore[import-not-found]
                                  lab_unavailable_reason, own_lab)

pytestmark = pytest.mark.lab

if sys.platform != "linux":  # pragma: no cover
    pytest.skip("the site lab needs Linux network namespaces", allow_module_level=True)

ACME, GLOBEX = "acme", "globex"
CISCO_2960X_OUI = "00:1e:bd"   # platforms.yaml: both clients' switches are C2960X
RDP_RULE = " 15 permit tcp any host 203.0.113.1 eq 3389\n"
RDP_FORWARD = "ip nat inside source static tcp 192.0.2.101 3389 203.0.113.1 3389\n"


def _reason() -> str:
    reason: str | None = lab_unavailable_reason()
    if reason:
        return reason
    from netdoc.lab.gitolite import missing_tools

    missing = missing_tools()
    return f"the lab's hub needs {', '.join(missing)} (scripts/setup.sh)" if missing else ""


@pytest.fixture(scope="module")
def msp() -> Iterator[Any]:
    """The `hub` lab, up for this module only, taken down (user, sshd, namespaces) at
    its end, also when a test failed."""
    reason = _reason()
    if reason:
        pytest.skip(reason)
    with own_lab("hub", "hub") as lab:
        yield lab


def netdoc(lab: Any, node: str, *args: str, expect: tuple[int, ...] = (0,)) -> str:
    """Run netdoc inside a lab node's namespace; its stdout and stderr."""
    done = lab.exec(node, [sys.executable, "-m", "netdoc.app.cli", *args], timeout=300)
    assert done.returncode in expect, f"netdoc {' '.join(args)} at {node}: {done.stderr}"
    return f"{done.stdout}\n{done.stderr}"


def access(lab: Any, *args: str) -> str:
    return netdoc(lab, lab.hub, "hub", "--hub", lab.ground_truth["hub"]["hub_yaml"], "access",
                  *args)


def git_as(lab: Any, node: str, key: str, *args: str) -> Any:
    """`git` at a lab node, holding hub key `key`: the real ssh to the hub's sshd."""
    return lab.exec(node, ["git", *args], env=lab.hub_git_env(key), timeout=60)


def url(lab: Any, repo: str) -> str:
    hub = lab.ground_truth["hub"]
    return f"ssh://{hub['user']}@{hub['address']}/{repo}"


def run_probe(lab: Any, client: str, *stages: str) -> tuple[dict[str, Any], str]:
    """`netdoc run --client C` at the client's own probe: (last-run.json, what it printed)."""
    chosen = ["--stages", ",".join(stages)] if stages else []
    printed = netdoc(lab, lab.probe_for(client), "--config", str(lab.config_path), "run",
                     "--client", client, *chosen, expect=(0, 4))
    report = json.loads((lab.state_dir / "inventory" / client / "last-run.json").read_text())
    return report, printed


@pytest.fixture(scope="module")
def granted(msp: Any) -> Any:
    """The MSP's set-up, done with `netdoc hub access` on the hub: each probe is its
    client's one writer, the hub's own key reads every client, alice has a key."""
    from netdoc.lab.gitolite import make_key

    keys = msp.hub_layout().keys
    make_key(keys / "alice", "alice")
    for user in ("probe-acme", "probe-globex", "alice"):
        access(msp, "add-user", user, str(keys / f"{user}.pub"))
    access(msp, "grant", "probe-acme", ACME, "--write")
    access(msp, "grant", "probe-globex", GLOBEX, "--write")
    access(msp, "grant", "admin", "*")
    return msp


@pytest.fixture(scope="module")
def pushed(granted: Any) -> dict[str, dict[str, Any]]:
    """One run at each probe: client -> its run report."""
    return {client: run_probe(granted, client)[0] for client in (ACME, GLOBEX)}


@pytest.fixture(scope="module")
def hub_site(granted: Any, pushed: dict[str, dict[str, Any]]) -> Path:
    hub_yaml = granted.ground_truth["hub"]["hub_yaml"]
    out: Path = granted.hub_layout().folder / "site"
    netdoc(granted, granted.hub, "hub", "--hub", hub_yaml, "sync")
    netdoc(granted, granted.hub, "hub", "--hub", hub_yaml, "build", str(out))
    return out


# ---------------------------------------------------------------- the hub path

def test_each_probe_runs_its_client_and_pushes_both_repositories_to_the_hub(
        pushed: dict[str, dict[str, Any]]) -> None:
    for client, report in pushed.items():
        assert report["client"] == client
        assert {repo: r["status"] for repo, r in report["push"].items()} == \
            {"inventory": "ok", "configs": "ok"}, (client, report["push"])
        assert "203.0.113.10" in report["push"]["configs"]["remote"]


def test_the_hub_syncs_and_its_site_shows_both_clients(msp: Any, hub_site: Path) -> None:
    page = (hub_site / "index.html").read_text()
    assert 'href="clients/acme.html"' in page and 'href="clients/globex.html"' in page
    index = (hub_site / "assets" / "search-index.js").read_text()
    for device in ("core-sw", "firewall", "globex-sw", "globex-fw"):
        assert device in index, device
    # each client's own site, as its probe rendered it, travels with the push
    assert (hub_site / "clients" / ACME / "site" / "index.html").is_file()
    assert (hub_site / "clients" / GLOBEX / "site" / "index.html").is_file()
    # ... with the documentation drawn from its configs (rules, VPN), masked
    docs = (hub_site / "clients" / ACME / "site" / "docs.html").read_text()
    assert "OUTSIDE-IN:10" in docs and "203.0.113.222" in docs


def test_a_technician_reads_the_granted_client_only_until_revoked(granted: Any,
                                                                  tmp_path: Path) -> None:
    tech = granted.probe_for(ACME)   # alice's laptop on acme's LAN
    scratch = str(tmp_path)
    access(granted, "grant", "alice", ACME)
    cloned = git_as(granted, tech, "alice", "clone", "-q", "-b", "main",
                    url(granted, "acme/configs"), f"{scratch}/acme")
    assert cloned.returncode == 0, cloned.stderr
    config = Path(scratch, "acme", "hq", "firewall.cfg").read_text()
    community = granted.ground_truth["credentials"]["snmp_v2c"]["community"]
    assert "hostname firewall" in config and community not in config  # masked on the hub
    psk = re.search(r"crypto isakmp key 6 (\S+)", granted.running_config("firewall"))
    assert psk and psk.group(1) not in config and "crypto isakmp key" in config
    refused = git_as(granted, tech, "alice", "clone", "-q", url(granted, "globex/configs"),
                     f"{scratch}/globex")
    assert refused.returncode != 0 and "DENIED" in refused.stderr
    access(granted, "revoke", "alice", ACME)
    again = git_as(granted, tech, "alice", "clone", "-q", url(granted, "acme/configs"),
                   f"{scratch}/acme-again")
    assert again.returncode != 0 and "DENIED" in again.stderr


def test_a_probe_can_neither_read_nor_write_another_client(granted: Any,
                                                           pushed: dict[str, Any]) -> None:
    probe = granted.probe_for(GLOBEX)
    read = git_as(granted, probe, "probe-globex", "ls-remote", url(granted, "acme/inventory"))
    assert read.returncode != 0 and "DENIED" in read.stderr
    own = str(granted.state_dir / "config_backups" / GLOBEX)
    write = git_as(granted, probe, "probe-globex", "-C", own, "push", "-q",
                   url(granted, "acme/configs"), "HEAD:refs/heads/intruder")
    assert write.returncode != 0 and "DENIED" in write.stderr


def test_a_leaver_loses_every_access_at_once(granted: Any, pushed: dict[str, Any]) -> None:
    tech = granted.probe_for(ACME)
    access(granted, "grant", "alice", ACME)
    access(granted, "grant", "alice", GLOBEX)
    assert git_as(granted, tech, "alice", "ls-remote",
                  url(granted, "globex/inventory")).returncode == 0
    access(granted, "revoke", "alice", "--all")
    for repo in ("acme/inventory", "globex/configs"):
        refused = git_as(granted, tech, "alice", "ls-remote", url(granted, repo))
        assert refused.returncode != 0, repo


def test_a_second_writer_for_a_client_is_refused(granted: Any) -> None:
    said = netdoc(granted, granted.hub, "hub", "--hub", granted.ground_truth["hub"]["hub_yaml"],
                  "access", "grant", "probe-globex", ACME, "--write", expect=tuple(range(1, 10)))
    assert "one writer" in said


def test_a_hub_that_is_down_fails_no_run_and_the_push_catches_up(
        granted: Any, pushed: dict[str, Any]) -> None:
    original = granted.running_config("globex-sw")
    granted.set_running_config("globex-sw", original.replace(
        "hostname globex-sw\n", "hostname globex-sw\n!\nbanner motd ^Globex staff only^\n", 1))
    granted.stop_hub()
    try:
        down, printed = run_probe(granted, GLOBEX, "backup")
    finally:
        granted.start_hub()
    assert down["failures"] == [] and down["status"] == "ok", down["failures"]
    assert {r["status"] for r in down["push"].values()} == {"failed"}, down["push"]
    assert "kept locally" in down["push"]["configs"]["reason"]
    assert "central push configs: failed" in printed
    later, _ = run_probe(granted, GLOBEX, "backup")
    assert {r["status"] for r in later["push"].values()} == {"ok"}, later["push"]
    hub_yaml = granted.ground_truth["hub"]["hub_yaml"]
    netdoc(granted, granted.hub, "hub", "--hub", hub_yaml, "sync")
    mirror = granted.hub_layout().folder / "mirror" / GLOBEX / "configs.git"
    on_hub = granted.exec(granted.hub, ["git", "-C", str(mirror), "rev-parse", "main"])
    assert on_hub.stdout.strip() == later["push"]["configs"]["commit"]
    banner = granted.exec(granted.hub, ["git", "-C", str(mirror), "show",
                                        "main:hq/globex-sw.cfg"])
    assert "Globex staff only" in banner.stdout


# ---------------------------------------------------------------- in a browser

@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    pytest.importorskip("selenium.webdriver", reason="pip install selenium")
    from support.browser import (CHROMIUM, DRIVER,  # type: ignore[import-not-found]
                                 headless_chromium)

    if not (CHROMIUM and DRIVER):
        pytest.skip("needs Debian packages chromium and chromium-driver")
    with headless_chromium() as driver:
        yield driver


def rows(browser: Any, selector: str) -> list[str]:
    from selenium.webdriver.common.by import By

    return [r.text for r in browser.find_elements(By.CSS_SELECTOR, selector) if r.is_displayed()]


def test_one_mac_search_on_the_hub_site_finds_devices_of_both_clients(
        msp: Any, hub_site: Path, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    def search(query: str) -> list[tuple[str, str]]:
        browser.get((hub_site / "index.html").as_uri())
        box = browser.find_element(By.ID, "hub-search")
        box.clear()
        box.send_keys(query)
        found = browser.find_elements(By.CSS_SELECTOR, "#hub-results tbody tr")
        return sorted((cells[0].text, cells[1].text) for cells in
                      (row.find_elements(By.TAG_NAME, "td") for row in found))

    # the switches' vendor prefix, as a technician copies it from a MAC table
    both = search(CISCO_2960X_OUI.replace(":", "-"))
    assert (ACME, "core-sw") in both and (GLOBEX, "globex-sw") in both
    # one switch's own MAC in Cisco's dotted notation: that client's switch only
    mac = msp.ground_truth["nodes"]["globex-sw"]["base_mac"].replace(":", "")
    assert search(f"{mac[:4]}.{mac[4:8]}.{mac[8:]}") == [(GLOBEX, "globex-sw")]
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def test_the_client_site_documents_vlans_addressing_vpn_rules_and_exposure(
        msp: Any, pushed: dict[str, Any], browser: Any) -> None:
    page = msp.state_dir / "inventory" / ACME / "site" / "docs.html"
    browser.get(page.as_uri())
    addressing = rows(browser, "#docs-addressing tbody tr")
    assert any(r.startswith("192.0.2.0/25") for r in addressing), addressing
    voice = [r for r in addressing if r.startswith("192.0.2.128/26")]
    assert voice and "voice" in voice[0] and "firewall" in voice[0], addressing
    vlans = rows(browser, "#docs-vlans tbody tr")
    assert any(r.startswith("20 ") and "voice" in r for r in vlans), vlans
    assert any(r.startswith("1 ") and "staff" in r for r in vlans), vlans
    vpns = rows(browser, "#docs-vpns tbody tr")
    assert any("203.0.113.222" in r and "203.0.113.192/27" in r and "192.0.2.0/25" in r
               for r in vpns), vpns
    rules = rows(browser, "table.docs-rules tbody tr")
    assert any("OUTSIDE-IN:10" in r and "tcp/443" in r and "allow" in r for r in rules), rules
    assert any("OUTSIDE-IN:100" in r and "deny" in r for r in rules), rules
    exposure = rows(browser, "#docs-exposure tbody tr")
    assert any("port forward" in r and "192.0.2.20" in r and "443" in r for r in exposure), \
        exposure
    assert any("OUTSIDE-IN:10" in r for r in exposure), exposure
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def test_a_policy_added_in_the_lab_is_reported_in_plain_words(
        msp: Any, pushed: dict[str, Any]) -> None:
    original = msp.running_config("firewall")
    assert " 100 deny   ip any any log\n" in original
    changed = original.replace(" 100 deny   ip any any log\n",
                               RDP_RULE + " 100 deny   ip any any log\n", 1)
    changed = changed.replace("ip nat inside source static", RDP_FORWARD +
                              "ip nat inside source static", 1)
    msp.set_running_config("firewall", changed)
    report, printed = run_probe(msp, ACME)
    events = [e for e in report["events"] if e["kind"] == "config_changed"
              and "firewall" in e["device"]]
    assert len(events) == 1, report["events"]
    words = events[0]["facts_changes"]
    assert "ACL entry OUTSIDE-IN:15 added: any → 203.0.113.1/32 tcp/3389 allow " \
           "[GigabitEthernet0/1 in]" in words, words
    assert any(w.startswith("NAT rule") and "added: 203.0.113.1 tcp/3389 → 192.0.2.101 "
               "tcp/3389" in w for w in words), words
    assert "OUTSIDE-IN:15 added" in printed   # the run's own summary says it too
    docs = (msp.state_dir / "inventory" / ACME / "site" / "docs.html").read_text()
    assert "3389" in docs.split('id="docs-exposure"', 1)[1].split("</table>", 1)[0]


# ---------------------------------------------------------------- cleaning up

def test_a_hub_that_cannot_start_leaves_no_user_namespace_or_process(
        monkeypatch: pytest.MonkeyPatch) -> None:
    reason = _reason()
    if reason:
        pytest.skip(reason)
    import pwd

    from netdoc.errors import LabError
    from netdoc.lab import Lab, gitolite, system

    def refuses(*args: Any, **kwargs: Any) -> Any:
        raise LabError("sshd on hub exited: address already in use (test)")

    monkeypatch.setattr(gitolite, "start_sshd", refuses)
    state_dir, prefix = lab_location("hf")
    with pytest.raises(LabError, match="address already in use"):
        Lab.up("hub", state_dir, prefix)
    assert [n for n in system.list_netns() if n.startswith(prefix)] == []
    with pytest.raises(KeyError):
        pwd.getpwnam(gitolite.user_name(prefix))
    assert not state_dir.exists()
    left = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(state_dir).encode() in cmdline.read_bytes():
                left.append(cmdline.parent.name)
        except OSError:
            continue
    assert left == []
