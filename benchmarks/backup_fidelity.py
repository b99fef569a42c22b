"""Scoreboard: every recorded device session, backed up through netdoc's real backup path.

    .venv/bin/python benchmarks/backup_fidelity.py [--json] [--sessions DIR ...]
                                                   [--no-fixtures] [--no-shared] [-k TEXT]

Sessions played (each by the project's replay SSH server, tests/support/replay_server.py,
on 127.0.0.1; netdoc backs them up with run_backup + NetmikoSource, exactly as a client
run would, once with `secrets: mask` and once with `secrets: keep`):

  fixture  tests/fixtures/sessions/NAME.yaml, platform from the recording, expected
           config tests/fixtures/sessions/expected/NAME.cfg (NAME@VARIANT.cfg: the same
           recording backed up as `platform: P:VARIANT`). The expected files spell the
           placeholders of the tests' fixed masking key, so the masked run is compared.
  shared   ../shared/device-sessions/MODEL#DESC#simulation.yaml (and every --sessions
           DIR), Oxidized's simulation format; the platform is the Oxidized model name
           (MODEL), as an Oxidized router.db would give it. Expected config: Oxidized's
           MODEL#DESC#output.txt without the lines Oxidized adds itself (see below). It
           is unmasked, so the `secrets: keep` run is compared.

Per device:
  backed up   yes, or the reason netdoc gave
  recall      expected config lines found in the stored config (as a multiset, trailing
              blanks ignored): 100 % = nothing lost
  extra       stored lines the expected config lacks: terminal noise, banners, volatile
              lines (timestamps, counters) -- 0 wanted (the "volatile left" column)
  secrets     known secrets still readable in the masked run's stored config -- 0 wanted

Which lines of output.txt are the config: Oxidized prefixes its own summary of `show
version`/inventory output with a comment character and drops volatile lines. So the
expected config is every output.txt line that occurs, as is (or with the device's backslash
line wraps joined), in the answer of the session's config command (the recorded command whose answer shares most lines with output.txt).
A line Oxidized added or rewrote is not in that answer, so it is not expected. The
platform's end-marker line (`: end`, `</opnsense>`), which Oxidized drops or decorates and
netdoc keeps as its proof of a complete config, is not counted as extra.

Comment lines stamped with a time of day (REFERENCE_VOLATILE: "! Last configuration change
at ...", "## Last commit: ...") are volatile here even where Oxidized keeps them.

Known secrets (what must not survive masking):
  fixtures  the recording's `planted_secrets:` list, plus every value the reviewed
            expected file shows as a placeholder (found by aligning it with the kept run);
  shared    values in the config answer at an unambiguous secret position, by the
            reference rules REFERENCE_SECRETS below -- written for this scoreboard, apart
            from netdoc's masking code, so netdoc does not grade itself -- plus values the
            contributors anonymised with placeholder runs (AAAAAAAAAA..., xxxxxxxx, SECRET,
            FAKEHASH), plus every string of the `fail:` list of Oxidized's own
            MODEL#DESC#secret.yaml when it sits beside the session. A value found by the rules
            that is 4 characters or shorter is ignored (too short to search for without
            false hits); the declared ones are all searched.
Traffic goes only to 127.0.0.1. Exit status 0 always (a scoreboard, not a gate).
"""
from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import pytest  # noqa: E402
import yaml  # noqa: E402

from netdoc.backup.stage import run_backup  # noqa: E402
from netdoc.backup.platforms import plan_for  # noqa: E402
from netdoc.backup.state import state_dir  # noqa: E402
from netdoc.backup.transport import NetmikoSource  # noqa: E402
from netdoc.config import parse_config  # noqa: E402
from netdoc.errors import NetdocError  # noqa: E402
from support.replay_server import Recording, ReplayServer  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "sessions"
SHARED = ROOT.parent / "shared" / "device-sessions"
MASK_KEY = b"netdoc tests: fixed masking key."  # the tests' key: expected files use it
USER, PASSWORD, ENABLE = "netdoc", "lab-pass", "lab-enable"
PLACEHOLDER = re.compile(r"<masked:[0-9a-f]{10}>")
ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|[()][A-Z0-9]|[=>78DEHM])")

