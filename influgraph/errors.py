"""Error types raised by the library, each mapped to the CLI exit code it stands for.

The library raises these; only the CLI turns them into one-line messages and exit codes.
"""
from __future__ import annotations

__all__ = [
    "InflugraphError",
    "BadInput",
    "Interrupted",
    "AuthError",
    "UpstreamUnavailable",
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


class InflugraphError(Exception):
    """Base of every error influgraph raises on purpose; `exit_code` is what the CLI returns."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, *, path: object = None, line: int | None = None, hint: str | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message as one line: `where: what (fix)`; newlines in user text are flattened."""
        where = self.path or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        return " ".join(text.split())


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
