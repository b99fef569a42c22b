"""A local SMTP server and a local HTTP webhook receiver, for alert tests.

    python alert_sinks.py FOLDER SMTP_PORT HTTP_PORT

Both listen on 127.0.0.1 only (run it inside a lab namespace to serve a probe
there). Every message received is written to FOLDER as mail-N.eml or
hook-N.json; "ready" is printed once both listen. Stop it with SIGTERM.
"""
from __future__ import annotations

import itertools
import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

counter = itertools.count(1)


class Inbox:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        (self.folder / f"mail-{next(counter)}.eml").write_bytes(envelope.content)
        return "250 OK"


def hook_handler(folder: Path) -> type[BaseHTTPRequestHandler]:
    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            record = {"path": self.path, "body": json.loads(body)}
            (folder / f"hook-{next(counter)}.json").write_text(json.dumps(record))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    return Hook


def main() -> int:
    folder, smtp_port, http_port = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    folder.mkdir(parents=True, exist_ok=True)
    smtp = Controller(Inbox(folder), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    http = HTTPServer(("127.0.0.1", http_port), hook_handler(folder))
    threading.Thread(target=http.serve_forever, daemon=True).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    http.shutdown()
    smtp.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