# Reference rules for the shared sessions' known secrets: (regex, group "s" = the secret).
# Deliberately narrow (unambiguous positions only) and independent of netdoc's own rules.
REFERENCE_SECRETS = [
    r"^\s*(?:enable )?(?:secret|password)(?: \d+)? (?!encryption\b)(?P<s>\S+)",
    r"^\s*username \S+ .*?(?:secret|password)(?: \d+)? (?P<s>\S+)",
    r"^\s*snmp-server community (?P<s>\S+)",
    r"^\s*snmp-server host \S+ (?:.* )?(?:version (?:1|2c)|community) (?P<s>[^\s-]\S*)",
    r"^\s*snmp-agent community (?:read|write) (?:simple |cipher )?(?P<s>\S+)",
    r"(?<![\w-])(?:server-key|key|pre-shared-key|key-string)(?: \d+)? (?P<s>[^\s\"']{8,})\s*$",
    r"\bset \S*(?:password|passwd|secret|psksecret|key|pwd) ENC (?P<s>\S+)",
    r"(?:encrypted-password|secret|password|authentication-key|pre-shared-key|ascii-text) "
    r"\"(?P<s>[^\"]+)\"",
    r"(?<![-\w])(?:password|preshared-key|private-key|secret|community|key) '(?P<s>[^']+)'",
    r"(?i)\b(?:password|secret|psk|passphrase|community)=(?P<s>\"[^\"]*\"|\S+)",
    r"<(?:password|bcrypt-hash|sha512-hash|rocommunity|rwcommunity|pre-shared-key|psk|"
    r"shared_key|secret|apikey|apisecret|prv)>(?P<s>[^<]+)</",
    r"[a-z][a-z0-9+.-]*://[^\s:/@'\"]+:(?P<s>[^\s@'\"]+)@",
]
ANONYMISED = re.compile(r"[^\s:/@'\";]*(?:A{6,}B{6,}|x{8,}|SECRET(?!-DATA)|FAKEHASH|very-secret)"
                        r"[^\s:/@'\";]*")
MIN_SECRET = 5
# Volatile by any standard: a comment line stamped with a time of day ("! Last configuration
# change at 09:37:40 ...", "## Last commit: 2024-12-06 11:41:05 UTC"). Oxidized keeps some
# of them; here they are never expected, and one left in a stored config counts as extra.
REFERENCE_VOLATILE = re.compile(r"^\s*(?:!|#|;|:)+.*(?:\b|T)\d{1,2}:\d{2}:\d{2}\b")


@dataclass
class Case:
    name: str                 # device name in the run (a file-safe slug)
    kind: str                 # "fixture" or "shared"
    platform: str
    recording: Recording
    expected: list[str]
    known_secrets: set[str] = field(default_factory=set)
    compare_masked: bool = True


@dataclass
class Score:
    name: str
    kind: str
    platform: str
    backed_up: bool
    reason: str = ""
    expected_lines: int = 0
    recalled: int = 0
    extra: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    secrets_left: list[str] = field(default_factory=list)
    known_secrets: int = 0

    @property
    def recall(self) -> float:
        return self.recalled / self.expected_lines if self.expected_lines else 0.0

    @property
    def perfect(self) -> bool:
        return (self.backed_up and self.recalled == self.expected_lines and not self.extra
                and not self.secrets_left)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(recall=round(self.recall, 4), perfect=self.perfect,
                    extra_lines=len(self.extra))
        return data


# ---------------------------------------------------------------- collecting the cases

def fixture_cases(folder: Path = FIXTURES) -> list[Case]:
    cases = []
    for expected in sorted((folder / "expected").glob("*.cfg")):
        stem, _, variant = expected.stem.partition("@")
        path = folder / f"{stem}.yaml"
        if not path.exists():
            continue
        recording = Recording.load(path)
        platform = recording.platform + (f":{variant}" if variant else "")
        lines = _lines(expected.read_text(encoding="utf-8"))
        cases.append(Case(_slug(expected.stem), "fixture", platform, recording, lines,
                          set(recording.planted_secrets)))
    return cases


