"""Dotted paths into parsed JSON: `data.rows`, `data.row_map.*.kx_content`, `items.0.title`,
and for single values alternatives: `description|content`.

A step is an object key, a list index, or `*` (every value of an object, every element of a list).
A key step applied to a list applies to each element, so `data.row_map.*.kx_content` reads both
`{"row_map": {"d": {"kx_content": [...]}}}` and `{"row_map": {"d": [{"kx_content": [...]}]}}`
(APIs answer either shape). Nothing here raises on hostile input: a wrong shape gives no match.
"""

from __future__ import annotations

from typing import Any

_MAX_NODES = 100_000   # a path with several '*' over a huge response must not explode


def resolve(data: Any, path: str) -> list[Any]:
    """Every value the path reaches (empty when it reaches nothing)."""
    nodes = [data]
    for step in path.split(".") if path else []:
        found: list[Any] = []
        for node in nodes:
            found.extend(_step(node, step))
            if len(found) > _MAX_NODES:
                break
        nodes = found
        if not nodes:
            break
    return nodes


def _step(node: Any, step: str) -> list[Any]:
    if step == "*":
        if isinstance(node, dict):
            return list(node.values())
        return list(node) if isinstance(node, list) else []
    if isinstance(node, dict):
        return [node[step]] if step in node else []
    if isinstance(node, list):
        if step.lstrip("-").isdigit():
            index = int(step)
            return [node[index]] if -len(node) <= index < len(node) else []
        return [v for item in node if isinstance(item, dict) and step in item
                for v in [item[step]]]
    return []


def items_at(data: Any, path: str) -> list[dict] | None:
    """The item objects at `path`: lists reached are flattened, non-objects dropped.

    None when the path reaches nothing at all (the layout changed), [] when it reaches an
    empty list (nothing new today)."""
    reached = resolve(data, path)
    if not reached:
        return None
    items: list[dict] = []
    for node in reached:
        if isinstance(node, list):
            items.extend(n for n in node if isinstance(n, dict))
        elif isinstance(node, dict):
            items.append(node)
    return items


def scalar(item: Any, path: str) -> str | int | float | None:
    """The first string or number at `path` (booleans and containers are not values here);
    `a|b` tries path `a`, then `b` (APIs fill `description` on some items, `content` on others)."""
    for alternative in path.split("|") if path else []:
        for value in resolve(item, alternative):
            if isinstance(value, bool) or value is None or value == "":
                continue
            if isinstance(value, (str, int, float)):
                return value
    return None


def text(item: Any, path: str) -> str:
    value = scalar(item, path)
    return "" if value is None else str(value).strip()
