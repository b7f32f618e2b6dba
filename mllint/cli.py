"""Command line: `mllint PATH...` (check), `mllint rules`, `mllint explain ID`.

Exit codes: 0 nothing at or above the fail level; 1 findings at or above it;
2 a usage, config or input error (the message names the file; other paths are still linted).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__
from .errors import MllintError
from .findings import SEVERITIES

FORMATS = ("text", "json")


class _DefaultToCheck(click.Group):
    """`mllint Dockerfile` means `mllint check Dockerfile`."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["check", *args]
        elif not args:
            args = ["check"]
        return super().parse_args(ctx, args)


def _split_ids(values: tuple[str, ...]) -> list[str]:
    return [v for value in values for v in value.replace(",", " ").split()]


def _fail(message: str) -> "click.exceptions.Exit":
    click.echo(f"mllint: error: {message}", err=True)
    return click.exceptions.Exit(2)


@click.group(cls=_DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="mllint")
def main() -> None:
    """Lint Dockerfiles that ship machine-learning code, with their requirement files."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), required=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Output format.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report to FILE instead of standard output.")
@click.option("--fail-level", type=click.Choice(SEVERITIES),
              help="Exit 1 when a finding is at or above this severity [config, else: warning].")
@click.option("--select", multiple=True, metavar="IDS", help="Only these rules (ids or prefixes, comma-separated).")
@click.option("--ignore", multiple=True, metavar="IDS", help="Skip these rules (added to the config's).")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Use this .mllint.yaml or pyproject.toml instead of searching upward.")
@click.option("--context", type=click.Path(path_type=Path, file_okay=False),
              help="Build context folder [default: the Dockerfile's folder].")
@click.option("--target", "target_stage", metavar="STAGE", help="The stage that ships [default: the last].")
@click.option("--color", type=click.Choice(("auto", "always", "never")), default="auto", show_default=True,
              help="Colour text output (auto: on a terminal, unless NO_COLOR is set).")
def check(paths, fmt, output, fail_level, select, ignore, config_file, context, target_stage, color):
    """Lint Dockerfiles (and the folders holding them) with their build context."""
    from .lint import Linter, Options
    from .rules import match_ids

    try:
        if context is not None and not context.is_dir():
            raise MllintError("build context folder not found", str(context))
        options = Options(
            config_file=config_file,
            context=context,
            target=target_stage,
            select=frozenset(match_ids(_split_ids(select), what="--select")) if select else None,
            ignore=frozenset(match_ids(_split_ids(ignore), what="--ignore")) if ignore else frozenset(),
            fail_level=fail_level,
        )
        report = Linter(options).run(list(paths))
    except MllintError as exc:
        raise _fail(str(exc)) from None

    for error in report.errors:
        click.echo(f"mllint: error: {error}", err=True)
    _emit(report, fmt, output, color)
    if report.errors:
        sys.exit(2)
    sys.exit(1 if report.failing else 0)


def _emit(report, fmt: str, output: Path | None, color: str) -> None:
    if fmt == "json":
        from .report.json import render

        text = render(report)
    elif output is None and _use_color(color):
        from .report.text import render_rich

        render_rich(report, sys.stdout)
        return
    else:
        from .report.text import render_plain

        text = render_plain(report)
    if output is None:
        sys.stdout.write(text)
    else:
        _write_atomic(output, text)


def _use_color(color: str) -> bool:
    if color != "auto":
        return color == "always"
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def _write_atomic(path: Path, text: str) -> None:
    import tempfile

    folder = path.resolve().parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise _fail(f"{path}: cannot write report: {exc.strerror or exc}") from None


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
def list_rules(fmt: str) -> None:
    """List every rule: id, category, severity, fix, summary."""
    from .rules import all_rules

    rules = sorted(all_rules().values(), key=lambda r: r.id)
    if fmt == "json":
        import json

        click.echo(json.dumps([
            {"id": r.id, "name": r.name, "category": r.category, "severity": r.severity,
             "fix": r.fix, "summary": r.summary} for r in rules], indent=2))
        return
    for r in rules:
        click.echo(f"{r.id}  {r.category:<13} {r.severity:<7} fix:{r.fix:<6}  {r.name}: {r.summary}")


@main.command()
@click.argument("rule_id")
def explain(rule_id: str) -> None:
    """Show one rule: why it matters, how to fix it, examples."""
    from .rules import all_rules

    rule = all_rules().get(rule_id.upper())
    if rule is None:
        raise _fail(f"no rule {rule_id!r}; `mllint rules` lists them")
    click.echo(f"{rule.id} {rule.name} ({rule.category}, {rule.severity}, fix: {rule.fix})\n")
    click.echo(rule.summary + "\n")
    click.echo(rule.rationale + "\n")
    if rule.fix_description:
        click.echo(f"Fix: {rule.fix_description}\n")
    for label, examples in (("Bad", rule.examples_bad), ("Good", rule.examples_good)):
        for example in examples:
            click.echo(f"{label}:")
            files = example if isinstance(example, dict) else {"Dockerfile": example}
            for name, text in files.items():
                if len(files) > 1:
                    click.echo(f"  # {name}")
                click.echo("".join(f"    {line}\n" for line in str(text).splitlines()))


def run() -> None:
    """Console entry point: never a traceback for the user."""
    try:
        main(standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("mllint: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug in mllint: say so plainly, without a traceback
        if os.environ.get("MLLINT_DEBUG"):
            raise
        click.echo(f"mllint: internal error: {exc.__class__.__name__}: {exc} "
                   f"(set MLLINT_DEBUG=1 for details and please report it)", err=True)
        sys.exit(2)