def shared_cases(folder: Path) -> list[Case]:
    cases = []
    for path in sorted(folder.glob("*simulation.yaml")):
        output = path.with_name(path.name.replace("simulation.yaml", "output.txt"))
        if not output.exists():
            continue
        recording = Recording.load(path)
        model = path.name.split("#")[0].split(":")[0]
        answer = _config_answer(recording, output.read_text(encoding="utf-8"))
        expected = _expected_from_oxidized(output.read_text(encoding="utf-8"), answer)
        secrets = _reference_secrets(answer) | _declared_secrets(
            path.with_name(path.name.replace("simulation.yaml", "secret.yaml")))
        cases.append(Case(_slug(path.name.replace("simulation.yaml", "")), "shared", model,
                          recording, expected, secrets, compare_masked=False))
    return cases


def _config_answer(recording: Recording, output: str) -> str:
    wanted = set(_lines(output))
    best, score = "", -1
    for _, answer in recording.script:
        lines = _lines(_visible(answer))
        hits = sum(1 for line in lines if line in wanted and line.strip())
        if hits > score:
            best, score = answer, hits
    return _visible(best)


def _expected_from_oxidized(output: str, answer: str) -> list[str]:
    # a line the device wrapped with a trailing backslash (RouterOS) counts joined, too
    joined = re.sub(r"\\\r?\n[ \t]+", "", answer)
    available = Counter(_lines(answer)) | Counter(_lines(joined))
    expected = []
    for line in _lines(output):
        if REFERENCE_VOLATILE.search(line):
            continue
        if available[line] > 0:
            available[line] -= 1
            expected.append(line)
    while expected and not expected[0].strip():
        expected.pop(0)
    while expected and not expected[-1].strip():
        expected.pop()
    return expected


def _declared_secrets(path: Path) -> set[str]:
    """Oxidized's MODEL#DESC#secret.yaml: `fail:` lists strings no masked output may hold."""
    if not path.exists():
        return set()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(value) for value in data.get("fail") or [] if str(value).strip()}


def _reference_secrets(answer: str) -> set[str]:
    found: set[str] = set()
    rules = [re.compile(r) for r in REFERENCE_SECRETS]
    for line in answer.split("\n"):
        for rule in rules:
            for match in rule.finditer(line):
                found.add(match.group("s").strip('"\''))
        found.update(m.group(0).strip('"\';,') for m in ANONYMISED.finditer(line))
    return {s for s in found if len(s) >= MIN_SECRET and not s.startswith("<masked:")}


def _visible(text: str) -> str:
    out = []
    for line in ANSI.sub("", text).replace("\r\n", "\n").split("\n"):
        out.append(line.rsplit("\r", 1)[-1] if "\r" in line.rstrip("\r") else line.rstrip("\r"))
    return "\n".join(out)


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip("\n").split("\n")]


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@-]+", "_", name).strip("_")[:80]


# ---------------------------------------------------------------- running and scoring

def run_cases(cases: list[Case], work: Path) -> list[Score]:
    seen: dict[str, int] = {}
    for case in cases:  # one device name each (MODEL#X and MODEL:X spell the same slug)
        seen[case.name] = seen.get(case.name, 0) + 1
        if seen[case.name] > 1:
            case.name = f"{case.name}-{seen[case.name]}"
    with pytest.MonkeyPatch.context() as patch, ReplayServer() as server:
        patch.setenv("NETDOC_BENCH_SSH", PASSWORD)
        patch.setenv("NETDOC_BENCH_ENABLE", ENABLE)
        served = [(case, server.serve(_with_login(case.recording))) for case in cases]
        masked = _backup(work / "masked", served, {})
        kept = _backup(work / "kept", served, {"secrets": "keep"})
    scores = []
    for case, _ in served:
        stored_masked, reason_masked = masked[case.name]
        stored_kept, reason_kept = kept[case.name]
        reason = reason_masked or reason_kept
        if reason and case.recording.exec_only and case.recording.verbatim \
                and _transport(case.platform) == "cli":
            reason += (" [the recording was made over SSH exec requests, the profile uses an "
                       "interactive CLI: `transport: exec` may be what it needs]")
        score = Score(case.name, case.kind, case.platform, backed_up=not reason,
                      reason=reason, expected_lines=len(case.expected),
                      known_secrets=len(case.known_secrets))
        if not reason:
            compared = stored_masked if case.compare_masked else stored_kept
            score.recalled, score.missing, score.extra = _compare(case.expected,
                                                                  _lines(compared or ""))
            if case.kind == "shared":  # netdoc keeps the end marker Oxidized drops (": end")
                end = _end_marker(case.platform)
                score.extra = [line for line in score.extra if not (end and end.search(line))]
            secrets = set(case.known_secrets)
            if case.kind == "fixture" and stored_kept:
                secrets |= _masked_values(case.expected, _lines(stored_kept))
            score.known_secrets = len(secrets)
            score.secrets_left = sorted(s for s in secrets if s in (stored_masked or ""))
        scores.append(score)
    return scores


