"""Every failure a user can cause ends as a MllintError: a message naming the file, exit code 2."""

from __future__ import annotations


class MllintError(Exception):
    """A usage, config or input error. ``str()`` is the whole user-facing message."""

    exit_code = 2

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        self.message = message
        self.path = path
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return where + self.message


class ParseError(MllintError):
    """An input file that cannot be parsed the way Docker/pip/conda would read it."""


class ConfigError(MllintError):
    """A bad .mllint.yaml / [tool.mllint] key or value."""
