"""The JSON Schemas of the event contracts, exported to the committed folder shared/schemas/,
and the rule that keeps changes to them additive.

    python -m liveline_shared.events.schemas write   # export after an additive change
    python -m liveline_shared.events.schemas check   # what the compatibility test runs

A change is compatible when every field of the committed schema is still there with the same
type and constraints, and no field became required (new fields must be optional). Anything else
needs a new `schema_version`, whose schema is committed beside the old one, on a new topic.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .catalog import EVENT_TYPES
from .envelope import Event

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "schemas"
_NOT_TYPE = {"description", "title", "examples", "default"}


def schema_path(cls: type[Event], directory: Path = SCHEMA_DIR) -> Path:
    name = cls.model_fields["event_type"].default
    version = cls.model_fields["schema_version"].default
    return directory / f"{name}.v{version}.json"


def current_schema(cls: type[Event]) -> dict[str, Any]:
    schema = cls.model_json_schema(mode="validation")
    schema["$id"] = f"https://liveline.dev/schemas/{schema_path(cls).name}"
    schema["x-topic"] = cls.topic
    schema["x-key"] = cls.key_field
    return schema


def _shape(schema: Any) -> Any:
    """The part of a schema that decides what validates: descriptions and titles removed."""
    if isinstance(schema, dict):
        return {k: _shape(v) for k, v in schema.items() if k not in _NOT_TYPE}
    if isinstance(schema, list):
        return [_shape(v) for v in schema]
    return schema


def _compare_object(old: dict, new: dict, where: str) -> list[str]:
    problems: list[str] = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            problems.append(f"{where}{name}: removed")
        elif _shape(old_prop) != _shape(new_props[name]):
            problems.append(f"{where}{name}: type or constraints changed")
    for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
        state = "optional field became required" if name in old_props else "new field is required"
        problems.append(f"{where}{name}: {state}")
    if old.get("additionalProperties") is not False and new.get("additionalProperties") is False:
        problems.append(f"{where}: extra fields are now refused")
    return problems


def incompatibilities(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Why `new` cannot replace `old` under the same schema version ([] when it can)."""
    problems = _compare_object(old, new, "")
    for name, old_def in old.get("$defs", {}).items():
        new_def = new.get("$defs", {}).get(name)
        if new_def is None:
            problems.append(f"$defs/{name}: removed")
        else:
            problems.extend(_compare_object(old_def, new_def, f"$defs/{name}/"))
    return problems


def check(directory: Path = SCHEMA_DIR) -> list[str]:
    """Every contract compared with its committed schema; the list of what is wrong."""
    problems: list[str] = []
    for cls in EVENT_TYPES:
        path = schema_path(cls, directory)
        if not path.exists():
            problems.append(f"{path.name}: not committed (run `python -m liveline_shared.events.schemas write`)")
            continue
        committed = json.loads(path.read_text())
        current = current_schema(cls)
        breaking = incompatibilities(committed, current)
        problems.extend(f"{path.name}: {p} (needs a new schema version)" for p in breaking)
        if not breaking and committed != current:
            problems.append(f"{path.name}: out of date with the model (run `... schemas write`)")
    return problems


def write(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Exports every contract's schema; refuses an incompatible change to a committed version."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for cls in EVENT_TYPES:
        path = schema_path(cls, directory)
        current = current_schema(cls)
        if path.exists():
            breaking = incompatibilities(json.loads(path.read_text()), current)
            if breaking:
                raise SystemExit(f"{path.name}: incompatible change, bump schema_version: {breaking}")
        path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "write":
        for p in write():
            print(p)
    else:
        found = check()
        print("\n".join(found) or "all event schemas match their committed versions")
        sys.exit(1 if found else 0)
