"""Progress of long downloads and validations on a terminal; silent when output is not a terminal or quiet is asked."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """One status line on stderr, rewritten in place at most ten times a second."""

    def __init__(self, enabled: bool | None = None, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._last = 0.0
        self._shown = False
        self._label = ""

    @classmethod
    def for_terminal(cls, quiet: bool = False) -> Progress:
        return cls(enabled=False if quiet else None)

    def _write(self, text: str, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        self.stream.write("\r\x1b[K" + text)
        self.stream.flush()
        self._shown = True

    def update(self, label: str, done: int, total: int | None) -> None:
        first, self._label = label != self._label, label
        if total:
            self._write(f"{label}: {done / 1e6:.1f} of {total / 1e6:.1f} MB ({100 * done // total}%)", force=first)
        else:
            self._write(f"{label}: {done / 1e6:.1f} MB", force=first)

    def step(self, label: str) -> None:
        self._write(label, force=True)

    def finish(self) -> None:
        if self.enabled and self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False
