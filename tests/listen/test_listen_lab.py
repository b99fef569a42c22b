"""`netdoc listen` in the site lab (issue 19): the listener runs at the probe
(`ip netns exec <probe> netdoc listen` on 192.0.2.10, the real ports 514 and 162), and
the devices speak from their own namespaces with the real tools:

    util-linux `logger --server`  in core-sw's namespace: a Cisco %SYS-5-CONFIG_I notice
                                  from 192.0.2.2 backs up core-sw, and only core-sw
    net-snmp `snmptrap`           in access-sw1's namespace, after one of its ports really
                                  went down: access-sw1 alone is re-read over SNMP
    both tools                    in the ISP's namespace (203.0.113.2), which this test's
                                  configuration gives to another client, globex, with
                                  texts naming the lab's core switch: nothing happens to
                                  the lab client

Each outcome is read where a technician would read it: the client's git repositories
(config backups, inventory) and the run report (last-run.json).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from netdoc.lab import Lab
from support.lab_fixtures import lab_settings, netdoc_at, probe_env, write_settings
from support.polling import wait_for

pytestmark = pytest.mark.lab
CISCO_NOTICE = "%SYS-5-CONFIG_I: Configured from console by admin on vty0 (192.0.2.10)"
LINK_NOTICE = "%LINK-3-UPDOWN: Interface GigabitEthernet1/0/3, changed state to down"
LINK_DOWN, IF_INDEX = "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1"
PROBE_IP = "192.0.2.10"


class LabListen:
    """The lab's netdoc.yaml with this test's outputs, plus a second client (globex) that
    owns the ISP's address space; `netdoc listen` started at the probe by PID."""

    def __init__(self, lab: Lab, root: Path) -> None:
        self.lab = lab
        self.root = root
        data = lab_settings(lab, root)
        data["run"] = {"lock_wait": 60}
        secret = root / "globex-community"
        secret.write_text("globex-traps\n")
        secret.chmod(0o600)
        data["credentials"]["globex-snmp"] = {"snmp": {"version": "2c",
                                                       "community": f"file:{secret}"}}
        data["clients"]["globex"] = {"sites": {"dc": {
            "subnets": ["203.0.113.0/24"], "credentials": ["globex-snmp", "lab-ssh"],
            "devices": [{"host": "203.0.113.2", "name": "globex-edge",
                         "platform": "cisco_ios"}]}}}
        self.config = write_settings(data, root)
        self.community = lab.ground_truth["credentials"]["snmp_v2c"]["community"]
        self.process: subprocess.Popen[str] | None = None
        self.log = root / "listen.log"

    def netdoc(self, *args: str) -> subprocess.CompletedProcess[str]:
        return netdoc_at(self.lab, self.lab.probe, self.config, *args)

    def start(self) -> None:
        handle = self.log.open("w")
        self.process = process = subprocess.Popen(
            ["ip", "netns", "exec", self.lab.netns(self.lab.probe), sys.executable, "-m",
             "netdoc.app.cli", "--config", str(self.config), "listen", "--bind", PROBE_IP,
             "--debounce", "2"],
            stdout=handle, stderr=subprocess.STDOUT, text=True, cwd=self.root,
            env={**os.environ, **probe_env()})
        handle.close()
        wait_for(lambda: "listening on" in self.log.read_text() or process.poll() is not None,
                 30, "netdoc listen to start")
        assert process.poll() is None, self.log.read_text()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # SIGTERM to the PID this test started, nothing else
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    # ------------------------------------------------------------ what a technician reads
    def git(self, kind: str, client: str, *args: str) -> str:
        repo = self.root / kind / client
        if not (repo / ".git").exists():
            return ""
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                              check=True).stdout

    def commits(self, kind: str, client: str) -> list[str]:
        return self.git(kind, client, "log", "--format=%s").splitlines()

    def report(self, client: str) -> dict[str, Any]:
        path = self.root / "inventory" / client / "last-run.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def stages(self, client: str) -> list[str]:
        return [stage["stage"] for stage in self.report(client).get("stages", [])]

    def events(self, client: str) -> dict[str, Any]:
        path = self.root / "config_backups" / ".netdoc-state" / client / "listen-events.json"
        return dict(json.loads(path.read_text())) if path.exists() else {}

    def state(self, client: str) -> dict[str, Any]:
        return dict(json.loads((self.root / "inventory" / client / "state.json").read_text()))

    def device_file(self, client: str, name: str) -> dict[str, Any]:
        index = json.loads((self.root / "inventory" / client / "index.json").read_text())
        entry = next(d for d in index["devices"] if d["name"] == name)
        path = self.root / "inventory" / client / "devices" / entry["site"] / f"{entry['id']}.json"
        return dict(json.loads(path.read_text())["device"])

    def if_oper_status(self, node: str, ifindex: int) -> str:
        """ifOperStatus of a port as the node's agent answers the probe (1 up, 2 down)."""
        done = self.lab.exec(self.lab.probe, [
            "snmpget", "-v2c", "-c", self.community, "-On", "-Oqv", "-m", "", "-t", "1",
            self.lab.ground_truth["nodes"][node]["mgmt_ip"], f"1.3.6.1.2.1.2.2.1.8.{ifindex}"],
            timeout=10)
        return done.stdout.strip()

    # ------------------------------------------------------------ the devices speak
    def logger(self, node: str, text: str, tag: str) -> None:
        self.lab.exec(node, ["logger", "--server", PROBE_IP, "--port", "514", "--udp",
                             "--rfc3164", "-t", tag, text], check=True, timeout=10)

    def trap(self, node: str, community: str, ifindex: int) -> None:
        self.lab.exec(node, ["snmptrap", "-v", "2c", "-c", community, f"{PROBE_IP}:162", "",
                             LINK_DOWN, f"{IF_INDEX}.{ifindex}", "i", str(ifindex)],
                      check=True, timeout=20)