def _with_login(recording: Recording) -> Recording:
    if recording.verbatim:  # Oxidized recordings carry no login: accept the bench's
        recording.username, recording.password = USER, PASSWORD
    return recording


def _backup(root: Path, served: list[tuple[Case, Any]], client: dict[str, Any]) \
        -> dict[str, tuple[str | None, str]]:
    root.mkdir(parents=True, exist_ok=True)
    devices = [{"host": device.host, "name": case.name, "ssh_port": device.port,
                "platform": case.platform} for case, device in served]
    data = {
        "credentials": {"bench": {"ssh": {"username": USER, "password": "env:NETDOC_BENCH_SSH",
                                          "enable": "env:NETDOC_BENCH_ENABLE"}}},
        "clients": {"bench": {**client, "sites": {"s": {"credentials": ["bench"],
                                                        "devices": devices}}}},
        "backup": {"timeout": 60},
        "output": {"config_backups": str(root / "config_backups"),
                   "inventory": str(root / "inventory")},
    }
    path = root / "netdoc.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    config = parse_config(path.read_text(encoding="utf-8"), path)
    folder = state_dir(config, "bench")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mask.key").write_bytes(MASK_KEY)
    (folder / "mask.key").chmod(0o600)
    outcome = run_backup(config, config.client("bench"), NetmikoSource())
    failures = {f.name.rsplit("/", 1)[-1]: f.reason for f in outcome.failures}
    results: dict[str, tuple[str | None, str]] = {}
    for case, _ in served:
        stored = root / "config_backups" / "bench" / "s" / f"{case.name}.cfg"
        if case.name in failures:
            results[case.name] = (None, failures[case.name])
        elif stored.exists():
            results[case.name] = (stored.read_text(encoding="utf-8"), "")
        else:
            results[case.name] = (None, "no stored config and no failure reported")
    return results


def _compare(expected: list[str], stored: list[str]) -> tuple[int, list[str], list[str]]:
    have = Counter(stored)
    recalled = 0
    missing = []
    for line in expected:
        if have[line] > 0:
            have[line] -= 1
            recalled += 1
        else:
            missing.append(line)
    want = Counter(expected)
    extra = []
    for line in stored:
        if want[line] > 0:
            want[line] -= 1
        else:
            extra.append(line)
    return recalled, missing, extra


def _transport(platform: str) -> str:
    try:
        return plan_for("scoreboard", platform).recipe.transport
    except NetdocError:
        return ""


def _end_marker(platform: str) -> re.Pattern[str] | None:
    try:
        return plan_for("scoreboard", platform).recipe.end_marker
    except NetdocError:
        return None


