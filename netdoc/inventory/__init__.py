"""The inventory: what is on each client's network, merged, kept and versioned.

    merge.py     observations of one run (SNMP polls, ARP sightings, names) -> devices
    identity.py  which stored record a freshly seen device is (serial > MAC > sysName > IP)
    store.py     inventory/<client>/ as a git repository of sorted, stable JSON files,
                 plus change detection between runs
"""
