"""Scoreboard: netdoc's identification on recorded walks of real devices vs LibreNMS's results.

    .venv/bin/python benchmarks/identify_corpus.py                  # ../shared/snmp-corpus + snmp-walks
    .venv/bin/python benchmarks/identify_corpus.py --family fortigate
    .venv/bin/python benchmarks/identify_corpus.py --show-misses model [--family ios]
    .venv/bin/python benchmarks/identify_corpus.py --json > scores.json

Every walk (`NAME.snmprec`) is replayed in process through the recorded transport
(netdoc.discover.snmp.recorded.RecordedTransport) and read by the real poller
(netdoc.discover.collectors.snmp.collect), exactly as a live device would be, on --jobs processes.
The replay answers GETNEXT/GETBULK with the lexicographically next OID of the walk, as
a correct agent does; `--order recorded` answers in the file's own order instead, so
the out-of-order lines some walks hold are met and stepped over as on the live agent.
The result is compared with LibreNMS's expected discovery in `NAME.expected.json`:

  vendor     LibreNMS has no vendor field: the vendor of its `os`, from
             benchmarks/data/librenms_os_vendors.tsv (how that table was made is in its
             header); both sides go through netdoc's canonical vendor spelling first.
             A cell "A|B" names the successive makers of an OS family whose product
             line changed hands (IronWare: Brocade, then Extreme for NetIron and Ruckus
             for ICX); a device matches any one of them.
  version    os.discovery.devices[0].version   } scored only over walks whose expected
  model      os.discovery.devices[0].hardware  } value is present and not a placeholder
  serial     os.discovery.devices[0].serial    } ("<private>", "", null, FFFFFFFFFFFF,
                                                 } 0000000, "SERIALNUMBER": usable() says)
  interfaces recall of `ports` (by ifIndex): expected ports netdoc found / expected ports
  links      recall of `discovery-protocols` links: an expected link is found when netdoc
             has a neighbour on the same local interface (ifName or ifDescr) whose remote
             name is the link's remote_hostname, or, for a link without a remote
             hostname, whose remote port is the link's (the part before " (mac)").

"Same by meaning" (`same()`): both values are lower-cased and stripped of everything
but letters and digits; they match when equal, or when one contains the other and the
contained one has at least 2 characters ("JL635A" ~ "Aruba JL635A", "V5.2" ~ "5.2.0"
does not hold: "v52" is not in "520"); numbers also compare without leading zeros
("06.01.0009" ~ "6.1.9").

`--udp` serves copies of the walks with snmpsim on 127.0.0.1 instead and polls each with
`poll_device` and the default SNMP settings, as `netdoc identify 127.0.0.1 --community
NAME` would: slower (minutes), but it proves the live client on the wire.

A walk whose poll raises (or, over UDP, fails) is counted as lost: all its fields miss. Family = LibreNMS's
`os` of the walk (its file-name prefix). Totals are printed as
`field: hits/scored (percent)` lines the README can quote.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from netdoc.discover.identify import usable  # noqa: E402
from netdoc.discover.vendors import canonical_vendor  # noqa: E402

SHARED = ROOT.parent / "shared"
DEFAULT_CORPORA = (SHARED / "snmp-corpus", SHARED / "snmp-walks")
VENDOR_TABLE = Path(__file__).resolve().parent / "data" / "librenms_os_vendors.tsv"
FIELDS = ("vendor", "version", "model", "serial", "interfaces", "links")
PLACEHOLDERS = {"", "<private>", "none", "null", "unknown", "n/a"}
TARGETS = {"vendor": 98.0, "version": 90.0, "model": 85.0, "serial": 95.0,
           "interfaces": 100.0, "links": 97.0}


def norm(value: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(value or "").lower())


def _unpadded(value: object) -> str:
    """Leading zeros of numbers dropped: version 06.01.0009.0300 is version 6.1.9.300."""
    return re.sub(r"(?<![0-9])0+(?=[0-9])", "", str(value or ""))


def same(ours: object, theirs: object) -> bool:
    """Equal by meaning: case and punctuation aside, one contains the other (>= 2 chars);
    numbers compare without their leading zeros."""
    for a, b in ((norm(ours), norm(theirs)), (norm(_unpadded(ours)), norm(_unpadded(theirs)))):
        if not a or not b:
            return False
        if a == b:
            return True
        shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
        if len(shorter) >= 2 and shorter in longer:
            return True
    return False


def _present(value: object) -> str:
    """The expected value, or '' for an anonymised placeholder (`<private>`, FFFFFFFFFFFF,
    000000000, ...): such a walk holds no value to find (netdoc.discover.identify.usable decides)."""
    text = str(value).strip() if value is not None else ""
    return "" if text.lower() in PLACEHOLDERS else usable(text)


def load_vendor_table(path: Path = VENDOR_TABLE) -> dict[str, str]:
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        os_name, vendor, *_basis = line.split("\t")
        table[os_name] = vendor
    return table


# ---------------------------------------------------------------- one walk

@dataclass
class WalkScore:
    name: str
    family: str
    sys_object_id: str = ""
    sys_descr: str = ""
    platform: str = ""
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    got: dict[str, str] = field(default_factory=dict)
    expected: dict[str, str] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)    # per field: hits
    scored: dict[str, int] = field(default_factory=dict)  # per field: how many were scored
    missing: dict[str, list[str]] = field(default_factory=dict)  # interfaces/links not found


def _link_found(link: dict[str, Any], neighbors: list[Any]) -> bool:
    local = [v for v in (link.get("ifName"), link.get("ifDescr")) if v]
    remote_name = _present(link.get("remote_hostname"))
    remote_port = str(link.get("remote_port") or "").split(" (")[0]
    for n in neighbors:
        if not any(same(n.local_port, name) for name in local):
            continue
        if remote_name and (same(n.remote_name, remote_name) or
                            (not n.remote_name and same(n.remote_platform, remote_name))):
            return True
        if not remote_name and remote_port and same(n.remote_port, remote_port):
            return True
    return False


def score_walk(path_text: str, vendors: dict[str, str], order: str = "lexicographic",
               agent_port: int = 0) -> WalkScore:
    """Read one walk (in process, or from the snmpsim agent on `agent_port`) and score it."""
    path = Path(path_text)
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    os_info = (expected.get("os", {}).get("discovery", {}).get("devices") or [{}])[0]
    family = str(os_info.get("os") or path.stem.split("_")[0])
    result = WalkScore(name=path.stem, family=family,
                       sys_object_id=str(os_info.get("sysObjectID") or "").strip("."),
                       sys_descr=" ".join(str(os_info.get("sysDescr") or "").split())[:160])
    started = time.perf_counter()
    device = None
    try:
        device, result.warnings, result.error = (
            _over_udp(path.stem, agent_port) if agent_port else _in_process(path, order))
    except Exception as exc:  # a lost device is a result here, not a crash of the scoreboard
        result.error = f"{type(exc).__name__}: {exc}"
    result.seconds = round(time.perf_counter() - started, 4)
    if device is not None:
        result.platform = device.platform
        result.got = {"vendor": device.vendor, "version": device.version, "model": device.model,
                      "serial": device.serial, "os": device.os}

    wanted = {"vendor": vendors.get(family, ""), "version": _present(os_info.get("version")),
              "model": _present(os_info.get("hardware")), "serial": _present(os_info.get("serial"))}
    for name, value in wanted.items():
        if not value:
            continue
        result.expected[name] = value
        result.scored[name] = 1
        ours = result.got.get(name, "")
        if name == "vendor":  # "A|B": a family whose product line changed hands
            hit = any(same(canonical_vendor(ours), canonical_vendor(maker))
                      for maker in value.split("|"))
        else:
            hit = same(ours, value)
        result.hits[name] = int(hit)

    ports = _section(expected, "ports", "ports")
    if ports:
        found = {i.index for i in device.interfaces} if device is not None else set()
        lost = [str(p.get("ifIndex")) for p in ports if p.get("ifIndex") not in found]
        result.scored["interfaces"] = len(ports)
        result.hits["interfaces"] = len(ports) - len(lost)
        if lost:
            result.missing["interfaces"] = lost
    links = _section(expected, "discovery-protocols", "links")
    if links:
        neighbors = device.neighbors if device is not None else []
        lost_links = [f"{l.get('protocol')} {l.get('ifName')} -> {l.get('remote_hostname')} "
                      f"{l.get('remote_port')}" for l in links if not _link_found(l, neighbors)]
        result.scored["links"] = len(links)
        result.hits["links"] = len(links) - len(lost_links)
        if lost_links:
            result.missing["links"] = lost_links
    return result


def _in_process(path: Path, order: str) -> tuple[Any, list[str], str]:
    from netdoc.discover.collectors.snmp import collect
    from netdoc.discover.snmp.recorded import RecordedTransport

    device, warnings = asyncio.run(collect(RecordedTransport(path, order=order)))
    return device, list(warnings), ""


def _over_udp(community: str, port: int) -> tuple[Any, list[str], str]:
    """What `netdoc identify 127.0.0.1 --community NAME` gets from snmpsim, default settings."""
    from netdoc.discover.collectors.snmp import poll_device
    from netdoc.config import CredentialSet, SnmpCredential, SnmpSettings
    from netdoc.secrets import Secret

    credential = CredentialSet("corpus", snmp=SnmpCredential(version="2c",
                                                             community=Secret(community)))
    result = asyncio.run(poll_device("127.0.0.1", port, [credential], SnmpSettings()))
    return result.device, list(result.warnings), result.error


def _section(expected: dict[str, Any], module: str, key: str) -> list[dict[str, Any]]:
    """LibreNMS's expected rows of one module: its discovery part, else its poller part
    (some files keep `"discovery": []`, PHP's empty array, and list the rows under poller)."""
    part = expected.get(module)
    if not isinstance(part, dict):
        return []
    for stage in ("discovery", "poller"):
        rows = part.get(stage)
        if isinstance(rows, dict) and isinstance(rows.get(key), list) and rows[key]:
            return [row for row in rows[key] if isinstance(row, dict)]
    return []


def _score_star(args: tuple[str, dict[str, str], str, int]) -> WalkScore:
    return score_walk(*args)


# ---------------------------------------------------------------- the corpus

def find_walks(corpora: Iterable[Path], family: str = "") -> list[Path]:
    walks = []
    for corpus in corpora:
        if not corpus.is_dir():
            continue
        for path in sorted(corpus.glob("*.snmprec")):
            if "@" in path.stem or not path.with_suffix(".expected.json").is_file():
                continue  # per-VLAN views (NAME@vlan.snmprec) belong to their walk
            if family and not path.stem.startswith(family):
                continue
            walks.append(path)
    return walks


def run(walks: list[Path], jobs: int, order: str = "lexicographic",
        agent_port: int = 0) -> list[WalkScore]:
    vendors = load_vendor_table()
    work = [(str(p), vendors, order, agent_port) for p in walks]
    if jobs <= 1 or len(work) < 8:
        return [_score_star(item) for item in work]
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        return list(pool.imap(_score_star, work, chunksize=4))


class Snmpsim:
    """snmpsim serving copies of the walks (its community = the file name) on 127.0.0.1,
    for --udp; stopped by its own PID."""

    def __init__(self, walks: list[Path]) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="netdoc-corpus-"))
        for path in walks:  # copies: snmpsim names a symlinked file by its target's folder
            shutil.copyfile(path, self.folder / path.name)
        exe = Path(sys.executable).parent / "snmpsim-command-responder"
        if not exe.exists():
            raise SystemExit("identify_corpus: --udp needs snmpsim in this environment "
                             "(pip install -e '.[test]')")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log = (self.folder / "snmpsim.log").open("wb")
        self.process = subprocess.Popen(
            [str(exe), f"--data-dir={self.folder}", f"--agent-udpv4-endpoint=127.0.0.1:{self.port}",
             f"--cache-dir={self.folder / 'cache'}"], stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, "SNMPSIM_ALLOW_ROOT": "true"})
        started = time.monotonic()
        while b"Listening at UDP" not in (self.folder / "snmpsim.log").read_bytes() or \
                not self._answers(walks[0].stem):  # logged is not yet bound, under load
            if self.process.poll() is not None or time.monotonic() - started > 900:
                self.stop()
                raise SystemExit(f"identify_corpus: snmpsim did not start (log {self.log.name})")
            time.sleep(0.5)

    def _answers(self, community: str) -> bool:
        """The agent answers a GET for this walk's community (any answer, even noSuchObject)."""
        from netdoc.config import SnmpCredential, SnmpSettings
        from netdoc.discover.snmp.client import open_client
        from netdoc.errors import SnmpError
        from netdoc.secrets import Secret

        async def ask() -> bool:
            client = await open_client("127.0.0.1", self.port, SnmpCredential(
                version="2c", community=Secret(community)), SnmpSettings(),
                deadline=time.monotonic() + 3)
            try:
                await client.get(["1.3.6.1.2.1.1.2.0"])
                return True
            finally:
                await client.close()
        try:
            return asyncio.run(ask())
        except (SnmpError, OSError):
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def totals(scores: list[WalkScore]) -> dict[str, dict[str, float]]:
    out = {}
    for name in FIELDS:
        hits = sum(s.hits.get(name, 0) for s in scores)
        scored = sum(s.scored.get(name, 0) for s in scores)
        out[name] = {"hits": hits, "scored": scored,
                     "percent": round(100.0 * hits / scored, 1) if scored else 0.0}
    return out


