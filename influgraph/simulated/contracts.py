"""The published contracts of the X API v2 and Bluesky's AppView: the law the simulators and the crawlers obey.

Derived from the published files (`derive`): X's OpenAPI spec v2.159 (`latest-openapi-v2.159.json`
of xdevplatform/xdk, the parameter names the live API and its documentation use) and the AT
Protocol lexicons of every XRPC call the Bluesky crawler makes, with the handle syntax of
`handle.ts` (bluesky-social/atproto). Both live in `../shared/data` (its README, section 4) and are
not shipped: the package holds `contract.json`, a compact derivation of them (the parameter
names, required ones, enums, bounds, patterns and formats of the operations the crawlers call,
and the handle regex), which `tests/crawlers/test_contracts.py` checks equals a fresh derivation
from the shared files. So the demo and the simulators validate every request without the shared data.

Facts the spec states only in prose, kept here with their source (X's documentation, quoted in
the data's SOURCE.txt): recent search's `start_time` must lie within the last 7 days, and its
query length depends on the access tier (512 characters self-serve, 4,096 on Pro and Enterprise).

`check_x` and `check_bluesky` return the errors of one request in the shapes the real services
answer with: X's `errors[]` of an HTTP 400 problem (`x_refusal` wraps them as the real body) and
XRPC's `InvalidRequest` messages. The simulated AppView also refuses an undeclared parameter (the
real one ignores it), so a crawler that sends one is caught.
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

__all__ = ["Contract", "derive", "load", "CONTRACT_FILE", "X_OPERATIONS", "NSIDS", "QUERY_LENGTH", "x_refusal",
           "RECENT_SEARCH_DAYS"]

CONTRACT_FILE = Path(__file__).with_name("contract.json")
X_SPEC = "x-api-v2-openapi/latest-openapi-v2.159.json"
LEXICONS = "bluesky-lexicons/lexicons"
HANDLE_TS = "bluesky-lexicons/handle.ts"
# spec path -> the route template the crawler and the simulator use
X_OPERATIONS = {"/2/tweets/search/recent": "/2/tweets/search/recent", "/2/users/by": "/2/users/by",
                "/2/users": "/2/users", "/2/users/{id}/followers": "/2/users/:id/followers",
                "/2/users/{id}/following": "/2/users/:id/following",
                "/2/tweets/{id}/retweeted_by": "/2/tweets/:id/retweeted_by",
                "/2/tweets/{id}/liking_users": "/2/tweets/:id/liking_users",
                "/2/tweets/{id}/quote_tweets": "/2/tweets/:id/quote_tweets"}
NSIDS = ("app.bsky.actor.getProfiles", "app.bsky.feed.searchPosts", "app.bsky.feed.getPostThread",
         "app.bsky.feed.getRepostedBy", "app.bsky.feed.getLikes", "app.bsky.feed.getQuotes",
         "app.bsky.graph.getFollowers", "app.bsky.graph.getFollows")
QUERY_LENGTH = {"self-serve": 512, "pro": 4096, "enterprise": 4096}  # X's docs: recent search query length per tier
RECENT_SEARCH_DAYS = 7
_KEEP = ("type", "enum", "minimum", "maximum", "minLength", "maxLength", "pattern", "minItems", "maxItems",
         "uniqueItems", "format")
_DID = re.compile(r"did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]\Z")
_NSID = re.compile(r"[a-zA-Z]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)+\Z")


# ------------------------------------------------------------------ derivation from the published files
def _resolve(spec: dict, node: dict) -> dict:
    while isinstance(node, dict) and "$ref" in node:
        *_, kind, name = node["$ref"].split("/")
        node = spec["components"][kind][name]
    return node


def _schema(spec: dict, schema: dict) -> dict:
    """The checkable facts of a parameter schema (refs resolved, items flattened)."""
    schema = _resolve(spec, schema)
    out = {k: schema[k] for k in _KEEP if k in schema}
    if schema.get("type") == "array":
        items = _resolve(spec, schema.get("items", {}))
        out["items"] = {k: items[k] for k in _KEEP if k in items}
    return out


def _x_contract(spec: dict) -> dict:
    operations = {}
    for path, template in X_OPERATIONS.items():
        parameters = {}
        for parameter in spec["paths"][path]["get"]["parameters"]:
            parameter = _resolve(spec, parameter)
            parameters[parameter["name"]] = {"in": parameter["in"], "required": bool(parameter.get("required")),
                                             **_schema(spec, parameter.get("schema", {}))}
        operations[template] = parameters
    return operations


def _bluesky_contract(folder: Path) -> dict:
    methods = {}
    for nsid in NSIDS:
        lexicon = json.loads((folder / (nsid.replace(".", "/") + ".json")).read_text(encoding="utf-8"))
        main = lexicon["defs"]["main"]
        params = main.get("parameters") or {}
        properties = {}
        for name, prop in (params.get("properties") or {}).items():
            facts = {k: prop[k] for k in ("type", "format", "minimum", "maximum", "maxLength", "minLength",
                                         "enum", "knownValues") if k in prop}
            if prop.get("type") == "array":
                facts["items"] = {k: v for k, v in prop.get("items", {}).items() if k in ("type", "format")}
            properties[name] = facts
        methods[nsid] = {"required": list(params.get("required") or []), "params": properties}
    return methods


def _handle_regex(text: str) -> str:
    """HANDLE_REGEX of handle.ts, as a Python pattern."""
    found = re.search(r"const HANDLE_REGEX =\s*/\^(.*?)\$/", text, re.S)
    if not found:
        raise ValueError("handle.ts holds no HANDLE_REGEX")
    return found.group(1)


def derive(data: Path) -> dict:
    """The compact contract from the published files in `data` (the shared data folder).

    Parameters
    ----------
    data : the folder holding `x-api-v2-openapi/` and `bluesky-lexicons/` (see its README, section 4).

    Returns
    -------
    dict: {"x": {route template: {parameter: facts}}, "bluesky": {nsid: {"required", "params"}},
    "handle": {"regex", "max_length"}, "sources": {file: sha256 prefix}}, as `contract.json` holds it.

    Example
    -------
    >>> derive(Path("../shared/data"))["x"]["/2/users/:id/followers"]["max_results"]["maximum"]   # doctest: +SKIP
    1000
    """
    data = Path(data)
    spec_path, handle_path = data / X_SPEC, data / HANDLE_TS
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    handle_text = handle_path.read_text(encoding="utf-8")
    sources = {X_SPEC: spec_path, HANDLE_TS: handle_path,
               **{f"{LEXICONS}/{n.replace('.', '/')}.json": data / LEXICONS / (n.replace(".", "/") + ".json") for n in NSIDS}}
    return {"x_spec_version": spec["info"]["version"], "x": _x_contract(spec),
            "bluesky": _bluesky_contract(data / LEXICONS),
            "handle": {"regex": _handle_regex(handle_text), "max_length": 253},
            "sources": {name: hashlib.sha256(path.read_bytes()).hexdigest()[:16] for name, path in sources.items()}}


def write(data: Path, target: Path = CONTRACT_FILE) -> Path:
    """Derive the contract from `data` and write it as the package's `contract.json` (sorted, one key a line)."""
    target.write_text(json.dumps(derive(data), indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


# ------------------------------------------------------------------ checking requests
def x_refusal(errors: list[dict]) -> dict:
    """The body of X's HTTP 400 for invalid parameters (an `invalid-request` problem with `errors[]`)."""
    return {"errors": errors, "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request"}


def _x_error(name: str, value: str, message: str) -> dict:
    return {"parameters": {name: [value]}, "message": message}


def _date(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


class Contract:
    """Checks requests against the derived contract (`load` gives the package's, `derive` a fresh one)."""

    def __init__(self, data: dict):
        self.data = data
        self.x = data["x"]
        self.bluesky = data["bluesky"]
        self.handle = re.compile(data["handle"]["regex"] + r"\Z")
        self.handle_max = data["handle"]["max_length"]

    # ---------------------------------------------------------------- X
    def check_x(self, template: str, path_params: dict[str, str], query: dict[str, list[str]], *,
                tier: str = "self-serve", now: datetime | None = None) -> list[dict]:
        """X's errors for one GET of `template` (a route template); [] when the request is valid."""
        if template not in self.x:
            return [{"message": f"no such endpoint {template}"}]
        declared = self.x[template]
        errors = []
        for name in query:
            if name not in declared or declared[name]["in"] != "query":
                allowed = ",".join(n for n, p in declared.items() if p["in"] == "query")
                errors.append(_x_error(name, query[name][-1], f"The query parameter [{name}] is not one of [{allowed}]"))
        for name, facts in declared.items():
            values = path_params.get(name) if facts["in"] == "path" else query.get(name)
            if values is None:
                if facts["required"]:
                    errors.append(_x_error(name, "", f"The `{name}` query parameter can not be empty"))
                continue
            for value in [values] if isinstance(values, str) else values:
                errors += self._x_value(name, value, facts)
        errors += self._x_rules(template, query, tier, now or datetime.now(timezone.utc))
        return errors

    def _x_value(self, name: str, value: str, facts: dict) -> list[dict]:
        kind = facts.get("type")
        if kind == "array":
            items = value.split(",") if value else []
            problems = []
            if len(items) < facts.get("minItems", 0) or len(items) > facts.get("maxItems", 10**9):
                problems.append(_x_error(name, value, f"The `{name}` query parameter value [{value[:60]}] must hold "
                                                      f"{facts.get('minItems', 0)} to {facts.get('maxItems', 'any')} items"))
            if facts.get("uniqueItems") and len(set(items)) != len(items):
                problems.append(_x_error(name, value, f"The `{name}` query parameter value holds duplicates"))
            for item in items:
                problems += self._x_scalar(name, item, facts.get("items", {}))
            return problems
        return self._x_scalar(name, value, facts)

    @staticmethod
    def _x_scalar(name: str, value: str, facts: dict) -> list[dict]:
        if "enum" in facts and value not in facts["enum"]:
            return [_x_error(name, value, f"The `{name}` query parameter value [{value}] is not one of "
                                          f"[{','.join(facts['enum'])}]")]
        if facts.get("type") == "integer":
            if not re.fullmatch(r"-?\d+", value):
                return [_x_error(name, value, f"The `{name}` query parameter value [{value}] is not an integer")]
            low, high = facts.get("minimum", -10**18), facts.get("maximum", 10**18)
            if not low <= int(value) <= high:
                return [_x_error(name, value, f"The `{name}` query parameter value [{value}] is not between {low} and {high}")]
            return []
        if len(value) < facts.get("minLength", 0) or len(value) > facts.get("maxLength", 10**9):
            return [_x_error(name, value, f"The `{name}` query parameter value [{value[:60]}] is not between "
                                          f"{facts.get('minLength', 0)} and {facts.get('maxLength', 'any')} characters")]
        if "pattern" in facts and not re.search(facts["pattern"], value):
            return [_x_error(name, value, f"The `{name}` query parameter value [{value[:60]}] does not match "
                                          f"{facts['pattern']}")]
        if facts.get("format") == "date-time" and _date(value) is None:
            return [_x_error(name, value, f"Invalid '{name}':'{value}'. '{name}' must be an RFC 3339 date-time")]
        return []

    @staticmethod
    def _x_rules(template: str, query: dict[str, list[str]], tier: str, now: datetime) -> list[dict]:
        """The rules the spec states in prose: recent search's 7 days and the tier's query length."""
        if template != "/2/tweets/search/recent":
            return []
        errors = []
        earliest = now - timedelta(days=RECENT_SEARCH_DAYS)
        for value in query.get("start_time", []):
            when = _date(value)
            if when is not None and when < earliest:
                errors.append(_x_error("start_time", value, f"Invalid 'start_time':'{value}'. 'start_time' must be on or "
                                                            f"after {earliest.strftime('%Y-%m-%dT%H:%MZ')}"))
        limit = QUERY_LENGTH.get(tier, QUERY_LENGTH["self-serve"])
        for value in query.get("query", []):
            if len(value) > limit:
                errors.append(_x_error("query", value[:80], f"There were errors processing your request: query length "
                                                            f"{len(value)} exceeds {limit} characters for your access level"))
        return errors

    # ---------------------------------------------------------------- Bluesky
    def is_handle(self, value: str) -> bool:
        """True for a valid handle by handle.ts (HANDLE_REGEX, at most 253 characters)."""
        return len(value) <= self.handle_max and self.handle.match(value) is not None

    def _format(self, value: str, fmt: str | None) -> bool:
        if fmt == "at-identifier":
            return bool(_DID.match(value)) or self.is_handle(value)
        if fmt == "did":
            return bool(_DID.match(value))
        if fmt == "handle":
            return self.is_handle(value)
        if fmt == "at-uri":
            found = re.fullmatch(r"at://([^/?#]+)(/([^/?#]+)(/([^/?#]+))?)?", value)
            return bool(found) and self._format(found.group(1), "at-identifier") and (
                found.group(3) is None or bool(_NSID.match(found.group(3))))
        return True

    def check_bluesky(self, nsid: str, query: dict[str, list[str]]) -> list[str]:
        """XRPC's messages for one query of `nsid`; [] when the request is valid."""
        if nsid not in self.bluesky:
            return [f"Method Not Implemented: {nsid}"]
        method = self.bluesky[nsid]
        errors = [f"Error: Params must have the property \"{name}\"" for name in method["required"] if name not in query]
        for name, values in query.items():
            facts = method["params"].get(name)
            if facts is None:
                errors.append(f"Error: Params has an undeclared property \"{name}\"")
                continue
            if facts.get("type") == "array":
                if len(values) > facts.get("maxLength", 10**9):
                    errors.append(f"Error: {name} must not have more than {facts['maxLength']} elements")
                fmt = facts.get("items", {}).get("format")
            else:
                if len(values) > 1:
                    errors.append(f"Error: {name} must not be repeated")
                fmt = facts.get("format")
            for value in values:
                errors += self._bluesky_value(name, value, facts, fmt)
        return errors

    def _bluesky_value(self, name: str, value: str, facts: dict, fmt: str | None) -> list[str]:
        if facts.get("type") == "integer":
            if not re.fullmatch(r"-?\d+", value):
                return [f"Error: {name} must be an integer"]
            if int(value) < facts.get("minimum", -10**18):
                return [f"Error: {name} can not be less than {facts['minimum']}"]
            if int(value) > facts.get("maximum", 10**18):
                return [f"Error: {name} can not be greater than {facts['maximum']}"]
        if not self._format(value, fmt):
            what = {"at-identifier": "a valid did or a handle", "at-uri": "a valid at-uri", "did": "a valid did",
                    "handle": "a valid handle"}.get(fmt, f"a valid {fmt}")
            return [f"Error: {name} must be {what}"]
        return []


@lru_cache(maxsize=4)
def load(data: str | None = None) -> Contract:
    """The contract: the package's `contract.json`, or freshly derived from a shared data folder `data`."""
    if data is None:
        return Contract(json.loads(CONTRACT_FILE.read_text(encoding="utf-8")))
    return Contract(derive(Path(data)))
