"""Reads of the PLM domain: the BOM tree with rolled-up quantities and mass, and a series' versions."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.db.models import QuerySet

from custos.modules.plm.models import AssemblyNode, DesignAsset, DesignSeries

CSV_COLUMNS = (
    "level",
    "path",
    "part_number",
    "part_name",
    "quantity",
    "total_quantity",
    "unit_of_measure",
    "reference_designator",
    "unit_mass_kg",
    "total_mass_kg",
)


def bom_tree(design: DesignAsset) -> dict[str, Any]:
    """The design's BOM as a tree: each node's ``total_quantity`` is its quantity times its parents',
    ``total_mass_kg`` its unit mass times that; the design's total counts each leaf instance once."""
    nodes = list(AssemblyNode.objects.filter(design_asset=design).order_by("path"))
    by_id: dict[Any, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    total_mass = 0.0
    mass_known = True
    instances = 0
    for node in nodes:  # path order: every parent comes before its children
        parent = by_id.get(node.parent_id)
        multiplier = parent["total_quantity"] if parent is not None else 1
        total_quantity = node.quantity * multiplier
        item = {
            "id": str(node.pk),
            "part_name": node.part_name,
            "part_number": node.part_number,
            "quantity": node.quantity,
            "total_quantity": total_quantity,
            "unit_of_measure": node.unit_of_measure,
            "reference_designator": node.reference_designator,
            "is_assembly": node.is_assembly,
            "depth": node.depth,
            "path": node.path,
            "unit_mass_kg": node.mass_kg,
            "total_mass_kg": None if node.mass_kg is None else node.mass_kg * total_quantity,
            "children": [],
        }
        by_id[node.pk] = item
        (parent["children"] if parent is not None else roots).append(item)
    for item in by_id.values():
        if item["children"]:
            continue  # leaves carry the mass; an assembly's mass is its leaves'
        instances += item["total_quantity"]
        if item["total_mass_kg"] is None:
            mass_known = False
        else:
            total_mass += item["total_mass_kg"]
    return {
        "design_asset": str(design.pk),
        "part_number": design.series.part_number,
        "total_nodes": len(nodes),
        "total_part_instances": instances,
        "total_mass_kg": total_mass if (mass_known and nodes) else None,
        "tree": roots,
    }


def bom_csv(tree: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)

    def rows(items: list[dict[str, Any]]) -> None:
        for item in items:
            writer.writerow(
                [
                    item["depth"],
                    item["path"],
                    _safe(item["part_number"]),
                    _safe(item["part_name"]),
                    item["quantity"],
                    item["total_quantity"],
                    item["unit_of_measure"],
                    _safe(item["reference_designator"]),
                    "" if item["unit_mass_kg"] is None else item["unit_mass_kg"],
                    "" if item["total_mass_kg"] is None else item["total_mass_kg"],
                ]
            )
            rows(item["children"])

    rows(tree["tree"])
    return out.getvalue()


def _safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def series_designs(series: DesignSeries, visible: QuerySet) -> QuerySet:
    return visible.filter(series=series).order_by("version_number")
