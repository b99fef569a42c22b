"""Product names from what a device's sysObjectID and sysDescr say, when nothing better is known.

Two tables, both data in netdoc/data/products/:

- `*.tsv`: sysObjectID -> product name, generated from the vendors' PRODUCTS MIBs
  (CISCO-PRODUCTS-MIB, JUNIPER-CHASSIS-DEFINES-MIB, HP-ICF-OID, ...) by
  `scripts/update_products.py`, which writes the MIB it read and the date in each file's
  header. The name is the MIB's object name (`catalyst2950t24`, `jnxProductNameEX4200`):
  the only model statement some agents make. A model read from the device itself
  (ENTITY-MIB, a vendor scalar, sysDescr) always comes first: see netdoc.discover.identify.
- `hardware_classes.yaml`: the machine class a general-purpose OS names in sysDescr
  ("Linux host 5.4.0 #1 SMP ... x86_64" -> "Generic x86 64-bit"), the model of last
  resort for a server that states no vendor model.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from netdoc.errors import NetdocError

PRODUCTS_DIR = Path(__file__).resolve().parents[1] / "data" / "products"
HARDWARE_CLASSES = PRODUCTS_DIR / "hardware_classes.yaml"
_OID = re.compile(r"[0-9]+(\.[0-9]+)+")


class ProductDataError(NetdocError):
    """A file of netdoc/data/products is malformed (a packaging or editing mistake)."""


def parse_product_table(lines: list[str], where: str) -> dict[str, str]:
    """`OID<TAB>name` lines (`#` comments and blank lines aside) -> {oid: name}."""
    table: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        oid, _, name = line.partition("\t")
        oid = oid.strip().strip(".")
        if not _OID.fullmatch(oid) or not name.strip():
            raise ProductDataError(f"{where}:{number}: expected 'OID<TAB>product name', "
                                   f"got {line[:80]!r}; regenerate it with "
                                   f"scripts/update_products.py")
        table.setdefault(oid, name.strip())
    return table


@lru_cache(maxsize=1)
def product_table() -> dict[str, str]:
    """Every shipped table merged (files in name order; the first name of an OID wins)."""
    merged: dict[str, str] = {}
    for path in sorted(PRODUCTS_DIR.glob("*.tsv")):
        for oid, name in parse_product_table(
                path.read_text(encoding="utf-8").splitlines(), path.name).items():
            merged.setdefault(oid, name)
    return merged


def product_name(sys_object_id: str) -> str:
    """The PRODUCTS-MIB name of exactly this sysObjectID, or ''."""
    return product_table().get(sys_object_id.strip().strip("."), "")


@dataclass(frozen=True)
class HardwareClass:
    sys_descr: re.Pattern[str]
    model: str  # may name the pattern's groups: "Generic ARMv{1}"

    def apply(self, sys_descr: str) -> str:
        found = self.sys_descr.search(sys_descr)
        if not found:
            return ""
        groups = [found.group(0), *(g or "" for g in found.groups())]
        return self.model.format(*groups)


def parse_hardware_classes(data: object, where: str) -> tuple[HardwareClass, ...]:
    entries = data.get("classes") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ProductDataError(f"{where}: expected 'classes:' with a list of "
                               f"{{sys_descr: REGEX, model: NAME}}")
    classes = []
    for number, entry in enumerate(entries):
        at = f"{where}: classes[{number}]"
        if not isinstance(entry, dict) or set(entry) != {"sys_descr", "model"}:
            raise ProductDataError(f"{at}: expected {{sys_descr: REGEX, model: NAME}}, "
                                   f"got {entry!r}")
        try:
            pattern = re.compile(str(entry["sys_descr"]))
        except re.error as exc:
            raise ProductDataError(f"{at}: invalid regex {entry['sys_descr']!r}: {exc}") from None
        model = str(entry["model"])
        try:
            model.format(*([""] * (pattern.groups + 1)))
        except (IndexError, KeyError, ValueError):
            raise ProductDataError(f"{at}: model {model!r} names a group the regex "
                                   f"does not have") from None
        classes.append(HardwareClass(pattern, model))
    return tuple(classes)


@lru_cache(maxsize=1)
def hardware_classes() -> tuple[HardwareClass, ...]:
    data = yaml.safe_load(HARDWARE_CLASSES.read_text(encoding="utf-8"))
    return parse_hardware_classes(data, HARDWARE_CLASSES.name)


def hardware_class(sys_descr: str) -> str:
    """The machine class a general-purpose OS states in sysDescr, or ''."""
    for entry in hardware_classes():
        value = entry.apply(sys_descr)
        if value:
            return value
    return ""
