"""`netdoc hub sync | build OUT | serve OUT | access ...` (the central machine's commands)."""
from __future__ import annotations

import argparse
import functools
import http.server
import sys
from pathlib import Path
from typing import Any, Callable

from netdoc.errors import UsageError
from netdoc.app.output import emit


def add_hub_command(command: Callable[..., argparse.ArgumentParser]) -> None:
    hub = command("hub", "The MSP's central hub: mirror every client's repositories, build "
                         "one site over all clients, manage per-client access (gitolite).",
                  hub_command)
    hub.add_argument("--hub", metavar="PATH", default=None,
                     help="hub configuration (default ./hub.yaml, then /etc/netdoc/hub.yaml)")
    hub.add_argument("--remote", default=None,
                     help="override hub.yaml remote: the probes' template, "
                          "e.g. ssh://git@hub/{client}/{repo}")
    hub.add_argument("--mirror", default=None, help="override hub.yaml mirror: folder")
    actions = hub.add_subparsers(dest="hub_action", metavar="ACTION", required=True)
    actions.add_parser("sync", help="clone or fetch every client's repositories")
    build = actions.add_parser("build", help="render the all-clients site into OUT")
    build.add_argument("out", help="output folder (serve it with any web server)")
    serve = actions.add_parser("serve", help="serve OUT for a quick look (not production)")
    serve.add_argument("out")
    serve.add_argument("--bind", default="127.0.0.1", help="address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8016)
    access = actions.add_parser("access", help="per-client access in gitolite-admin")
    verbs = access.add_subparsers(dest="access_action", metavar="VERB", required=True)
    add = verbs.add_parser("add-user", help="add a user's public key")
    add.add_argument("user")
    add.add_argument("keyfile")
    grant = verbs.add_parser("grant", help="let USER read CLIENT ('*': every client)")
    grant.add_argument("user")
    grant.add_argument("client")
    grant.add_argument("--write", action="store_true",
                       help="USER is the client's one writer (its probe)")
    revoke = verbs.add_parser("revoke", help="take CLIENT away from USER (--all: a leaver)")
    revoke.add_argument("user")
    revoke.add_argument("client", nargs="?")
    revoke.add_argument("--all", action="store_true", dest="everything",
                        help="every grant of USER, and USER's key")
    verbs.add_parser("list", help="who may read and write which client")


def hub_command(args: argparse.Namespace) -> int:
    from netdoc.hub.settings import load_hub

    hub = load_hub(args.hub, remote=args.remote, mirror=args.mirror)
    action = args.hub_action
    if action == "sync":
        from netdoc.hub.sync import sync

        results = sync(hub)
        failed = [r for r in results if not r.ok]
        lines = [f"{r.client}/{r.repo}: {r.action}" + (f" FAILED: {r.error}" if r.error else "")
                 for r in results]
        lines.append(f"{len(results) - len(failed)} of {len(results)} repositories synced "
                     f"into {hub.mirror}")
        emit(args, {"mirror": str(hub.mirror), "repositories": [vars(r) for r in results]},
             "\n".join(lines))
        return 1 if failed else 0
    if action == "build":
        from netdoc.hub.build import build

        done = build(hub, Path(args.out))
        emit(args, done, f"{done['clients']} clients, {done['devices']} devices: "
                         f"{Path(args.out) / 'index.html'} ({done['seconds']:.1f} s)")
        return 0
    if action == "serve":
        return _serve(Path(args.out), args.bind, args.port)
    return _access(hub, args)


def _access(hub: Any, args: argparse.Namespace) -> int:
    from netdoc.hub import access

    verb = args.access_action
    if verb == "add-user":
        print(access.add_user(hub, args.user, Path(args.keyfile)))
    elif verb == "grant":
        print(access.grant(hub, args.user, args.client, write=args.write))
    elif verb == "revoke":
        if args.everything and args.client:
            raise UsageError("revoke USER --all takes no client")
        print(access.revoke(hub, args.user, args.client, everything=args.everything))
    else:
        data = access.listing(hub)
        lines = []
        for client, entry in sorted(data["clients"].items()):
            lines.append(f"{client}: writer {entry.get('writer') or '-'}; readers "
                         f"{', '.join(entry.get('readers', [])) or '-'}")
        lines.append(f"every client (read): {', '.join(data['everywhere']) or '-'}")
        lines.append(f"users with keys: {', '.join(data['users']) or '-'}")
        emit(args, data, "\n".join(lines))
    return 0


def _serve(out: Path, bind: str, port: int) -> int:
    if not (out / "index.html").is_file():
        raise UsageError(f"{out} has no index.html; run `netdoc hub build {out}` first")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    with http.server.ThreadingHTTPServer((bind, port), handler) as server:
        print(f"serving {out} on http://{bind}:{port}/ (Ctrl-C stops; production: any web "
              f"server behind the MSP's SSO)", file=sys.stderr)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0
