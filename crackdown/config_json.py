"""`type = "json"` sources: the `[sources.request]` and `[sources.fields]` sub-tables.

An API source is a request (method, body, headers, paging) and a map from the response to posts
(where the item list is, which field holds the id, title, link, date, text). Both are validated
here, once, with errors that name the file and the key, like the rest of crackdown/config.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

METHODS = ("GET", "POST")
DATE_UNITS = ("auto", "s", "ms", "text")
# Headers Scrapy or the HTTP layer owns: setting them by hand breaks the request or leaks state.
_FORBIDDEN_HEADERS = {"host", "content-length", "cookie", "transfer-encoding", "connection"}
# A path into the response: dotted names, list indices or '*' (every element / every value).
_PATH_RE = re.compile(r"^[^.\s]+(\.[^.\s]+)*$")
# Placeholders a body value may hold, filled at crawl time: "{now}", "{now-2d}", "{now_ms-12h}".
TIME_PLACEHOLDER = re.compile(r"^\{now(_ms)?(?:-(\d+)([dh]))?\}$")
_TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")
MAX_PAGES_CAP = 50   # a runaway page loop must stop well before it hurts the site


@dataclass(frozen=True)
class JsonRequest:
    method: str = "GET"
    body: tuple[tuple[str, Any], ...] = ()     # JSON object sent with POST, as ordered pairs
    headers: tuple[tuple[str, str], ...] = ()
    page_param: str = ""          # "" = one page; else the body key (POST) or query parameter (GET)
    first_page: int = 1
    page_step: int = 1            # 1 for page numbers; the page size for offset paging
    max_pages: int = 1

    def body_dict(self) -> dict[str, Any]:
        return dict(self.body)


@dataclass(frozen=True)
class JsonFields:
    items: str = ""               # path to the item list; "" = the response is the list
    id: str = ""
    title: str = ""
    link: str = ""
    link_template: str = ""       # e.g. "https://www.amz123.com/kx/{id}"; {path} = any item field
    date: str = ""
    date_unit: str = "auto"       # auto | s | ms | text
    text: str = ""
    author: str = ""
    status: str = ""              # path to an API status code; with status_ok, a wrong one is a failure
    status_ok: str = ""
    message: str = ""             # path to the API's error message, quoted in the failure


def parse_json_tables(path: Path, label: str, table: dict, source_type: str,
                      error: type) -> dict[str, Any]:
    """`request` and `fields` of one [[sources]] entry as dataclasses (keys absent = not given)."""
    out: dict[str, Any] = {}
    for name in ("request", "fields"):
        if name in table and source_type != "json":
            raise error(path, f"{label}.{name}", 'only applies to type = "json"; remove it')
    if source_type != "json":
        return out
    if "fields" not in table:
        raise error(path, f"{label}.fields", 'is required for type = "json": add a [sources.fields] '
                    "table with at least items and title")
    out["request"] = _request(path, f"{label}.request", table.get("request", {}), error)
    out["fields"] = _fields(path, f"{label}.fields", table["fields"], error)
    return out


def _table(path: Path, key: str, value: Any, cls: type, error: type) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise error(path, key, "must be a table")
    allowed = {f.name for f in fields(cls)}
    for k in value:
        if k not in allowed:
            raise error(path, f"{key}.{k}", f"unknown key; allowed here: {', '.join(sorted(allowed))}")
    return value


def _request(path: Path, key: str, value: Any, error: type) -> JsonRequest:
    raw = _table(path, key, value, JsonRequest, error)
    method = raw.get("method", "GET")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise error(path, f"{key}.method", f"must be one of {', '.join(METHODS)}, not {method!r}")
    method = method.upper()
    body = raw.get("body", {})
    if not isinstance(body, dict):
        raise error(path, f"{key}.body", "must be a table (the JSON object to send)")
    if body and method != "POST":
        raise error(path, f"{key}.body", 'is sent only with method = "POST"; for GET put '
                    "parameters in the url")
    _check_json_value(path, f"{key}.body", body, error)
    headers = raw.get("headers", {})
    if not isinstance(headers, dict):
        raise error(path, f"{key}.headers", "must be a table of header = \"value\"")
    for name, val in headers.items():
        if not isinstance(val, str) or any(c in val for c in "\r\n"):
            raise error(path, f"{key}.headers.{name}", "must be a one-line string")
        if name.lower() in _FORBIDDEN_HEADERS or not re.match(r"^[A-Za-z0-9-]+$", name):
            raise error(path, f"{key}.headers.{name}", "cannot be set here (Host, Content-Length, "
                        "Cookie and the like belong to the HTTP layer)")
    ints = {}
    for name, low in (("first_page", 0), ("page_step", 1), ("max_pages", 1)):
        val = raw.get(name, getattr(JsonRequest, name))
        if isinstance(val, bool) or not isinstance(val, int) or val < low:
            raise error(path, f"{key}.{name}", f"must be a whole number >= {low}, not {val!r}")
        ints[name] = val
    if ints["max_pages"] > MAX_PAGES_CAP:
        raise error(path, f"{key}.max_pages", f"must be at most {MAX_PAGES_CAP} (a daily crawl "
                    "only needs what is new since yesterday)")
    page_param = raw.get("page_param", "")
    if not isinstance(page_param, str) or (page_param and not re.match(r"^[A-Za-z0-9_.\-\[\]]+$",
                                                                         page_param)):
        raise error(path, f"{key}.page_param", f"must be a parameter name, not {page_param!r}")
    if ints["max_pages"] > 1 and not page_param:
        raise error(path, f"{key}.max_pages", "needs page_param (the parameter that selects a page)")
    return JsonRequest(method=method, body=tuple(body.items()), headers=tuple(headers.items()),
                       page_param=page_param, **ints)


def _check_json_value(path: Path, key: str, value: Any, error: type) -> None:
    """TOML allows dates and times, JSON does not; placeholders must be ones we know."""
    if isinstance(value, dict):
        for k, v in value.items():
            _check_json_value(path, f"{key}.{k}", v, error)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_json_value(path, f"{key}[{i}]", v, error)
    elif isinstance(value, str):
        if value.startswith("{now") and not TIME_PLACEHOLDER.match(value):
            raise error(path, key, f"{value!r} is not a time placeholder; use \"{{now}}\", "
                        "\"{now-2d}\", \"{now-12h}\" or the _ms forms (\"{now_ms-2d}\")")
    elif not isinstance(value, (bool, int, float)):
        raise error(path, key, f"{value!r} cannot be sent as JSON (write dates as strings or as "
                    "\"{now-2d}\" placeholders)")


def _fields(path: Path, key: str, value: Any, error: type) -> JsonFields:
    raw = _table(path, key, value, JsonFields, error)
    for name, val in raw.items():
        if not isinstance(val, (str, int)) or isinstance(val, bool):
            raise error(path, f"{key}.{name}", f"must be a string, not {val!r}")
    raw = {k: str(v) for k, v in raw.items()}
    if not raw.get("title"):
        raise error(path, f"{key}.title", "is required: the path of each item's title")
    if not (raw.get("link") or raw.get("link_template")):
        raise error(path, f"{key}.link", "give link (the path of each item's URL) or link_template "
                    "(e.g. \"https://example.com/news/{id}\")")
    for name in ("items", "id", "title", "link", "date", "text", "author", "status", "message"):
        val = raw.get(name, "")
        if name == "items" and "|" in val:
            raise error(path, f"{key}.items", "takes one path (alternatives with '|' are for the "
                        "item fields)")
        if val and not all(_PATH_RE.match(alt) for alt in val.split("|")):
            raise error(path, f"{key}.{name}", f"{val!r} is not a path; write names joined by dots, "
                        "e.g. \"data.rows\" (a '*' step takes every element; 'a|b' tries a, then b)")
    template = raw.get("link_template", "")
    if template:
        if not template.startswith(("http://", "https://", "/")):
            raise error(path, f"{key}.link_template", f"{template!r} must be an http(s) URL or "
                        "start with '/'")
        if not _TEMPLATE_FIELD.search(template):
            raise error(path, f"{key}.link_template", "must contain a field, e.g. {id}")
    unit = raw.get("date_unit", "auto")
    if unit not in DATE_UNITS:
        raise error(path, f"{key}.date_unit", f"must be one of {', '.join(DATE_UNITS)}, not {unit!r}")
    if raw.get("status_ok") and not raw.get("status"):
        raise error(path, f"{key}.status_ok", "needs status (the path of the API's status code)")
    return JsonFields(**raw)


def template_fields(template: str) -> list[str]:
    """The item paths a link template reads ('{id}', '{author.slug}')."""
    return _TEMPLATE_FIELD.findall(template)