def _masked_values(expected: list[str], kept: list[str]) -> set[str]:
    """Values the reviewed expected file shows as placeholders, read off the kept run."""
    values: set[str] = set()
    matcher = difflib.SequenceMatcher(a=expected, b=kept, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op != "replace" or a2 - a1 != b2 - b1:
            continue
        for mine, theirs in zip(expected[a1:a2], kept[b1:b2]):
            parts = PLACEHOLDER.split(mine)
            if len(parts) < 2:
                continue
            found = re.fullmatch("(.+?)".join(re.escape(p) for p in parts), theirs)
            if found:
                values.update(g.strip('"\'') for g in found.groups()
                              if len(g.strip('"\'')) >= MIN_SECRET)
    return values


# ---------------------------------------------------------------- report

def report(scores: list[Score]) -> str:
    rows = [f"{'device':44} {'kind':7} {'platform':22} {'backed up':9} {'recall':>7} "
            f"{'extra':>5} {'secrets':>7}"]
    for s in scores:
        rows.append(f"{s.name[:44]:44} {s.kind:7} {s.platform[:22]:22} "
                    f"{'yes' if s.backed_up else 'NO':9} {s.recall * 100:6.1f}% "
                    f"{len(s.extra):5d} {len(s.secrets_left):3d}/{s.known_secrets:<3d}")
        if not s.backed_up:
            rows.append(f"    why: {s.reason}")
        for line in s.missing[:5]:
            rows.append(f"    missing: {line[:100]!r}")
        for line in s.extra[:5]:
            rows.append(f"    extra: {line[:100]!r}")
        for secret in s.secrets_left[:5]:
            rows.append(f"    secret left: {secret[:3]}... ({len(secret)} chars)")
    rows.append("")
    for kind in ("fixture", "shared"):
        group = [s for s in scores if s.kind == kind]
        if group:
            rows.append(_totals_line(kind, group))
    rows.append(_totals_line("all", scores))
    return "\n".join(rows)


def totals(scores: list[Score]) -> dict[str, Any]:
    expected = sum(s.expected_lines for s in scores)
    return {
        "devices": len(scores),
        "platforms": len({s.platform.split(":")[0] for s in scores}),
        "backed_up": sum(s.backed_up for s in scores),
        "perfect": sum(s.perfect for s in scores),
        "expected_lines": expected,
        "recalled_lines": sum(s.recalled for s in scores),
        "recall": round(sum(s.recalled for s in scores) / expected, 4) if expected else 0.0,
        "extra_lines": sum(len(s.extra) for s in scores),
        "known_secrets": sum(s.known_secrets for s in scores),
        "secrets_left": sum(len(s.secrets_left) for s in scores),
    }


def _totals_line(label: str, scores: list[Score]) -> str:
    t = totals(scores)
    return (f"{label:8} {t['devices']} devices ({t['platforms']} platforms): "
            f"{t['backed_up']} backed up, {t['perfect']} perfect; line recall "
            f"{t['recall'] * 100:.1f}% ({t['recalled_lines']}/{t['expected_lines']}); "
            f"{t['extra_lines']} extra (volatile/noise) lines; "
            f"{t['secrets_left']}/{t['known_secrets']} known secrets left")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--sessions", action="append", type=Path, default=[],
                        help="another folder of Oxidized simulation sessions (repeatable)")
    parser.add_argument("--no-fixtures", action="store_true")
    parser.add_argument("--no-shared", action="store_true")
    parser.add_argument("-k", dest="only", default="", help="only devices whose name has TEXT")
    parser.add_argument("--keep", type=Path, default=None,
                        help="back up into this folder and keep it (masked/ and kept/ "
                             "repositories) instead of a temporary one")
    args = parser.parse_args(argv)
    cases: list[Case] = [] if args.no_fixtures else fixture_cases()
    folders = list(args.sessions)
    if not args.no_shared and SHARED.is_dir():
        folders.insert(0, SHARED)
    for folder in folders:
        cases += shared_cases(folder)
    cases = [c for c in cases if args.only in c.name]
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        scores = run_cases(cases, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="netdoc-fidelity-") as work:
            scores = run_cases(cases, Path(work))
    if args.json:
        print(json.dumps({"devices": [s.as_dict() for s in scores],
                          "totals": {kind: totals([s for s in scores
                                                   if kind in ("all", s.kind)])
                                     for kind in ("fixture", "shared", "all")
                                     if kind == "all" or any(s.kind == kind for s in scores)}},
                         indent=2))
    else:
        print(report(scores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
