"""Error types raised by the library, each mapped to the CLI exit code it stands for.

The library raises these; only the CLI turns them into one-line messages and exit codes.

A message speaks the library's own parameter names, written in backticks: `k`, `max_per_community`,
`out`. `param` names the parameter the error is about. The library's `one_line()` keeps those
names; the CLI passes `one_line(names=...)` to print each as the flag that sets it (`--k`,
`--max-per-community`, `--out`), so one message serves a notebook user and a shell user alike.
"""
from __future__ import annotations

import re
from collections.abc import Callable

__all__ = [
    "InflugraphError",
    "BadInput",
    "Interrupted",
    "AuthError",
    "UpstreamUnavailable",
    "name_parameters",
    "is_number",
    "EXIT_OK",
    "EXIT_INTERNAL",
    "EXIT_BAD_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_AUTH",
    "EXIT_UPSTREAM",
]

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 3
EXIT_AUTH = 4
EXIT_UPSTREAM = 5


MAX_LINE = 1000  # characters of a one-line message: a huge value quoted in it is cut, not printed whole
_PARAMETER = re.compile(r"`([a-z][a-z0-9_]*)`")


def name_parameters(text: str, names: Callable[[str], str]) -> str:
    """`text` (a message, hint or warning) with each backticked library parameter given the caller's word for it.

    >>> name_parameters("raise `max_requests` and add `resume`", lambda n: "--" + n.replace("_", "-"))
    'raise --max-requests and add --resume'
    """
    return _PARAMETER.sub(lambda match: names(match.group(1)), text)


class InflugraphError(Exception):
    """Base of every error influgraph raises on purpose; `exit_code` is what the CLI returns.

    Parameters
    ----------
    message : what is wrong; library parameters in backticks (`k`).
    path, line : the file and line the error is about, if any.
    hint : how to fix it, in the same vocabulary as `message`.
    param : the library parameter the error is about, if any (e.g. "k").
    """

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, *, path: object = None, line: int | None = None, hint: str | None = None,
                 param: str | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.hint = hint
        self.param = param
        super().__init__(self.one_line())

    def one_line(self, names: Callable[[str], str] | None = None) -> str:
        """The message as one line: `where: what (fix)`; newlines in user text are flattened.

        `names` turns a backticked library parameter into the caller's word for it (the CLI
        gives its flags); without it the parameter names stay as written.

        >>> BadInput("`k` must be at least 1, got 0", param="k").one_line(lambda n: "--" + n)
        '--k must be at least 1, got 0'
        """
        where = self.path or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        if self.param and f"`{self.param}`" not in text:  # say which parameter, where the message does not
            text = f"`{self.param}`: {text}"
        if names is not None:
            text = name_parameters(text, names)
        text = " ".join(text.split())
        return text if len(text) <= MAX_LINE else text[:MAX_LINE - 3] + "..."  # a value echoed whole stays readable


class BadInput(InflugraphError):
    """Input or usage the user can fix: a malformed file, row, option or query (exit 2)."""

    exit_code = EXIT_BAD_INPUT


class Interrupted(InflugraphError):
    """Work stopped part-way and can be resumed (exit 3)."""

    exit_code = EXIT_INTERRUPTED


class AuthError(InflugraphError):
    """Missing or refused credentials, or a permission the account's tier lacks (exit 4)."""

    exit_code = EXIT_AUTH


class UpstreamUnavailable(InflugraphError):
    """The platform is down, or a quota is exhausted until a later date (exit 5)."""

    exit_code = EXIT_UPSTREAM


def is_number(value: object, *, whole: bool = False) -> bool:
    """True for an int or a float (an int only, when `whole`) that is not a bool: what a numeric option may be.

    TOML and JSON give booleans that Python counts as ints; an option set to `true` is a mistake,
    not 1. Range checks stay with each option (a NaN fails every comparison, so it fails them too).

    Example: ``is_number(0.5) and not is_number(True) and not is_number(2.5, whole=True)``.
    """
    return not isinstance(value, bool) and isinstance(value, int if whole else (int, float))