@pytest.fixture
def listen(lab: Any, tmp_path: Path) -> Iterator[LabListen]:
    for tool in ("logger", "snmptrap"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is missing (util-linux / net-snmp; run scripts/setup.sh)")
    tmp_path.chmod(0o755)
    site = LabListen(lab, tmp_path)
    try:
        yield site
    finally:
        site.stop()
        print(site.log.read_text() if site.log.exists() else "")


def test_device_events_in_the_lab_act_on_that_device_only(listen: LabListen) -> None:
    lab = listen.lab
    # the inventory a scheduled run leaves (the listener knows the devices from it)
    done = listen.netdoc("run", "--stages", "discover")
    assert done.returncode in (0, 1), done.stdout + done.stderr
    inventory_commits = len(listen.commits("inventory", "lab"))
    before = listen.state("lab")
    listen.start()

    # 1. a Cisco config-change notice, sent by core-sw itself: core-sw is backed up
    started = time.monotonic()
    for _ in range(3):  # a burst of commits: one backup
        listen.logger("core-sw", CISCO_NOTICE, "core-sw")
    wait_for(lambda: listen.stages("lab") == ["backup"], 60, "core-sw's backup")
    took = time.monotonic() - started
    assert took < 60
    report = listen.report("lab")
    assert report["status"] == "ok", report
    stored = [p for p in listen.git("config_backups", "lab", "ls-files").split()
              if p.endswith(".cfg")]
    assert stored == ["hq/core-sw.cfg"]
    assert len(listen.commits("config_backups", "lab")) == 1
    assert "core-sw" in report["stages"][0]["summary"] or report["stages"][0]["changes"], report
    backups = wait_for(lambda: listen.events("lab").get("backups"), 10, "the event record")
    assert [(b["device"], b["status"], b["events"]) for b in backups] == [("core-sw", "ok", 3)]
    print(f"config notice -> core-sw backed up in {took:.1f} s")

    # 2. pc-02 is unplugged: access-sw1's port Gi1/0/1 really goes down (carrier lost,
    # still administratively up) and the switch says so by trap
    port = next(i for i in lab.ground_truth["nodes"]["access-sw1"]["interfaces"]
                if i["ifname"] == "Gi1/0/1")
    ifindex, pc = port["ifindex"], port["peer"]
    lab.exec(pc["node"], ["ip", "link", "set", pc["port"], "down"], check=True)
    try:
        # a real switch's agent knows at once; the lab's snmpd caches its interface table
        # for a few seconds, so the trap waits until the agent says so
        wait_for(lambda: listen.if_oper_status("access-sw1", ifindex) == "2", 30,
                 "access-sw1's agent to see the port down")
        started = time.monotonic()
        listen.trap("access-sw1", listen.community, ifindex)
        wait_for(lambda: listen.stages("lab") == ["reread"], 60, "access-sw1's re-read")
        took = time.monotonic() - started
        report = listen.report("lab")
        assert report["status"] == "ok", report
        print(f"linkDown trap -> access-sw1 re-read in {took:.1f} s")
    finally:  # other tests share the lab: plug pc-02 back in
        lab.exec(pc["node"], ["ip", "link", "set", pc["port"], "up"], check=True)
    # two inventory commits: the switch's fresh record, then where the endpoints are now
    commits = listen.commits("inventory", "lab")
    assert len(commits) == inventory_commits + 2, commits
    assert commits[1].startswith("Re-read access-sw1"), commits
    assert commits[0].startswith("Port history after a link change: 1 change(s)"), commits
    changed = listen.git("inventory", "lab", "show", "--name-only", "--format=", "HEAD~1").split()
    assert len([p for p in changed if p.startswith("devices/")]) == 1, changed
    assert "access-sw1" in report["stages"][0]["summary"]
    assert [e["kind"] for e in report["events"]] == ["link_changed"]
    assert any(c.startswith(f"{pc['node']}") and "no longer seen on access-sw1 Gi1/0/1" in c
               for c in report["stages"][0]["changes"]), report["stages"][0]["changes"]
    assert "Gi1/0/1" in report["events"][0]["detail"]
    down = [i for i in listen.device_file("lab", "access-sw1")["interfaces"]
            if i["name"] == "Gi1/0/1"]
    assert down and down[0]["oper_up"] is False
    after = listen.state("lab")
    assert after["runs"] == before["runs"], "a re-read is no discovery run"
    assert {k: v.get("missing_runs") for k, v in after["devices"].items()} == \
        {k: v.get("missing_runs") for k, v in before["devices"].items()}
    assert len(listen.commits("config_backups", "lab")) == 1  # a link change is no config change

    # 2b. the same news by syslog (%LINK-3-UPDOWN): from access-sw2, access-sw2 is re-read;
    # from pc-01 (inventoried, but it never answered SNMP) it is only recorded
    pc01 = lab.ground_truth["nodes"]["pc-01"]["mgmt_ip"]
    listen.logger("pc-01", LINK_NOTICE, "pc-01")
    listen.logger("access-sw2", LINK_NOTICE, "access-sw2")
    wait_for(lambda: len(listen.events("lab").get("rereads", [])) == 2, 60,
             "access-sw2's re-read")
    assert [r["device"] for r in listen.events("lab")["rereads"]] == ["access-sw1", "access-sw2"]
    assert "access-sw2" in listen.report("lab")["stages"][0]["summary"]
    heard = [(e["host"], e["kind"]) for e in listen.events("lab")["recent"]]
    assert (pc01, "link_changed") in heard
    assert listen.state("lab")["runs"] == before["runs"]

    # 3. globex's device (the ISP's address space) claims to be the lab's core switch
    lab_report, lab_commits = listen.report("lab"), listen.commits("inventory", "lab")
    lab_events = listen.events("lab")
    listen.logger("isp", f"192.0.2.2 core-sw: {CISCO_NOTICE}", "core-sw")
    listen.trap("isp", listen.community, ifindex)  # the lab's community, the wrong client
    wait_for(lambda: listen.stages("globex") == ["backup"], 60,
             "globex's own device to be the one acted on")
    time.sleep(3)  # longer than the debounce: anything else would have started by now
    assert listen.report("lab") == lab_report
    assert listen.commits("inventory", "lab") == lab_commits
    assert len(listen.commits("config_backups", "lab")) == 1
    assert listen.events("lab")["received"] == lab_events["received"]
    globex = listen.report("globex")
    assert {f["host"] for f in globex["failures"]} <= {"203.0.113.2"}
    unknown = json.loads((listen.root / "config_backups" / ".netdoc-state" /
                          ".listen-unknown.json").read_text())
    assert any(e["from"] == "203.0.113.2" and "community" in e["why"] for e in unknown["recent"])