def by_family(scores: list[WalkScore]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[WalkScore]] = defaultdict(list)
    for s in scores:
        groups[s.family].append(s)
    return {name: {"walks": len(group), "lost": sum(1 for s in group if s.error),
                   "fields": totals(group)} for name, group in sorted(groups.items())}


def _cell(entry: dict[str, float]) -> str:
    return f"{entry['hits']:g}/{entry['scored']:g}" if entry["scored"] else "-"


def print_report(scores: list[WalkScore], seconds: float, jobs: int, show_families: bool) -> None:
    overall = totals(scores)
    lost = [s for s in scores if s.error]
    if show_families:
        header = f"{'family':<26}{'walks':>6}" + "".join(f"{f:>12}" for f in FIELDS)
        print(header)
        for name, info in by_family(scores).items():
            print(f"{name[:25]:<26}{info['walks']:>6}" +
                  "".join(f"{_cell(info['fields'][f]):>12}" for f in FIELDS) +
                  (f"  lost {info['lost']}" if info["lost"] else ""))
        print()
    print(f"identify_corpus: {len(scores)} walks in {seconds:.1f} s on {jobs} process(es); "
          f"{len(lost)} lost (poll raised)")
    for name in FIELDS:
        entry = overall[name]
        target = TARGETS[name]
        # the mark from the exact ratio: 12539/12543 prints 99.9 %, not a rounded-up "100.0 ok"
        exact = 100.0 * entry["hits"] / entry["scored"] if entry["scored"] else 0.0
        mark = "ok" if exact >= target else f"target {target:g} %"
        shown = math.floor(exact * 10) / 10
        unit = {"interfaces": " ports", "links": " links"}.get(name, " walks")
        print(f"  {name + ':':<12}{entry['hits']:>6g}/{entry['scored']:<6g}{unit:<7}"
              f"{shown:>6.1f} %   ({mark})")
    for s in lost[:20]:
        print(f"  lost {s.name}: {s.error}")


