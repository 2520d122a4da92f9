"""Progress of long steps: a bar on a terminal, one line per long step otherwise, nothing with --json.

The library never prints: long functions take an optional `progress` callback, called as
``progress(step, done, total)`` (`Progress`), and know nothing of terminals. The command line
builds one `Reporter` per command (`Reporter.for_cli`) and wraps each step:

- on a terminal (stderr is a TTY): a rich progress bar per step (a spinner when the step gives
  no counts), cleared when the step ends, so the final output stays clean;
- otherwise (a pipe, a log file, CI): one plain line per step (or named part of a step, such as
  the demo's crawl of one niche) that took `SLOW_STEP` seconds or more,
  ``"ranking niche kuliner: 3.4 s"``, on stderr, so logs show where the time went
  without burying short commands in noise;
- with --json, or when disabled: nothing at all.

One way for the whole CLI: every command that runs a long step goes through a `Reporter`.

Example: ``with Reporter.for_cli(as_json=False).step("ranking niche x") as tick: rank(..., progress=tick)``.
"""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Callable, Iterator, TextIO

__all__ = ["Progress", "Reporter", "SLOW_STEP", "quiet"]

Progress = Callable[[str, int, "int | None"], None]
SLOW_STEP = 2.0  # seconds: off a terminal, steps at least this long get their line


def quiet(step: str, done: int, total: int | None) -> None:
    """A progress callback that reports nothing (the library's default)."""


class Reporter:
    """Shows the progress of a command's steps on `stream` (see the module docstring)."""

    def __init__(self, *, enabled: bool = True, terminal: bool = False, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.terminal = terminal
        self.stream = stream if stream is not None else sys.stderr

    @classmethod
    def for_cli(cls, *, as_json: bool = False, stream: TextIO | None = None) -> "Reporter":
        """The reporter of one command: silent with --json, a bar when `stream` (stderr) is a terminal.

        Example: ``Reporter.for_cli(as_json=True).enabled is False``.
        """
        stream = stream if stream is not None else sys.stderr
        return cls(enabled=not as_json, terminal=bool(getattr(stream, "isatty", lambda: False)()), stream=stream)

    def _lines(self, description: str, started: float) -> Iterator[Progress]:
        """Off a terminal: one line per slow part (each new `step` name passed to the callback starts a part)."""
        current = {"what": "", "since": started}

        def close(now: float) -> None:
            seconds = now - current["since"]
            if seconds >= SLOW_STEP:
                label = f"{description}: {current['what']}" if current["what"] else description
                print(f"{label}: {seconds:.1f} s", file=self.stream, flush=True)

        def tick(what: str, done: int, total: int | None) -> None:
            if what != current["what"]:
                now = time.monotonic()
                if current["what"]:
                    close(now)
                    current["since"] = now
                current["what"] = what

        yield tick
        close(time.monotonic())

    @contextmanager
    def step(self, description: str) -> Iterator[Progress]:
        """Report one step while its block runs; yields a `Progress` callback for the counts inside it.

        Example: ``with reporter.step("finding communities") as tick: detect(..., progress=tick)``.
        """
        started = time.monotonic()
        if not self.enabled:
            yield quiet
            return
        if not self.terminal:
            yield from self._lines(description, started)
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, SpinnerColumn, TextColumn, TimeElapsedColumn

        console = Console(file=self.stream, stderr=self.stream is sys.stderr)
        with Bar(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                 console=console, transient=True) as bar:
            task = bar.add_task(description, total=None)

            def tick(what: str, done: int, total: int | None) -> None:
                bar.update(task, description=f"{description}: {what}" if what else description, completed=done, total=total)

            yield tick
