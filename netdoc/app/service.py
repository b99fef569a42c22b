"""The system install: `netdoc init --system` and `netdoc install-timer`.

The layout is the one the FHS and Debian use:

    /etc/netdoc/netdoc.yaml          the configuration, mode 0600, owned by netdoc
    /etc/netdoc/keys/CLIENT.key      vault keys (0700 folder); the units hand them to the
                                     service with LoadCredential=, so they may stay root-only
    /var/lib/netdoc/inventory        output: one git repository per client
    /var/lib/netdoc/config_backups   output: one git repository per client
    /var/lib/netdoc/vault            the encrypted vaults (ciphertext only)

`--root DIR` installs the same layout under DIR (its configuration points inside
DIR), for tests and for trying it out; it never touches the real /etc.
"""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netdoc.errors import EnvironmentProblem, UsageError

UNITS_DIR = Path(__file__).resolve().parents[1] / "data" / "systemd"
DOCS = UNITS_DIR / "README.md"
TIMER_UNITS = ("netdoc-discover.service", "netdoc-discover.timer",
               "netdoc-backup.service", "netdoc-backup.timer")
DAEMON_UNITS = ("netdoc-daemon.service",)
LISTEN_UNITS = ("netdoc-listen.service",)  # `netdoc listen`: written always, enabled by hand
UNITS = TIMER_UNITS + DAEMON_UNITS + LISTEN_UNITS
TIMERS = ("netdoc-discover.timer", "netdoc-backup.timer")
SERVICE_USER = "netdoc"
SYSTEM_CONFIG = Path("/etc/netdoc/netdoc.yaml")
STATE_DIR = Path("/var/lib/netdoc")
KEYS_DIR = Path("/etc/netdoc/keys")
CREDENTIAL_PREFIX = "netdoc-vault-"  # = netdoc.vault.base.SYSTEMD_CREDENTIAL_PREFIX


def netdoc_executable() -> str:
    found = shutil.which("netdoc") or str(Path(sys.executable).with_name("netdoc"))
    return str(Path(found).resolve())


def under(root: Path | None, path: Path) -> Path:
    """`path` of the system layout, placed under `root` when one is given."""
    return root / path.relative_to("/") if root is not None else path


# ---------------------------------------------------------------- init --system

@dataclass
class SystemLayout:
    config: Path
    keys: Path
    state: Path
    inventory: Path
    config_backups: Path
    vault: Path
    steps: list[str] = field(default_factory=list)

    @classmethod
    def at(cls, root: Path | None) -> SystemLayout:
        state = under(root, STATE_DIR)
        return cls(config=under(root, SYSTEM_CONFIG), keys=under(root, KEYS_DIR), state=state,
                   inventory=state / "inventory", config_backups=state / "config_backups",
                   vault=state / "vault")

    def as_dict(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in vars(self).items()}


def system_config_text(layout: SystemLayout) -> str:
    """The starter configuration with the system layout's absolute folders filled in."""
    from netdoc.app.starter import STARTER_CONFIG

    settings = (f"output:\n"
                f"  inventory: {layout.inventory}\n"
                f"  config_backups: {layout.config_backups}\n"
                f"vault:\n"
                f"  dir: {layout.vault}          # ciphertext only\n"
                f"  keys: {layout.keys}          # CLIENT.key, 0600; handed to the service "
                f"by systemd\n")
    marker = "# output:\n"
    head, _, tail = STARTER_CONFIG.partition(marker)
    # drop the commented output: example (the real settings follow)
    tail = "\n".join(line for line in tail.splitlines() if not line.startswith("#   "))
    return head + settings + tail.rstrip("\n") + ("\n" if tail.strip() else "")


