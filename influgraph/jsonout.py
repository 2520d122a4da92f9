"""JSON text that every JSON parser reads: the one writer of `--json` output and JSON exports.

Python's `json.dumps` writes NaN and Infinity as the bare words `NaN` and `Infinity`, which are
not JSON (RFC 8259): browsers, `jq` and most languages refuse the whole document. Here every
non-finite float (NaN, +inf, -inf, in numpy too) becomes `null`, and `allow_nan=False` proves
none is left. Text is kept byte-exact (no ASCII escaping); values JSON has no type for (dates,
paths) are written as their text.
"""
from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["finite", "dumps"]


def finite(value: Any) -> Any:
    """`value` with every non-finite float replaced by None, in nested dicts, lists and tuples.

    Example: ``finite({"a": [1.0, float("nan")]}) == {"a": [1.0, None]}``.
    """
    if isinstance(value, float):  # numpy.float64 is a float too
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    if hasattr(value, "dtype") and getattr(value, "shape", None) == () and value.dtype.kind == "f":
        return finite(float(value))  # a numpy scalar float32
    return value


def dumps(data: Any, *, indent: int | None = 2) -> str:
    """`data` as strict JSON text: non-finite floats as null, text unescaped, other objects as text.

    Example: ``dumps({"x": float("inf")}, indent=None) == '{"x": null}'``.
    """
    return json.dumps(finite(data), ensure_ascii=False, indent=indent, default=str, allow_nan=False)
