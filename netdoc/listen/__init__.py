"""`netdoc listen`: syslog and SNMP-trap driven backups (see netdoc.listen.service)."""
