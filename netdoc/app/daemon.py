"""`netdoc daemon`: the schedules of netdoc.yaml in one long-lived process, for
probes without systemd or cron. Same locking and reports as `netdoc run`.

SIGHUP reloads netdoc.yaml; a new configuration that does not validate is
refused with an error and the old one stays in force. SIGTERM/SIGINT stop it
after (or, if a run is under way, by abandoning) the current run.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path
from types import FrameType

from netdoc.config import Config, load_config, verify_secrets
from netdoc.errors import EXIT_TERMINATED, NetdocError
from netdoc.app.pipeline import CYCLE
from netdoc.app.runner import run
from netdoc.secrets import redact

log = logging.getLogger("netdoc.app.daemon")


class Daemon:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.last_run: dict[str, float] = {}
        self.wake = threading.Event()
        self.stopping = False
        self.reload_requested = False

    def due_stages(self, now: float) -> list[str]:
        due = []
        for stage in CYCLE:
            interval = getattr(self.config.schedule, stage)
            if interval > 0 and now - self.last_run.get(stage, -float("inf")) >= interval:
                due.append(stage)
        return due

    def seconds_to_next(self, now: float) -> float:
        waits = [getattr(self.config.schedule, s) - (now - self.last_run.get(s, now))
                 for s in CYCLE if getattr(self.config.schedule, s) > 0]
        return max(1.0, min(waits, default=3600.0))

    def reload(self) -> None:
        self.reload_requested = False
        try:
            fresh = load_config(self.config.path)
            verify_secrets(fresh)
        except NetdocError as exc:
            log.error("reload refused, keeping the running configuration: %s", redact(str(exc)))
            return
        self.config = fresh
        log.info("configuration reloaded from %s", fresh.path)

    def serve(self, max_cycles: int | None = None) -> int:
        cycles = 0
        while not self.stopping:
            if self.reload_requested:
                self.reload()
            now = time.monotonic()
            stages = self.due_stages(now)
            if stages:
                log.info("running %s", ", ".join(stages))
                if run(self.config, stages, None) == EXIT_TERMINATED:
                    break  # SIGTERM arrived during the run
                for stage in stages:
                    self.last_run[stage] = now
                cycles += 1
                if max_cycles is not None and cycles >= max_cycles:
                    break
            self.wake.wait(self.seconds_to_next(time.monotonic()))
            self.wake.clear()
        log.info("netdoc daemon stopped")
        return 0

    def install_signals(self) -> None:
        def on_hup(signum: int, frame: FrameType | None) -> None:
            self.reload_requested = True
            self.wake.set()

        def on_stop(signum: int, frame: FrameType | None) -> None:
            self.stopping = True
            self.wake.set()

        signal.signal(signal.SIGHUP, on_hup)
        signal.signal(signal.SIGINT, on_stop)
        signal.signal(signal.SIGTERM, on_stop)


def serve(config_path: Path) -> int:
    config = load_config(config_path)
    verify_secrets(config)
    daemon = Daemon(config)
    daemon.install_signals()
    log.info("netdoc daemon started with %s", config.path)
    return daemon.serve()
