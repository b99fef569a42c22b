"""`netdoc install-timer`: set up the systemd units that run netdoc unattended."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from netdoc.errors import NetdocError

UNITS_DIR = Path(__file__).resolve().parent.parent / "contrib" / "systemd"
UNITS = ("netdoc-discover.service", "netdoc-discover.timer",
         "netdoc-backup.service", "netdoc-backup.timer")
TIMERS = ("netdoc-discover.timer", "netdoc-backup.timer")


def netdoc_executable() -> str:
    found = shutil.which("netdoc") or str(Path(sys.executable).with_name("netdoc"))
    return str(Path(found).resolve())


def render_units(target: Path, executable: str | None = None) -> list[Path]:
    """Write the unit files into `target` with ExecStart pointing at this netdoc."""
    if not UNITS_DIR.is_dir():
        raise NetdocError(f"unit templates not found in {UNITS_DIR}; install netdoc from its "
                          f"source checkout (pip install -e .)")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in UNITS:
        text = (UNITS_DIR / name).read_text(encoding="utf-8")
        path = target / name
        path.write_text(text.replace("@NETDOC@", executable or netdoc_executable()),
                        encoding="utf-8")
        path.chmod(0o644)
        written.append(path)
    return written


def install(target: Path, enable: bool) -> list[str]:
    steps = [f"wrote {p}" for p in render_units(target)]
    if not enable:
        return steps
    if subprocess.run(["id", "netdoc"], capture_output=True).returncode != 0:
        _run(["useradd", "--system", "--home-dir", "/var/lib/netdoc", "--shell",
              "/usr/sbin/nologin", "netdoc"])
        steps.append("created system user netdoc")
    _run(["systemctl", "daemon-reload"])
    _run(["systemctl", "enable", "--now", *TIMERS])
    steps.append(f"enabled {', '.join(TIMERS)}; see: systemctl list-timers 'netdoc-*'")
    return steps


def _run(argv: list[str]) -> None:
    try:
        subprocess.run(argv, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise NetdocError(f"{argv[0]} is not installed; use contrib/cron/netdoc or "
                          f"`netdoc daemon` instead") from None
    except subprocess.CalledProcessError as exc:
        raise NetdocError(f"{' '.join(argv)} failed: {exc.stderr.strip()}") from None
