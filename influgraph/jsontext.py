"""JSON text of API pages on the hot paths (crawl states, raw pages, imports, the simulated servers), by orjson.

A crawl decodes every page it fetches, stores it, decodes it again for the import and writes it
again as raw JSONL; the demo's 3,300 pages spent 3.4 s of its 22 s in the standard library's json
(issue 17). orjson (Rust, MIT/Apache-2.0, wheels for every platform) reads those pages 1.5x and
writes them about 6x as fast (measured on the demo's pages, 14 kB each). Where orjson refuses what
the standard library reads, the standard library runs instead, so every page that was readable
stays readable, with the same values:

- lone surrogate escapes (`"\\ud800"`): invalid Unicode, which `sources.base.LoneSurrogates`
  replaces after reading;
- the non-JSON words NaN and Infinity, and numbers beyond a float's range (read as floats;
  orjson writes a non-finite float as null, which is what strict JSON readers need anyway);
- text that is not UTF-8.

`dumps` writes compact JSON (no spaces after `,` and `:`) and does not escape non-ASCII text:
Persian, Arabic and Indonesian text is stored byte-exact. A value holding a lone surrogate (a
post cut inside an emoji) can only be carried by an escape, so then every non-ASCII character is
escaped: the text reads back the same, and it can be stored as UTF-8 (in SQLite, in a file).
Parameter hashes and any JSON whose exact text is a key (`crawlers.state` task parameters) keep
the standard library's format instead.

One difference is kept: orjson reads an integer beyond 64 bits (20 digits and more) as a float.
No platform sends one (X ids are strings of at most 19 digits, counts are far smaller); a float
where an id belongs is refused and counted like any malformed id (`schema.bad_id_reason`); and
looking for such a number in every page costs more than parsing it (150 us a page by regex).
"""
from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["loads", "dumps"]


def loads(text: str | bytes) -> Any:
    r"""The value of the JSON `text` (str, or UTF-8 bytes); raises ValueError (json.JSONDecodeError) when it is not JSON.

    >>> loads('{"id": "1460323737035677698", "n": 9223372036854775807, "s": "\\ud800"}')
    {'id': '1460323737035677698', 'n': 9223372036854775807, 's': '\ud800'}
    """
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)  # what orjson refuses but the standard library reads, or the standard library's error


def dumps(value: Any) -> str:
    r"""`value` as compact JSON text, non-ASCII text unescaped unless it holds a lone surrogate.

    >>> dumps({"name": "کتاب", "ids": ["1"]})
    '{"name":"کتاب","ids":["1"]}'
    >>> dumps(["کتاب \ud83d"])
    '["\\u06a9\\u062a\\u0627\\u0628 \\ud83d"]'
    """
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError: a lone surrogate, an integer beyond 64 bits, a type orjson lacks
        return json.dumps(value, separators=(",", ":"))  # ASCII escapes carry a lone surrogate
