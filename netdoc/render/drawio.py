"""A draw.io (diagrams.net) file of a map, laid out exactly as Graphviz drew it.

Input is Graphviz's `-Tjson0` output for the map, so the technician opens the
same picture in draw.io and can tidy it by hand. Output is uncompressed
mxGraph XML (draw.io opens it directly; stable bytes, diffable).
"""
from __future__ import annotations

import html
import json
import re
from typing import Any
from xml.etree import ElementTree as ET

from netdoc.render.dot import ENDPOINT_STYLE, ROLE_STYLE
from netdoc.textsafe import clean

_SHAPES = {"ellipse": "ellipse", "octagon": "shape=mxgraph.basic.octagon2",
           "hexagon": "shape=hexagon;perimeter=hexagonPerimeter2",
           "note": "shape=note;size=12", "box": "rounded=1", "plain": "rounded=0"}


def drawio_xml(layout_json: str, title: str) -> str:
    layout: dict[str, Any] = json.loads(layout_json)
    height = float(layout.get("bb", "0,0,0,0").split(",")[3])
    root = ET.Element("root")
    _cell(root, id="0")
    _cell(root, id="1", parent="0")
    objects = layout.get("objects", [])
    for obj in objects:  # clusters (sites) first, so they sit behind their devices
        if "bb" in obj and str(obj.get("name", "")).startswith("cluster"):
            _cluster(root, obj, height)
    for obj in objects:
        if "pos" in obj:
            _vertex(root, obj, height)
    for edge in layout.get("edges", []):
        _edge(root, edge, objects)
    model = ET.Element("mxGraphModel", dx="0", dy="0", grid="1", gridSize="10", guides="1",
                       tooltips="1", connect="1", arrows="0", fold="1", page="0",
                       pageScale="1", math="0", shadow="0")
    model.append(root)
    diagram = ET.Element("diagram", id="netdoc", name=clean(title, 200))
    diagram.append(model)
    mxfile = ET.Element("mxfile", host="netdoc", type="device")
    mxfile.append(diagram)
    ET.indent(mxfile)
    return ET.tostring(mxfile, encoding="unicode") + "\n"


def _cell(root: ET.Element, **attributes: str) -> ET.Element:
    return ET.SubElement(root, "mxCell", attrib=attributes)


def _cell_id(name: str) -> str:
    return "n-" + re.sub(r"[^A-Za-z0-9_.:-]", "_", name)


def _vertex(root: ET.Element, obj: dict[str, Any], height: float) -> None:
    x, y = (float(v) for v in obj["pos"].split(","))
    width, tall = float(obj.get("width", 1)) * 72, float(obj.get("height", 0.5)) * 72
    fill, border = obj.get("fillcolor", ENDPOINT_STYLE[1]), obj.get("color", ENDPOINT_STYLE[2])
    shape = _SHAPES.get(str(obj.get("shape", "box")), "rounded=1")
    dashed = "dashed=1;" if "dashed" in str(obj.get("style", "")) else ""
    style = f"{shape};whiteSpace=wrap;html=1;fillColor={fill};strokeColor={border};" \
            f"{dashed}fontSize=10;align=center;verticalAlign=middle;"
    cell = _cell(root, id=_cell_id(obj["name"]),
                 value=_plain_label(str(obj.get("label", obj["name"]))),
                 style=style, vertex="1", parent="1")
    ET.SubElement(cell, "mxGeometry", x=f"{x - width / 2:.1f}",
                  y=f"{height - y - tall / 2:.1f}", width=f"{width:.1f}",
                  height=f"{tall:.1f}", attrib={"as": "geometry"})


def _cluster(root: ET.Element, obj: dict[str, Any], height: float) -> None:
    x1, y1, x2, y2 = (float(v) for v in obj["bb"].split(","))
    cell = _cell(root, id=_cell_id(obj["name"]), value=_plain_label(str(obj.get("label", ""))),
                 style="rounded=1;dashed=1;fillColor=none;strokeColor=#a1a1aa;"
                       "verticalAlign=top;fontSize=14;html=1;",
                 vertex="1", parent="1")
    ET.SubElement(cell, "mxGeometry", x=f"{x1:.1f}", y=f"{height - y2:.1f}",
                  width=f"{x2 - x1:.1f}", height=f"{y2 - y1:.1f}", attrib={"as": "geometry"})


def _edge(root: ET.Element, edge: dict[str, Any], objects: list[dict[str, Any]]) -> None:
    tail, head = objects[edge["tail"]]["name"], objects[edge["head"]]["name"]
    ports = [str(edge.get(k, "")) for k in ("taillabel", "headlabel") if edge.get(k)]
    label = " — ".join(p for p in (" — ".join(ports), str(edge.get("label", ""))) if p)
    dashed = "dashed=1;" if edge.get("style") in ("dashed", "dotted") else ""
    colour = edge.get("color", "#52525b")
    cell = _cell(root, id=f"e-{edge['_gvid']}", value=_text_value(label),
                 style=f"endArrow=none;html=1;fontSize=8;strokeColor={colour};"
                       f"{dashed}labelBackgroundColor=#ffffff;",
                 edge="1", parent="1", source=_cell_id(tail), target=_cell_id(head))
    ET.SubElement(cell, "mxGeometry", relative="1", attrib={"as": "geometry"})


def _plain_label(label: str) -> str:
    """Graphviz HTML-like label -> draw.io HTML value: table rows and line breaks become
    <br>, every other tag goes, and the text itself is escaped again - a device name is
    text, never markup in draw.io (whatever Graphviz unescaped on the way)."""
    text = re.sub(r"</TR>|<BR\s*/?>", "\n", label, flags=re.IGNORECASE)
    text = re.sub(r"</TD>\s*<TD[^>]*>", " ", text, flags=re.IGNORECASE)
    text = re.sub(r"<[^>]*>", "", text)
    lines = [html.escape(clean(html.unescape(line), 300), quote=False)
             for line in text.strip().split("\n")]
    return "<br>".join(lines).rstrip()


def _text_value(label: str) -> str:
    """A plain-text label (an edge's port names) as a draw.io HTML value."""
    return html.escape(clean(label, 300), quote=False)


__all__ = ["drawio_xml", "ROLE_STYLE"]