def print_misses(scores: list[WalkScore], name: str) -> None:
    count = 0
    for s in sorted(scores, key=lambda s: (s.family, s.name)):
        if not s.scored.get(name) or s.hits.get(name, 0) >= s.scored[name]:
            continue
        count += 1
        if name in ("interfaces", "links"):
            print(f"{s.name}: {s.hits.get(name, 0)}/{s.scored[name]} {name}; missing: "
                  f"{', '.join(s.missing.get(name, [])[:8])}{' ...' if len(s.missing.get(name, [])) > 8 else ''}"
                  f"{'  [' + s.error + ']' if s.error else ''}")
            continue
        print(f"{s.name} [{s.platform or 'no profile'}] got {s.got.get(name, '')!r} expected "
              f"{s.expected.get(name)!r}{'  [' + s.error + ']' if s.error else ''}\n"
              f"    sysObjectID {s.sys_object_id}  sysDescr {s.sys_descr[:110]!r}")
    print(f"# {count} walks miss {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, action="append",
                        help="folder of NAME.snmprec + NAME.expected.json (repeatable; default "
                             "../shared/snmp-corpus and ../shared/snmp-walks)")
    parser.add_argument("--family", default="", help="only walks whose file name starts so")
    parser.add_argument("--show-misses", choices=FIELDS, metavar="FIELD",
                        help=f"list the walks that miss FIELD ({', '.join(FIELDS)})")
    parser.add_argument("--families", action="store_true", help="print the per-family table")
    parser.add_argument("--json", action="store_true", help="totals, families and walks as JSON")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--udp", action="store_true",
                        help="poll the walks over UDP from snmpsim on 127.0.0.1 with the default "
                             "SNMP settings, as `netdoc identify` would (minutes, not seconds)")
    parser.add_argument("--order", choices=("lexicographic", "recorded"), default="lexicographic",
                        help="how the replay answers GETNEXT: lexicographic (a correct agent, "
                             "the default) or recorded (the file's own order, as the agent that "
                             "was recorded answered: out-of-order OIDs are stepped over)")
    args = parser.parse_args(argv)
    corpora = args.corpus or list(DEFAULT_CORPORA)
    walks = find_walks(corpora, args.family)
    if not walks:
        print(f"identify_corpus: no walks found in {', '.join(map(str, corpora))}"
              f"{' for family ' + args.family if args.family else ''}", file=sys.stderr)
        return 2
    agent = Snmpsim(walks) if args.udp else None
    started = time.perf_counter()
    try:
        scores = run(walks, args.jobs, args.order, agent.port if agent else 0)
    finally:
        if agent is not None:
            agent.stop()
    seconds = time.perf_counter() - started
    if args.json:
        json.dump({"walks": len(scores), "seconds": round(seconds, 2),
                   "lost": [s.name for s in scores if s.error], "totals": totals(scores),
                   "families": by_family(scores), "results": [asdict(s) for s in scores]},
                  sys.stdout, indent=1, sort_keys=True)
        sys.stdout.write("\n")
        return 0
    if args.show_misses:
        print_misses(scores, args.show_misses)
        print()
    print_report(scores, seconds, args.jobs, args.families or bool(args.family))
    return 0


if __name__ == "__main__":
    sys.exit(main())
