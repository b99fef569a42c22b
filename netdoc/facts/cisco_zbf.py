"""Cisco IOS / IOS-XE zone-based firewall as firewall rules.

    zone security INSIDE / OUTSIDE / self         the zones (interfaces join them with
                                                  `zone-member security NAME`)
    class-map type inspect match-any|match-all C  what traffic a class is: `match protocol
                                                  P`, `match access-group name A` / `N`,
                                                  `match class-map C2`
    policy-map type inspect P                     per class: inspect | pass | drop [log]
    zone-pair security ZP source Z1 destination Z2
     service-policy type inspect P                the policy between two zones

Each class of the policy a zone-pair applies becomes one Rule per permitted access-list
entry (or one for the protocols matched): id `ZP:CLASS[:ENTRY]`, from Z1 to Z2, the
entry's sources, destinations and service, `inspect`/`pass` as allow and `drop` as deny,
in the policy's order; the closing `class class-default` is the rule for the rest. A
zone-pair without a policy passes nothing; it is said in the facts' notes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from netdoc.facts.model import DeviceFacts, Rule
from netdoc.facts.tree import Node

ZBF_ACTIONS = {"inspect": "allow", "pass": "allow", "drop": "deny"}
_MAX_NESTING = 8   # class-maps matching class-maps: deep enough for any real config


@dataclass
class _ClassMap:
    match_all: bool
    protocols: list[str] = field(default_factory=list)
    acls: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    negated: bool = False      # a `match not ...`: not described, said in the comment


def _class_maps(root: Node) -> dict[str, _ClassMap]:
    found: dict[str, _ClassMap] = {}
    for node in root.children:
        w = node.words
        if w[:3] != ["class-map", "type", "inspect"] or len(w) < 4:
            continue
        match_all = w[3] != "match-any"
        name = w[4] if w[3] in ("match-any", "match-all") and len(w) > 4 else w[3]
        cmap = _ClassMap(match_all=match_all)
        for child in node.children:
            cw = child.words
            if cw[:1] != ["match"] or len(cw) < 3:
                continue
            if cw[1] == "not":
                cmap.negated = True
                continue
            if cw[1] == "protocol":
                cmap.protocols.append(cw[2])
            elif cw[1] == "access-group":
                cmap.acls.append(cw[3] if cw[2] == "name" and len(cw) > 3 else cw[2])
            elif cw[1] == "class-map":
                cmap.classes.append(cw[2])
        found[name] = cmap
    return found


def _policies(root: Node) -> dict[str, list[tuple[str, str, bool]]]:
    """policy-map type inspect NAME -> [(class, action word, log)] in order."""
    found: dict[str, list[tuple[str, str, bool]]] = {}
    for node in root.children:
        w = node.words
        if w[:3] != ["policy-map", "type", "inspect"] or len(w) < 4:
            continue
        entries: list[tuple[str, str, bool]] = []
        for child in node.children:
            cw = child.words
            if cw[:1] != ["class"] or len(cw) < 2:
                continue
            name = cw[3] if cw[1:3] == ["type", "inspect"] and len(cw) > 3 else cw[1]
            action, log = "drop", False   # a class with no action drops (IOS's default)
            for step in child.children:
                sw = step.words
                if sw and sw[0] in ZBF_ACTIONS:
                    action = sw[0]
                    log = "log" in sw[1:]
                elif sw[:1] == ["log"]:
                    log = True
            entries.append((name, action, log))
        found[w[3]] = entries
    return found


def _flatten(name: str, maps: dict[str, _ClassMap], depth: int = 0) \
        -> tuple[list[str], list[str], bool, bool]:
    """A class's protocols and ACLs, nested class-maps included: (protocols, acls,
    match_all, negated)."""
    cmap = maps.get(name)
    if cmap is None or depth > _MAX_NESTING:
        return [], [], False, False
    protocols, acls, negated = list(cmap.protocols), list(cmap.acls), cmap.negated
    for inner in cmap.classes:
        p, a, _, n = _flatten(inner, maps, depth + 1)
        protocols += p
        acls += a
        negated = negated or n
    return protocols, acls, cmap.match_all, negated


def zone_rules(root: Node, acls: dict[str, list[Rule]], bindings: dict[str, list[str]],
               facts: DeviceFacts) -> list[Rule]:
    """The zone-pairs' inspect policies as rules (see the module doc)."""
    maps = _class_maps(root)
    policies = _policies(root)
    rules: list[Rule] = []
    for node in root.children:
        w = node.words
        if w[:2] != ["zone-pair", "security"] or len(w) < 3:
            continue
        pair = w[2]
        source = w[w.index("source") + 1] if "source" in w[:-1] else ""
        destination = w[w.index("destination") + 1] if "destination" in w[:-1] else ""
        policy = next((c.words[-1] for c in node.children
                       if c.words[:3] == ["service-policy", "type", "inspect"]
                       and len(c.words) > 3), "")
        if not policy:
            facts.notes.append(f"zone-pair {pair} ({source} → {destination}) has no inspect "
                               f"policy: it passes no traffic")
            continue
        if policy not in policies:
            facts.notes.append(f"zone-pair {pair}: policy-map type inspect {policy} is not in "
                               f"the config")
            continue
        for class_name, word, log in policies[policy]:
            base = Rule(id=f"{pair}:{class_name}", kind="policy", name=class_name,
                        source_zone=source, destination_zone=destination,
                        action=ZBF_ACTIONS[word],
                        comment=" ".join(x for x in (f"zone-pair {pair}, policy {policy}:",
                                                     word, "log" if log else "") if x))
            if class_name == "class-default":
                base.sources, base.destinations, base.services = ["any"], ["any"], ["any"]
                rules.append(base)
                continue
            rules.extend(_class_rules(base, class_name, maps, acls, bindings))
    return rules


def _class_rules(base: Rule, class_name: str, maps: dict[str, _ClassMap],
                 acls: dict[str, list[Rule]], bindings: dict[str, list[str]]) -> list[Rule]:
    from dataclasses import replace

    protocols, acl_names, match_all, negated = _flatten(class_name, maps)
    if class_name not in maps:
        base.comment += f" (class-map type inspect {class_name} is not in the config)"
    if negated:
        base.comment += " (the class also matches by `match not`, not shown)"
    services = protocols or ["any"]
    entries = []
    for acl in acl_names:
        label = f"class-map {class_name}"
        if label not in bindings.setdefault(acl, []):
            bindings[acl].append(label)
        entries += [r for r in acls.get(acl, []) if r.action == "allow" and r.enabled]
        if acl not in acls:
            base.comment += f" (access-list {acl} is not in the config)"
    if not entries:
        # protocols only (or an ACL that permits nothing): the protocols, from anywhere
        return [replace(base, sources=["any"], destinations=["any"], services=services)]
    out = []
    for entry in entries:
        seq = entry.id.rsplit(":", 1)[-1]
        if match_all and protocols:
            # match-all: the ACL's addresses, narrowed to the matched protocols
            entry_services = services if entry.services == ["any"] else \
                [s if s.split("/", 1)[0] in protocols else f"{s} ({', '.join(protocols)})"
                 for s in entry.services]
        else:
            entry_services = list(entry.services)
        out.append(replace(base, id=f"{base.id}:{entry.name}:{seq}",
                           sources=list(entry.sources), destinations=list(entry.destinations),
                           services=entry_services))
    if protocols and not match_all:
        # match-any: the protocols from anywhere, besides what the ACLs permit
        out.append(replace(base, id=f"{base.id}:protocols", sources=["any"],
                           destinations=["any"], services=services))
    return out
