"""The bill of materials of a design: nodes on a materialised path (``0001``, ``00010002``…)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from custos.audit.writes import audited_action, audited_create, audited_delete, audited_update, require_role
from custos.kernel.context import WriteContext
from custos.kernel.errors import ValidationFailed, does_not_exist
from custos.modules.plm.cad.brep import Product
from custos.modules.plm.cad.materials import mass_kg
from custos.modules.plm.models import AssemblyNode, DesignAsset

NODE_FIELDS = ("part_name", "part_number", "quantity", "unit_of_measure", "reference_designator", "notes", "mass_kg")
STEP = AssemblyNode.STEP_LENGTH
MAX_STEPS = 10**STEP - 1
MAX_DEPTH = 255 // STEP


def _step(number: int) -> str:
    if number > MAX_STEPS:
        raise ValidationFailed(field_errors={"parent": [f"A node has at most {MAX_STEPS} children."]})
    return f"{number:0{STEP}d}"


def _next_path(design: DesignAsset, parent: AssemblyNode | None) -> tuple[str, int]:
    """The path and depth of a new last child of ``parent`` (call in a transaction: the design is locked)."""
    DesignAsset.objects.select_for_update().filter(pk=design.pk).first()
    depth = (parent.depth + 1) if parent is not None else 1
    if depth > MAX_DEPTH:
        raise ValidationFailed(field_errors={"parent": [f"The tree is at most {MAX_DEPTH} levels deep."]})
    prefix = parent.path if parent is not None else ""
    last = (
        AssemblyNode.objects.filter(design_asset=design, depth=depth, path__startswith=prefix)
        .order_by("-path")
        .values_list("path", flat=True)
        .first()
    )
    number = int(last[-STEP:]) + 1 if last else 1
    return prefix + _step(number), depth


def _parent_of(design: DesignAsset, value: Any) -> AssemblyNode | None:
    if value in (None, ""):
        return None
    pk = getattr(value, "pk", value)
    found = AssemblyNode.objects.filter(design_asset=design, pk=pk).first()
    if found is None:
        raise does_not_exist("parent", pk)
    return found


def node_create(ctx: WriteContext, *, design_asset: DesignAsset, data: dict[str, Any]) -> AssemblyNode:
    require_role(ctx, organization_id=design_asset.organization_id)
    parent = _parent_of(design_asset, data.get("parent"))
    values = {name: data[name] for name in NODE_FIELDS if name in data}
    with transaction.atomic():
        path, depth = _next_path(design_asset, parent)
        return audited_create(
            ctx,
            AssemblyNode,
            values={
                "organization_id": design_asset.organization_id,
                "design_asset": design_asset,
                "parent": parent,
                "path": path,
                "depth": depth,
                **values,
            },
        )


def node_update(ctx: WriteContext, node: AssemblyNode, *, data: dict[str, Any]) -> AssemblyNode:
    if "parent" in data and getattr(data["parent"], "pk", data["parent"]) != node.parent_id:
        raise ValidationFailed(field_errors={"parent": ["A BOM node cannot move to another parent."]})
    return audited_update(ctx, node, values={name: data[name] for name in NODE_FIELDS if name in data})


def node_delete(ctx: WriteContext, node: AssemblyNode) -> None:
    """The node and (cascading) every node below it."""
    audited_delete(ctx, node)


def _flatten(design: DesignAsset, products: list[Product], density: float | None) -> list[AssemblyNode]:
    nodes: list[AssemblyNode] = []

    def add(product: Product, parent: AssemblyNode | None, index: int) -> None:
        depth = (parent.depth + 1) if parent is not None else 1
        if depth > MAX_DEPTH:
            raise ValueError(f"The assembly is deeper than {MAX_DEPTH} levels.")
        node = AssemblyNode(
            organization_id=design.organization_id,
            design_asset=design,
            parent=parent,
            path=(parent.path if parent is not None else "") + f"{index:0{STEP}d}",
            depth=depth,
            part_name=product.name[:255],
            part_number=product.name[:100],
            quantity=product.quantity,
            is_assembly=product.is_assembly,
            volume_cubic_mm=product.volume_mm3,
            mass_kg=mass_kg(product.volume_mm3, density),
        )
        nodes.append(node)
        for child_index, child in enumerate(product.children, start=1):
            add(child, node, child_index)

    for index, product in enumerate(products, start=1):
        add(product, None, index)
    return nodes


def bom_replace(ctx: WriteContext, design: DesignAsset, *, products: list[Product], density: float | None) -> int:
    """The BOM extracted from the file replaces the design's nodes (one audit row on the design)."""
    nodes = _flatten(design, products, density)
    with transaction.atomic():
        AssemblyNode.objects.filter(design_asset=design).delete()
        AssemblyNode.objects.bulk_create(nodes, batch_size=500)
        audited_action(ctx, design, action="BOM_EXTRACT", changes={"bom_nodes": len(nodes)}, roles=None)
    return len(nodes)
