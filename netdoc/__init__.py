"""netdoc: network discovery, documentation and config backup for MSP client sites."""

__version__ = "0.1.0"
