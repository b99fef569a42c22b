"""Every vault test starts from a clean slate: no vault variables or systemd
credentials inherited from the shell, keys never looked up in the real home,
and the vault folder netdoc.yaml pointed at restored afterwards."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

import netdoc.secrets
from netdoc.vault import VaultLocations, VaultStore
from vault_helpers import vault_variables


@pytest.fixture(autouse=True)
def clean_vault_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in vault_variables():
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    saved = netdoc.secrets.vault_folders()
    try:
        yield
    finally:
        netdoc.secrets.use_vault_folders(*saved)


@pytest.fixture
def locations(tmp_path: Path) -> VaultLocations:
    return VaultLocations(vault_dir=tmp_path / "vault", keys_dir=tmp_path / "keys")


@pytest.fixture
def store(locations: VaultLocations) -> VaultStore:
    return VaultStore(locations)
