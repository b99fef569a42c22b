"""What no scan can see: a client's hand-written documentation, read for the site.

    inventory/<client>/docs/*.yaml   devices (role, location, owner, notes), circuits,
                                     remote access (credential only as a vault: reference)
    inventory/<client>/docs/*.md     runbooks and notes (Markdown, rendered without raw
                                     HTML: markdown_html)

Every YAML file is checked strictly: an unknown key, a wrong type or a credential
that is not a `vault:` reference is a ManualDocsError naming the file and key, so a
typo never hides a field and no password is ever written into the documentation.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from netdoc.errors import NetdocError

MAX_BYTES = 1_000_000   # per file: documentation, not a data dump


class ManualDocsError(NetdocError):
    """A hand-written documentation file is invalid (names the file and key)."""


@dataclass
class DeviceNotes:
    device: str
    role: str = ""
    location: str = ""
    owner: str = ""
    notes: str = ""


@dataclass
class Circuit:
    provider: str
    circuit_id: str = ""
    support_phone: str = ""
    site: str = ""
    wan_ips: list[str] = field(default_factory=list)
    notes: str = ""


@dataclass
class RemoteAccess:
    method: str
    host: str = ""
    credential: str = ""      # "vault:NAME" only
    notes: str = ""


@dataclass
class Runbook:
    title: str
    text: str

    @property
    def html(self) -> Any:
        """The runbook as safe HTML for the site (its title is shown above it)."""
        from markupsafe import Markup

        return Markup(markdown_html(self.text, drop_title=self.title))


# Markdown for the site: CommonMark plus tables and strike-through, raw HTML off (a
# <script> or <b> in a runbook is shown as text), links only to http(s), mailto, tel and
# relative targets; headings start at <h4> under the page's own <h2>/<h3>
_LINK_SCHEMES = re.compile(r"(?i)^(?:https?:|mailto:|tel:|[^:]*$)")


def _allowed_link(url: str) -> bool:
    return bool(_LINK_SCHEMES.match(url.strip()))


def markdown_html(text: str, drop_title: str = "") -> str:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    setattr(md, "validateLink", _allowed_link)
    tokens = md.parse(text)
    if drop_title and len(tokens) >= 3 and tokens[0].type == "heading_open" and \
            tokens[1].content.strip() == drop_title.strip():
        tokens = tokens[3:]
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + 3)}"
        for child in token.children or []:
            if child.type == "link_open" and str(child.attrGet("href") or "").lower() \
                    .startswith(("http:", "https:")):
                child.attrSet("rel", "noopener noreferrer")
    return str(md.renderer.render(tokens, md.options, {}))


@dataclass
class ManualDocs:
    devices: list[DeviceNotes] = field(default_factory=list)
    circuits: list[Circuit] = field(default_factory=list)
    remote_access: list[RemoteAccess] = field(default_factory=list)
    runbooks: list[Runbook] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)   # files that were refused, and why


_FIELDS: dict[str, tuple[type, set[str], str]] = {
    "circuits": (Circuit, {"provider", "circuit_id", "support_phone", "site", "wan_ips",
                           "notes"}, "provider"),
    "remote_access": (RemoteAccess, {"method", "host", "credential", "notes"}, "method"),
}
_DEVICE_KEYS = {"role", "location", "owner", "notes"}


def _unknown(key: str, known: set[str], where: str) -> ManualDocsError:
    close = difflib.get_close_matches(key, sorted(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(sorted(known))}"
    return ManualDocsError(f"{where}: unknown key {key!r}{hint}")


def _text(value: Any, where: str) -> str:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise ManualDocsError(f"{where}: expected text, got {type(value).__name__}")


def parse_docs_yaml(data: Any, source: str) -> ManualDocs:
    docs = ManualDocs()
    if data is None:
        return docs
    if not isinstance(data, dict):
        raise ManualDocsError(f"{source}: expected a mapping with devices, circuits, "
                              f"remote_access")
    for key, value in data.items():
        where = f"{source}: {key}"
        if key == "devices":
            if not isinstance(value, dict):
                raise ManualDocsError(f"{where}: expected a mapping of device names")
            for name, body in value.items():
                if not isinstance(body, dict):
                    raise ManualDocsError(f"{where}.{name}: expected a mapping")
                for k in body:
                    if k not in _DEVICE_KEYS:
                        raise _unknown(str(k), _DEVICE_KEYS, f"{where}.{name}")
                docs.devices.append(DeviceNotes(str(name), **{
                    k: _text(v, f"{where}.{name}.{k}") for k, v in body.items()}))
        elif key in _FIELDS:
            kind, known, required = _FIELDS[key]
            if not isinstance(value, list):
                raise ManualDocsError(f"{where}: expected a list (write [x] for one)")
            for index, body in enumerate(value):
                at = f"{where}[{index}]"
                if not isinstance(body, dict):
                    raise ManualDocsError(f"{at}: expected a mapping")
                for k in body:
                    if k not in known:
                        raise _unknown(str(k), known, at)
                if required not in body:
                    raise ManualDocsError(f"{at}: {required} is required")
                fields: dict[str, Any] = {}
                for k, v in body.items():
                    if k == "wan_ips":
                        if not isinstance(v, list):
                            raise ManualDocsError(f"{at}.wan_ips: expected a list")
                        fields[k] = [_text(x, f"{at}.wan_ips") for x in v]
                    else:
                        fields[k] = _text(v, f"{at}.{k}")
                credential = fields.get("credential", "")
                if credential and not credential.startswith("vault:"):
                    raise ManualDocsError(
                        f"{at}.credential: only a vault: reference may be written here "
                        f"(e.g. vault:acme-jumphost); store the secret with netdoc vault "
                        f"and remove the plaintext from {source}")
                getattr(docs, key).append(kind(**fields))
        else:
            raise _unknown(str(key), {"devices", *_FIELDS}, source)
    return docs


def load_manual_docs(folder: Path) -> ManualDocs:
    """Every docs/*.yaml and docs/*.md of a client; a broken file is reported, not fatal."""
    docs = ManualDocs()
    if not folder.is_dir():
        return docs
    for path in sorted(folder.iterdir()):
        if path.is_symlink() or not path.is_file():
            continue   # never followed out of the client's folder
        try:
            if path.stat().st_size > MAX_BYTES:
                raise ManualDocsError(f"{path.name}: larger than {MAX_BYTES} bytes; skipped")
            text = path.read_text(encoding="utf-8")
            if path.suffix in (".yaml", ".yml"):
                try:
                    part = parse_docs_yaml(yaml.safe_load(text), path.name)
                except yaml.YAMLError as exc:
                    raise ManualDocsError(f"{path.name}: not valid YAML: {exc}") from None
                docs.devices += part.devices
                docs.circuits += part.circuits
                docs.remote_access += part.remote_access
            elif path.suffix == ".md":
                title = next((line.lstrip("# ").strip() for line in text.splitlines()
                              if line.startswith("#")), path.stem)
                docs.runbooks.append(Runbook(title or path.stem, text))
        except ManualDocsError as exc:
            docs.errors.append(str(exc))
        except (OSError, UnicodeDecodeError) as exc:
            docs.errors.append(f"{path.name}: cannot read: {exc}")
    return docs


def apply_roles(devices: list[Any], folder: Path) -> list[Any]:
    """The devices with the role docs/*.yaml gives them (a device is named as the site
    lists it: host name, site/host name or management IP; a host name without its domain
    also matches). The maps and the site use the result, so "the router is really the
    firewall" shows everywhere."""
    import dataclasses

    roles = {d.device.lower(): d.role for d in load_manual_docs(folder).devices if d.role}
    if not roles:
        return devices
    out = []
    for device in devices:
        name = (device.hostname or device.mgmt_ip or "").lower()
        short = name.split(".", 1)[0] if device.hostname and \
            not re.fullmatch(r"[0-9.]+|[0-9a-f:]+", name) else name
        keys = (name, f"{device.site}/{name}".lower(), device.mgmt_ip, short,
                f"{device.site}/{short}".lower())   # sw1.acme.local is sw1 too
        role = next((roles[k] for k in keys if k and k in roles), "")
        out.append(dataclasses.replace(device, role=role) if role else device)
    return out
