"""Config backup: every switch, router and firewall config in a per-client git repository.

backup -> clean -> store, one small module each:

    targets.py    which devices (inventory routers/switches/firewalls/wireless + netdoc.yaml)
    platforms.py  platform name -> profile, backup recipe (+ variant), netmiko driver
    transport.py  the seam: ConfigSource.fetch() over SSH (netmiko CLI or exec requests)
    hostkeys.py   SSH host keys remembered per client; a changed key fails the device
    clean.py      terminal noise, headers, volatile lines out; truncated output refused
    secrets.py    secrets masked with a keyed hash (per-client key, 0600, outside git)
    device.py     one device, start to finish, in a worker thread
    store.py      the git repository: files, one commit per run, push, one writer
    state.py      per-device state across runs (last success, failures, stale)
    stage.py      backup_client(config, client): the bounded pool, the run summary
    commands.py   netdoc diff / history / hostkey

Where things live, per client:

    <config_backups>/<client>/                 git repository (branch main)
        <site>/<device>.cfg                    the configuration, exactly
        <site>/<device>.meta.yaml              platform, driver, commands, version, model, serial
    <config_backups>/.netdoc-state/<client>/   never in git, 0700
        backup-state.json                      per-device state (read it with state.load_states)
        known_hosts, known_hosts.pending       SSH host keys
        mask.key                               the key of the secret placeholders
        repository.lock                        one writer at a time

netdoc.yaml knobs: backup.concurrency (20), backup.timeout (120 s per device),
backup.shrink_limit (0.5), backup.max_age_hours (48); per client `secrets: keep`
and `remote:`; per device `platform:` (profile name or netmiko device_type,
`NAME:VARIANT` for a recipe variant such as `juniper_junos:set`), `ssh_port:`,
`backup: false`.
"""
