"""The audit vocabulary: how actions and resource types are stored, and how each dialect shows them.

Stored (``custos.audit.writes``): ``action`` an upper-case verb (``CREATE``, ``LOGIN_FAILED``),
``resource_type`` the entity's class name (``SatelliteImage``). Rows written before the vocabulary was
unified (``auth.login_failed`` / ``user``) are read in the same terms: the chain forbids rewriting them.

* pipeline (activity logs): lower case, snake case (``create``, ``satellite_image``);
* enginel and sqal: as stored (``CREATE``, ``DesignAsset``), enginel adds ``action_display``.
"""

from __future__ import annotations

import re

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """``SatelliteImage`` -> ``satellite_image`` (already snake case stays as it is)."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def camel(name: str) -> str:
    """``satellite_image`` -> ``SatelliteImage`` (a class name stays as it is)."""
    if "_" not in name and name[:1].isupper():
        return name
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def canonical_action(stored: str) -> str:
    """The stored verb of a row, old rows included: ``auth.login_failed`` -> ``LOGIN_FAILED``."""
    verb = stored.rsplit(".", 1)[-1]
    return verb.upper()


def canonical_entity(stored: str) -> str:
    return camel(stored)


def action_display(action: str) -> str:
    """``MARK_FALSE_POSITIVE`` -> ``Mark false positive``."""
    return canonical_action(action).replace("_", " ").capitalize()


# Where a document names an entity otherwise than its class name (pipeline activity logs).
PIPELINE_NAMES = {"MonitoringConfiguration": "configuration", "PipelineSegment": "segment"}
_PIPELINE_ENTITIES = {name: entity for entity, name in PIPELINE_NAMES.items()}


def present(dialect: str, *, action: str, resource_type: str) -> tuple[str, str]:
    """(action, resource_type) as ``dialect``'s document writes them."""
    verb, entity = canonical_action(action), canonical_entity(resource_type)
    if dialect == "pipeline":
        return verb.lower(), PIPELINE_NAMES.get(entity, snake(entity))
    return verb, entity


def stored_forms_of_action(value: str) -> list[str]:
    """Every stored spelling a filter value may match (``create`` -> ``CREATE``)."""
    return [canonical_action(value)]


def stored_forms_of_entity(value: str) -> list[str]:
    """Every stored spelling of an entity a filter value may match, old rows' snake case included."""
    entity = _PIPELINE_ENTITIES.get(value.lower()) or canonical_entity(value)
    return sorted({entity, snake(entity)})
