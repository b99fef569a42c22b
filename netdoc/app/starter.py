"""The commented starter configuration written by `netdoc init`."""

STARTER_CONFIG = """\
# netdoc.yaml - what this site probe discovers and backs up.
# Check it with: netdoc check     Reference: README.md, "Configuration".
#
# Secrets are references, never plaintext:
#   env:NAME        an environment variable
#   file:PATH       first line of a file that only netdoc's user can read
#   vault:CLIENT/N  an entry of the client's encrypted vault

credentials:                       # named sets, tried in the order a site lists them
  acme-snmp3:
    snmp: {version: 3, user: netdoc, auth: sha, auth_key: "env:ACME_SNMP_AUTH",
           priv: aes, priv_key: "env:ACME_SNMP_PRIV"}
  acme-snmp:
    snmp: {version: 2c, community: "env:ACME_SNMP"}
  acme-ssh:
    ssh: {username: netdoc, password: "env:ACME_SSH", enable: "env:ACME_ENABLE"}

clients:
  acme:                            # one block per client; its data is kept apart
    secrets: mask                  # mask (default) or keep secrets in stored configs
    sites:
      hq:
        subnets: [192.0.2.0/24]    # larger than /16 needs {cidr: ..., allow_large: true}
        exclude: [192.0.2.250/32]  # never probed
        credentials: [acme-snmp3, acme-snmp, acme-ssh]
        devices:                   # seeds and per-device overrides
          - {host: 192.0.2.1, name: core-sw, platform: cisco_ios}

# discovery:                       # defaults shown
#   concurrency: 64
#   arp_rate: 2000                 # ARP requests per second
#   arp_retries: 2
#   lldp_listen: 3                 # seconds of passive LLDP/CDP listening (0 = off)
#   reverse_dns: true
#   missing_after_runs: 3          # report a device gone after this many runs unseen
#   archive_after_runs: 168        # gone this many runs: archived (searchable, not counted)
#   snmp: {timeout: 2, retries: 1, max_repetitions: 25, device_budget: 60, probe_timeout: 1}
# backup:
#   concurrency: 20
#   timeout: 120                   # seconds per device
#   shrink_limit: 0.5              # a config shrunk below this fraction is refused
#   max_age_hours: 48              # flag devices whose last good backup is older
# output:
#   inventory: inventory           # relative to this file
#   config_backups: config_backups
#
# central:                         # push both repositories of every client to the hub
#   remote: "ssh://git@hub.example.net/{client}/{repo}"   # {repo}: inventory | configs
#   ssh_key: /etc/netdoc/keys/hub_ed25519                 # this probe's key (gitolite user)
#   known_hosts: /etc/netdoc/keys/hub_known_hosts         # the hub's pinned host key
#   timeout: 120                   # seconds per repository; a failed push never fails the run
"""
