#!/usr/bin/env bash
# The demo: installs what is missing, builds the site lab (network namespaces,
# TEST-NET addresses only, sealed from this machine's network), runs a full
# netdoc cycle inside the lab's probe, and prints where everything landed.
#   bash scripts/demo.sh          build the lab (if needed) and run netdoc in it
#   bash scripts/demo.sh down     remove the lab (the outputs stay)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
STATE=${NETDOC_LAB_STATE_DIR:-/run/netdoc-lab}
PREFIX=${NETDOC_LAB_PREFIX:-ndlab-}
NETDOC="$ROOT/.venv/bin/netdoc"

if [ "${1:-}" = "down" ]; then
  exec "$NETDOC" lab down --state-dir "$STATE"
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "demo: the site lab is made of network namespaces; run this as root (sudo)" >&2
  exit 2
fi

bash scripts/setup.sh
if ! "$NETDOC" lab status --state-dir "$STATE" >/dev/null 2>&1; then
  "$NETDOC" lab down --state-dir "$STATE" >/dev/null 2>&1 || true
  "$NETDOC" lab up default --prefix "$PREFIX" --state-dir "$STATE"
fi

# The lab's own netdoc.yaml, with the outputs in this checkout's inventory/ and
# config_backups/ so they outlive the lab.
DEMO_CONFIG="$STATE/demo.yaml"
"$ROOT/.venv/bin/python" - "$STATE/netdoc.yaml" "$DEMO_CONFIG" "$ROOT" <<'PY'
import sys, yaml
source, target, root = sys.argv[1:]
config = yaml.safe_load(open(source))
config["output"] = {"inventory": f"{root}/inventory", "config_backups": f"{root}/config_backups"}
with open(target, "w") as out:
    out.write("# The demo's copy of the lab's netdoc.yaml: outputs go to the checkout.\n")
    yaml.safe_dump(config, out, sort_keys=False)
PY
chmod 600 "$DEMO_CONFIG"

echo
echo "== netdoc run, inside the lab's probe (${PREFIX}probe)"
set +e
ip netns exec "${PREFIX}probe" "$NETDOC" --config "$DEMO_CONFIG" run
code=$?
set -e

CLIENT=lab
cat <<MSG

== where to look  (netdoc exited $code: 0 all well, 1 some devices failed)
  inventory (git):     $ROOT/inventory/$CLIENT          git -C inventory/$CLIENT log --stat
  config backups (git): $ROOT/config_backups/$CLIENT     git -C config_backups/$CLIENT log -p
  maps:                $ROOT/inventory/$CLIENT/site/maps/
  documentation site:  file://$ROOT/inventory/index.html
  run report:          $ROOT/inventory/$CLIENT/last-run.json
  the lab:             $NETDOC lab status --state-dir $STATE   (ground truth: $STATE/ground-truth.json)
  run it again:        bash scripts/demo.sh      remove the lab: bash scripts/demo.sh down
MSG
