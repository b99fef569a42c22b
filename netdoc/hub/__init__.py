"""The hub: the MSP's central machine. It mirrors every client's repositories from
the central git server (`netdoc hub sync`), renders one static site over all clients
(`netdoc hub build OUT`) and manages per-client access in gitolite's admin repository
(`netdoc hub access ...`). See docs/hub.md."""