def init_system(root: Path | None, create_user: bool | None = None) -> SystemLayout:
    """Write the system layout; create the service user unless under `root` (or asked)."""
    if root is None and os.geteuid() != 0:
        raise EnvironmentProblem("netdoc init --system writes /etc/netdoc and /var/lib/netdoc: "
                                 "run it as root (or with sudo), or try it out with --root DIR")
    layout = SystemLayout.at(root)
    if layout.config.exists():
        raise UsageError(f"{layout.config} already exists; not overwriting it")
    if create_user is None:
        create_user = root is None
    if create_user:
        layout.steps += ensure_user()
    owner = _owner()
    try:
        for folder in (layout.config.parent, layout.keys, layout.state, layout.inventory,
                       layout.config_backups, layout.vault):
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o700 if folder != layout.config.parent else 0o750)
            _chown(folder, owner)
            layout.steps.append(f"folder {folder} (mode "
                                f"{0o700 if folder != layout.config.parent else 0o750:04o})")
        fd = os.open(layout.config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(system_config_text(layout))
        os.chmod(layout.config, 0o600)
        _chown(layout.config, owner)
    except PermissionError as exc:
        raise EnvironmentProblem(f"cannot write {exc.filename}: permission denied; run as root "
                                 f"(or with sudo)") from None
    layout.steps.append(f"wrote {layout.config} (mode 0600"
                        f"{', owner ' + SERVICE_USER if owner else ''})")
    return layout


def ensure_user() -> list[str]:
    if _owner() is not None:
        return [f"system user {SERVICE_USER} exists"]
    _run(["useradd", "--system", "--user-group", "--home-dir", str(STATE_DIR), "--no-create-home",
          "--shell", "/usr/sbin/nologin", SERVICE_USER])
    return [f"created system user {SERVICE_USER}"]


def _owner() -> tuple[int, int] | None:
    try:
        entry = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def _chown(path: Path, owner: tuple[int, int] | None) -> None:
    if owner is not None and os.geteuid() == 0:
        os.chown(path, *owner)


# ---------------------------------------------------------------- units

def render_units(target: Path, executable: str | None = None,
                 config_path: Path = SYSTEM_CONFIG, read_write: list[Path] | None = None,
                 credentials: dict[str, Path] | None = None) -> list[Path]:
    """Write the unit files into `target`: ExecStart runs this netdoc with `config_path`;
    `credentials` (client -> key file) become LoadCredential= lines; `read_write` folders
    (outputs outside /var/lib/netdoc) become ReadWritePaths=."""
    if not UNITS_DIR.is_dir():
        raise EnvironmentProblem(f"unit templates not found in {UNITS_DIR}; reinstall netdoc")
    folders = sorted({str(p) for p in read_write or [] if not _inside(p, STATE_DIR)})
    rw = f"ReadWritePaths={' '.join('-' + f for f in folders)}" if folders else ""
    loads = "\n".join(f"LoadCredential={CREDENTIAL_PREFIX}{client}:{path}"
                      for client, path in sorted((credentials or {}).items()))
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in UNITS:
        text = (UNITS_DIR / name).read_text(encoding="utf-8")
        text = (text.replace("@NETDOC@", executable or netdoc_executable())
                .replace("@CONFIG@", str(config_path))
                .replace("@DOCS@", DOCS.as_uri())
                .replace("# @READWRITE@\n", rw + "\n" if rw else "")
                .replace("# @CREDENTIALS@\n", loads + "\n" if loads else ""))
        path = target / name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o644)
        written.append(path)
    return written


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder)
    except OSError:
        return False


def install(target: Path | None, enable: bool, config_path: Path | None = None,
            root: Path | None = None, daemon: bool = False) -> dict[str, Any]:
    """Write the units for `config_path`; with `enable` (and no `root`), create the user
    and enable the timers (or, with `daemon`, the netdoc-daemon service)."""
    config_path = config_path or under(root, SYSTEM_CONFIG)
    target = target or under(root, Path("/etc/systemd/system"))
    credentials, read_write = _from_config(config_path)
    units = render_units(target, config_path=config_path.absolute(), read_write=read_write,
                         credentials=credentials)
    result: dict[str, Any] = {"units": [str(u) for u in units], "config": str(config_path),
                              "credentials": sorted(credentials), "enabled": [], "steps": []}
    steps: list[str] = result["steps"]
    steps += [f"wrote {u}" for u in units]
    steps += [f"vault key of {c} passed by LoadCredential= ({p})"
              for c, p in sorted(credentials.items())]
    if not enable or root is not None:
        steps.append("not enabled" + (" (--root)" if root is not None else " (--no-enable)"))
        return result
    steps += ensure_user()
    _run(["systemctl", "daemon-reload"])
    wanted = list(DAEMON_UNITS) if daemon else list(TIMERS)
    _run(["systemctl", "enable", "--now", *wanted])
    result["enabled"] = wanted
    steps.append(f"enabled {', '.join(wanted)}; see: " +
                 ("systemctl status netdoc-daemon" if daemon
                  else "systemctl list-timers 'netdoc-*'"))
    steps.append(f"{LISTEN_UNITS[0]} written, not enabled: point the devices' syslog and "
                 f"SNMP traps at this probe, then: systemctl enable --now {LISTEN_UNITS[0]}")
    return result


def _from_config(config_path: Path) -> tuple[dict[str, Path], list[Path]]:
    """Vault key files (client -> path) and output folders named by the configuration."""
    if not config_path.is_file():
        return {}, []
    from netdoc.config import load_config
    from netdoc.vault import locations_for

    config = load_config(config_path)
    read_write = [config.output.inventory, config.output.config_backups]
    try:
        locations = locations_for(config)
    except Exception:  # noqa: BLE001 - no vault configured: nothing to hand over
        return {}, read_write
    read_write.append(locations.vault_dir)
    keys = {key.stem: key.absolute() for key in sorted(locations.keys_dir.glob("*.key"))} \
        if locations.keys_dir.is_dir() else {}
    return keys, read_write


def _run(argv: list[str]) -> None:
    try:
        subprocess.run(argv, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise EnvironmentProblem(f"{argv[0]} is not installed; use contrib/cron/netdoc or "
                                 f"`netdoc daemon` instead") from None
    except subprocess.CalledProcessError as exc:
        raise EnvironmentProblem(f"{' '.join(argv)} failed: {exc.stderr.strip()}") from None
