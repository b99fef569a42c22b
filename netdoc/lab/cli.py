"""`netdoc lab up|down|status`: the command-line face of netdoc.lab.Lab."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from netdoc.errors import LabError
from netdoc.lab import system
from netdoc.lab.lab import (STATE_FILE, Lab, default_prefix, default_state_dir,
                            remove_namespaces)


def lab_command(args: argparse.Namespace) -> int:
    state_dir = Path(args.state_dir) if getattr(args, "state_dir", None) else default_state_dir()
    prefix = getattr(args, "prefix", None) or default_prefix()
    as_json = bool(getattr(args, "json", False))
    if args.action == "up":
        return _up(args.topology, state_dir, prefix, as_json)
    if args.action == "down":
        return _down(state_dir, prefix, as_json)
    return _status(state_dir, as_json)


def _emit(as_json: bool, data: dict[str, Any], lines: list[str]) -> None:
    if as_json:
        json.dump(data, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        print("\n".join(lines))


def _up(topology: str, state_dir: Path, prefix: str, as_json: bool) -> int:
    started = time.monotonic()
    lab = Lab.up(topology, state_dir, prefix)
    seconds = round(time.monotonic() - started, 2)
    status = lab.status()
    status["seconds"] = seconds
    probe = lab.netns(lab.probe)
    lines = [f"lab {lab.topology.name!r} is up in {seconds} s: {len(lab.topology.nodes)} nodes "
             f"(namespaces {prefix}*), {len(lab.processes)} daemons",
             f"  ground truth: {lab.ground_truth_path}",
             f"  netdoc.yaml:  {lab.config_path}",
             f"  try:          ip netns exec {probe} netdoc --config {lab.config_path} check",
             f"  remove it:    netdoc lab down --state-dir {state_dir}"]
    hub = lab.ground_truth.get("hub") or {}
    if hub:
        status["hub"] = hub
        lines[4:4] = [f"  hub:          {hub['remote']} (keys in {Path(hub['hub_yaml']).parent}"
                      f"/keys)",
                      f"  on the hub:   ip netns exec {lab.netns(hub['node'])} netdoc hub "
                      f"--hub {hub['hub_yaml']} access list"]
        lines[3] = "  try:          " + "; ".join(
            f"ip netns exec {lab.netns(node)} netdoc --config {lab.config_path} check "
            f"--client {client}" for client, node in hub["probes"].items())
    _emit(as_json, status, lines)
    return 0


def _down(state_dir: Path, prefix: str, as_json: bool) -> int:
    system.require_root_and_tools()
    if (state_dir / STATE_FILE).exists():
        lab = Lab.load(state_dir)
        what = f"lab {lab.topology.name!r} ({len(lab.namespaces)} namespaces, " \
               f"{len(lab.processes)} daemons)"
        problems = lab.down()
    else:  # nothing recorded: still sweep namespaces a crashed `up` may have left
        what = f"namespaces with prefix {prefix!r}"
        problems = remove_namespaces(prefix)
    lines = [f"removed {what}"] + [f"warning: {p}" for p in problems]
    _emit(as_json, {"removed": what, "problems": problems, "state_dir": str(state_dir)}, lines)
    return 1 if problems else 0


def _status(state_dir: Path, as_json: bool) -> int:
    try:
        lab = Lab.load(state_dir)
    except LabError as exc:
        _emit(as_json, {"up": False, "state_dir": str(state_dir), "problems": [str(exc)]},
              [f"no lab is up: {exc}"])
        return 1
    status = lab.status()
    lines = [f"lab {status['topology']!r} in {status['state_dir']} (prefix {status['prefix']}, "
             f"created {status['created']}): {'up' if status['up'] else 'DEGRADED'}"]
    for name, node in status["nodes"].items():
        daemons = ", ".join(f"{d} {'ok' if info['alive'] else 'DEAD'} (pid {info['pid']})"
                            for d, info in sorted(node["daemons"].items()))
        lines.append(f"  {name:<14} {node['netns']:<22} "
                     f"{'netns ok' if node['netns_exists'] else 'netns MISSING'}"
                     f"{'  ' + daemons if daemons else ''}")
    lines += [f"problem: {p}" for p in status["problems"]]
    _emit(as_json, status, lines)
    return 0 if status["up"] else 1
