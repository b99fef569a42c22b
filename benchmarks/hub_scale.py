"""Hub at MSP scale: N clients x M devices, `hub sync` and `hub build` timed.

    .venv/bin/python benchmarks/hub_scale.py [--clients 500] [--devices 60]
                                             [--steps 100,250,500] [--json] [--keep DIR]

Generates a central server of synthetic client repositories (local bare remotes,
written with `git fast-import`, shaped like a probe's: inventory main with index.json
and one file per device, two commits of history, one inside the last week; the
netdoc-site branch with a site of one page per device and status.json with backup
states; configs main with a 3 kB config per device). Then, for each step (the first
K clients), in a fresh child process each so memory is measured per phase:

  sync   clone every repository into an empty mirror (first sync, the costly one)
  resync fetch again with nothing new (what a cron'd hub does most of the time)
  build  render the all-clients site from the mirror into an empty OUT
  rebuild  the same again (client sites whose commit did not change are not re-extracted)

Reports seconds, seconds per client and peak memory (the Python process and its
largest git child). Target: build of 500 x 60 under 60 s, linear in clients.
Only local files are touched; no network.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NOW = int(time.time())
OLD = NOW - 10 * 86400
RECENT = NOW - 86400


def _blob(data: str) -> bytes:
    raw = data.encode()
    return b"data %d\n" % len(raw) + raw + b"\n"


def _commit(branch: str, when: int, message: str, files: dict[str, str],
            parent: bool) -> bytes:
    out = [f"commit refs/heads/{branch}\n".encode(),
           f"committer netdoc <netdoc@localhost> {when} +0000\n".encode(), _blob(message)[:-1]]
    if not parent:
        out.append(b"deleteall\n")
    for path, text in sorted(files.items()):
        out.append(f"M 100644 inline {path}\n".encode() + _blob(text))
    return b"".join(out) + b"\n"


def _device(client: int, index: int, firmware: str) -> dict[str, object]:
    mac = f"02:{client >> 8:02x}:{client & 255:02x}:00:00:{index:02x}"
    return {"hostname": f"sw-{index:03d}", "mgmt_ip": f"192.0.2.{index + 1}", "base_mac": mac,
            "vendor": "Cisco", "model": "C9200L-48P", "serial": f"JAE{client:05d}{index:03d}",
            "role": "switch" if index % 4 else "ap", "site": "hq", "version": firmware,
            "interfaces": [{"index": i, "name": f"Gi1/0/{i}",
                            "mac": f"02:{client >> 8:02x}:{client & 255:02x}:01:{index:02x}:{i:02x}"}
                           for i in range(1, 5)]}


def inventory_stream(client: int, devices: int) -> bytes:
    parts = []
    for step, (when, firmware, changed) in enumerate(((OLD, "17.9.4", devices),
                                                      (RECENT, "17.9.5", 3))):
        files = {}
        index = []
        for i in range(devices):
            version = firmware if i < changed or step == 0 else "17.9.4"
            device = _device(client, i, version)
            rid = f"sw-{i:03d}"
            index.append({"id": rid, "name": device["hostname"], "site": "hq",
                          "ip": device["mgmt_ip"], "mac": device["base_mac"],
                          "vendor": "Cisco", "model": device["model"], "os": "IOS-XE",
                          "version": version, "role": device["role"],
                          "first_seen": "2026-01-01T00:00:00Z", "status": "present"})
            if step == 0 or i < changed:
                files[f"devices/hq/{rid}.json"] = json.dumps(
                    {"id": rid, "first_seen": "2026-01-01T00:00:00Z", "device": device},
                    indent=2, sort_keys=True) + "\n"
        files["index.json"] = json.dumps({"devices": index}, indent=2, sort_keys=True) + "\n"
        parts.append(_commit("main", when, f"Discovery step {step}", files, parent=step > 0))
    site = {"site/index.html": f"<h1>client-{client:04d}</h1>\n" + "<p>overview</p>\n" * 50,
            "site/devices.html": "".join(f"<tr><td>sw-{i:03d}</td></tr>\n"
                                         for i in range(devices))}
    for i in range(devices):
        site[f"site/devices/sw-{i:03d}.html"] = f"<h1>sw-{i:03d}</h1>\n" + "<p>port</p>\n" * 40
    backups = [{"path": f"hq/sw-{i:03d}", "name": f"sw-{i:03d}", "host": f"192.0.2.{i + 1}",
                "site": "hq", "platform": "cisco_ios",
                "status": "failed" if (client + i) % 97 == 0 else "ok",
                "last_success": "2026-11-27T00:00:00Z",
                "consecutive_failures": 1 if (client + i) % 97 == 0 else 0,
                "last_error": "authentication failed" if (client + i) % 97 == 0 else ""}
               for i in range(devices)]
    site["status.json"] = json.dumps({"client": f"client-{client:04d}", "backups": backups,
                                      "run": {"status": "ok", "finished": "2026-11-28"}})
    parts.append(_commit("netdoc-site", RECENT, "Site and status", site, parent=False))
    return b"".join(parts)


def configs_stream(client: int, devices: int) -> bytes:
    parts = []
    for step, when in enumerate((OLD, RECENT)):
        files = {}
        for i in range(devices if step == 0 else 2):
            body = "".join(f"interface GigabitEthernet1/0/{p}\n description port {p}\n"
                           f" switchport access vlan {10 + step}\n!\n" for p in range(1, 40))
            files[f"hq/sw-{i:03d}.cfg"] = f"hostname sw-{i:03d}\n" + body + "end\n"
        parts.append(_commit("main", when, f"backup step {step}", files, parent=step > 0))
    return b"".join(parts)


def generate(server: Path, clients: int, devices: int) -> float:
    started = time.monotonic()
    for c in range(clients):
        for repo, stream in (("inventory", inventory_stream(c, devices)),
                             ("configs", configs_stream(c, devices))):
            path = server / f"client-{c:04d}" / f"{repo}.git"
            path.mkdir(parents=True)
            subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
            subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input=stream,
                           check=True)
    return time.monotonic() - started


def phase(args: argparse.Namespace) -> None:
    """One timed phase, in its own process (peak memory per phase)."""
    from netdoc.hub.build import build
    from netdoc.hub.settings import load_hub
    from netdoc.hub.sync import sync

    hub = load_hub(args.hub)
    started = time.monotonic()
    if args.phase in ("sync", "resync"):
        results = sync(hub)
        failed = sum(1 for r in results if not r.ok)
        extra = {"repositories": len(results), "failed": failed}
    else:
        extra = build(hub, Path(args.out))
    seconds = time.monotonic() - started
    json.dump({"seconds": round(seconds, 2), **extra,
               "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
               "peak_git_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                                    / 1024, 1)}, sys.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--devices", type=int, default=60)
    parser.add_argument("--steps", default="", help="client counts to time (default: "
                                                    "a fifth, half, all)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", help="work in this folder and keep it")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--hub", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase(args)
        return 0
    steps = [int(s) for s in args.steps.split(",") if s] or \
        sorted({max(args.clients // 5, 1), max(args.clients // 2, 1), args.clients})
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="netdoc-hub-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        server = work / "server"
        if not server.exists():
            made = generate(server, args.clients, args.devices)
            print(f"generated {args.clients} clients x {args.devices} devices "
                  f"({2 * args.clients} repositories) in {made:.1f} s", file=sys.stderr)
        rows = []
        for count in steps:
            step = work / f"step-{count}"
            shutil.rmtree(step, ignore_errors=True)
            step.mkdir()
            names = ", ".join(f"client-{c:04d}" for c in range(count))
            (step / "hub.yaml").write_text(f"remote: \"{server}/{{client}}/{{repo}}.git\"\n"
                                           f"mirror: mirror\nclients: [{names}]\n")
            row: dict[str, object] = {"clients": count, "devices": count * args.devices}
            for name in ("sync", "resync", "build", "rebuild"):
                done = subprocess.run([sys.executable, __file__, "--phase",
                                       name.replace("re", "") if name == "rebuild" else name,
                                       "--hub", str(step / "hub.yaml"),
                                       "--out", str(step / "out")],
                                      capture_output=True, text=True, check=True)
                row[name] = json.loads(done.stdout)
                print(f"{count:>4} clients {name:>8}: {row[name]['seconds']:7.2f} s  "  # type: ignore[index]
                      f"peak {row[name]['peak_mb']} MB (git {row[name]['peak_git_mb']} MB)",  # type: ignore[index]
                      file=sys.stderr)
            rows.append(row)
        if args.json:
            json.dump({"clients": args.clients, "devices_per_client": args.devices,
                       "steps": rows}, sys.stdout, indent=2)
            print()
        else:
            print(f"{'clients':>8} {'devices':>8} {'sync s':>8} {'resync s':>9} {'build s':>8} "
                  f"{'rebuild s':>9} {'build s/client':>15} {'build peak MB':>14}")
            for row in rows:
                b = row["build"]
                print(f"{row['clients']:>8} {row['devices']:>8} "
                      f"{row['sync']['seconds']:>8.1f} {row['resync']['seconds']:>9.1f} "  # type: ignore[index]
                      f"{b['seconds']:>8.1f} {row['rebuild']['seconds']:>9.1f} "  # type: ignore[index]
                      f"{b['seconds'] / row['clients']:>15.3f} {b['peak_mb']:>14}")  # type: ignore[index,operator]
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
