#!/usr/bin/env bash
# Installs everything netdoc, its lab, its tests and its demo need on Debian:
# system packages (as root, only those missing) and a Python venv at .venv.
# Safe to run again: it only does what is not done yet.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3 python3-venv python3-pip git ca-certificates
  iproute2 iputils-ping procps       # network namespaces for the site lab
  snmpd snmp lldpd                   # the lab's SNMP agents and LLDP daemons, net-snmp tools
  dnsmasq-base                       # the lab's name server (reverse DNS stays inside the lab)
  openssh-client                     # ssh-keygen for host keys
  systemd                            # systemd-analyze verifies the shipped units
  graphviz                           # maps
  arp-scan nmap                      # benchmarks compare netdoc with these
  chromium chromium-driver           # the HTML site is tested in a real browser
  gitolite3 openssh-server           # the hub's access tests: real gitolite behind real sshd
  openssh-sftp-server inetutils-telnetd  # SFTP pulls and telnet backups against the real servers
  util-linux bsdutils                # unshare (sftp-server's private root), logger (netdoc listen)
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}; run this as root (sudo)" >&2
    exit 2
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian packages start system-wide daemons; the lab runs its own per node.
for unit in snmpd lldpd; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$unit" 2>/dev/null; then
    systemctl stop "$unit" || true
  fi
done

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.netdoc-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e '.[test]'
  touch "$stamp"
fi
