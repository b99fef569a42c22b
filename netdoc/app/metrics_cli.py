"""`netdoc metrics` and `netdoc health`: the NOC's view of every client (netdoc.metrics)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable

EXIT_HEALTHY, EXIT_STALE = 0, 1


def add_metrics_commands(command: Callable[..., argparse.ArgumentParser]) -> None:
    metrics = command("metrics", "Print a Prometheus text exposition of every client's runs, "
                                 "devices, backup ages and events (or write it for "
                                 "node_exporter's textfile collector).", cmd_metrics)
    metrics.add_argument("--output", metavar="FILE", default=None,
                         help="write atomically to FILE (e.g. /var/lib/prometheus/"
                              "node-exporter/netdoc.prom) instead of printing")
    command("health", "Exit 1 when a client's configuration backups are older than "
                      "health.max_backup_age (default backup.max_age_hours); for monitoring "
                      "checks.", cmd_health)


def cmd_metrics(args: argparse.Namespace) -> int:
    from netdoc.app.cli import _load
    from netdoc.metrics import collect, render, write_textfile

    config = _load(args)
    text = render(collect(config, getattr(args, "client", None)))
    if args.output:
        write_textfile(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return EXIT_HEALTHY


def cmd_health(args: argparse.Namespace) -> int:
    from netdoc.app.cli import _load
    from netdoc.metrics import health, max_backup_age
    from netdoc.app.output import emit
    from netdoc.textsafe import clean

    config = _load(args)
    client_filter = getattr(args, "client", None)
    problems = health(config, client_filter)
    clients = [c.name for c in config.selected_clients(client_filter)]
    limit = max_backup_age(config)
    data: dict[str, Any] = {"healthy": not problems, "max_backup_age_seconds": limit,
                            "clients": clients,
                            "problems": [{"client": p.client, "device": p.device,
                                          "reason": p.reason} for p in problems]}
    if problems:
        stale_clients = sorted({p.client for p in problems})
        lines = [f"STALE: {len(problems)} device backup(s) in {len(stale_clients)} client(s) "
                 f"older than {limit / 3600:.1f} h"]
        lines += [f"  {clean(p.client, 100)} {clean(p.device, 300)}: {p.reason}"
                  for p in problems]
    else:
        lines = [f"OK: backups of {len(clients)} client(s) within {limit / 3600:.1f} h"]
    emit(args, data, "\n".join(lines))
    return EXIT_STALE if problems else EXIT_HEALTHY
