"""Render stage: maps (Graphviz) and the static HTML documentation site (Jinja2)."""
from __future__ import annotations

from netdoc.errors import NetdocError


class RenderError(NetdocError):
    """A map or page could not be produced (Graphviz missing or failing, bad template)."""
