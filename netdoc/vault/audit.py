"""Access warnings for `netdoc check`: who else could read what netdoc keeps.

netdoc creates its folders and files owner-only (0700/0600); these checks
catch what was created or loosened by hand: secret files and SSH keys others
can read, vault keys others can read, output folders others can enter, and
credentials that make one client's run depend on another client's vault key.
Plaintext secrets in netdoc.yaml are already warned about by the validator.
"""
from __future__ import annotations

import stat
from pathlib import Path

from netdoc.config import Config
from netdoc.vault import SHARED_CLIENT, VaultError, locations_for

GROUP_OR_OTHERS = 0o077
READABLE_BY_GROUP_OR_OTHERS = 0o044


def access_warnings(config: Config, client: str | None = None) -> list[str]:
    """Every warning, each naming the path and the command that fixes it."""
    return (_config_file(config) + _secret_files(config) + _cross_client_references(config, client)
            + _vault_keys(config) + _output_folders(config, client))


def _config_file(config: Config) -> list[str]:
    holds_plaintext = any(secret.is_plaintext for cred in config.credentials.values()
                          for secret in cred.secrets())
    mode = _mode(config.path)
    if holds_plaintext and mode is not None and mode & READABLE_BY_GROUP_OR_OTHERS:
        return [f"{config.path} holds plaintext secrets and is readable by "
                f"{_who(mode)} (mode {mode:04o}); move them into the vault "
                f"(netdoc vault set) or run  chmod 600 {config.path}"]
    return []


def _secret_files(config: Config) -> list[str]:
    warnings = []
    for name, cred in sorted(config.credentials.items()):
        for secret in cred.secrets():
            if secret.scheme == "file":
                path = Path(secret.reference.partition(":")[2])
                warnings += _private_file(path, f"{config.path}: {secret.key} reads {path}",
                                          "secret file", "change the secret")
        if cred.ssh is not None and cred.ssh.key_file:
            path = Path(cred.ssh.key_file).expanduser()
            warnings += _private_file(path, f"{config.path}: credentials.{name}.ssh.key_file "
                                            f"is {path}", "SSH private key", "replace the key")
    return warnings


def _private_file(path: Path, where: str, what: str, remedy: str) -> list[str]:
    mode = _mode(path)
    if mode is None or not mode & READABLE_BY_GROUP_OR_OTHERS:
        return []
    return [f"{where}; this {what} is readable by {_who(mode)} (mode {mode:04o}); "
            f"run  chmod 600 {path}  and {remedy} if others could have copied it"]


def _cross_client_references(config: Config, only: str | None) -> list[str]:
    """A client whose credentials point into another client's vault needs that client's key,
    which breaks per-client separation."""
    warnings = []
    for chosen in config.selected_clients(only):
        used = {name for site in chosen.sites for name in site.credentials}
        used |= {name for site in chosen.sites for device in site.devices
                 for name in device.credentials}
        for name in sorted(used):
            for secret in config.credentials[name].secrets():
                if secret.scheme != "vault":
                    continue
                owner = secret.reference[len("vault:"):].partition("/")[0]
                if owner not in (chosen.name, SHARED_CLIENT):
                    warnings.append(
                        f"{config.path}: client {chosen.name!r} uses credential set {name!r}, "
                        f"whose {secret.key} is {secret.reference}; {chosen.name}'s runs then "
                        f"need {owner}'s vault key. Store it as vault:{chosen.name}/... or, if "
                        f"it really is MSP-wide, vault:{SHARED_CLIENT}/...")
    return warnings


def _vault_keys(config: Config) -> list[str]:
    try:
        locations = locations_for(config)
    except VaultError:
        return []
    warnings = []
    folder_mode = _mode(locations.keys_dir)
    if folder_mode is not None and folder_mode & GROUP_OR_OTHERS:
        warnings.append(f"the vault keys folder {locations.keys_dir} is open to "
                        f"{_who(folder_mode)} (mode {folder_mode:04o}); run  "
                        f"chmod 700 {locations.keys_dir}")
    if folder_mode is not None:
        for key_file in sorted(locations.keys_dir.glob("*.key")):
            mode = _mode(key_file)
            if mode is not None and mode & GROUP_OR_OTHERS:
                warnings.append(f"the vault key {key_file} is open to {_who(mode)} (mode "
                                f"{mode:04o}) and will be refused; run  chmod 600 {key_file}  "
                                f"and rotate the key (netdoc vault rotate {key_file.stem}) if "
                                f"others could have copied it")
    if locations.keys_dir.is_relative_to(locations.vault_dir):
        warnings.append(f"the vault keys folder {locations.keys_dir} is inside the vault folder "
                        f"{locations.vault_dir}, so a copy of the vaults carries their keys; "
                        f"keep keys elsewhere (vault: keys: in netdoc.yaml)")
    return warnings


def _output_folders(config: Config, only: str | None) -> list[str]:
    roots = [value for name, value in sorted(vars(config.output).items())
             if isinstance(value, Path) and name != "templates"]
    folders = roots + [root / chosen.name for root in roots
                       for chosen in config.selected_clients(only)]
    warnings = []
    for folder in folders:
        mode = _mode(folder)
        if mode is not None and folder.is_dir() and mode & GROUP_OR_OTHERS:
            warnings.append(f"output folder {folder} is open to {_who(mode)} (mode "
                            f"{mode:04o}); client data belongs to its technicians only; run  "
                            f"chmod -R go-rwx {folder}")
    return warnings


def _mode(path: Path) -> int | None:
    """Permission bits, or None when the path does not exist (nothing to warn about yet)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None


def _who(mode: int) -> str:
    if mode & 0o007 and mode & 0o070:
        return "group and others"
    return "others" if mode & 0o007 else "its group"
