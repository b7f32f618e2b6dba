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
REPORT_FORMATS = ("text", "json", "sarif", "github", "gitlab")


class _DefaultToCheck(click.Group):
    """`mllint Dockerfile` means `mllint check Dockerfile`."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["check", *args]
        elif not args:
            args = ["check"]
        return super().parse_args(ctx, args)


def _rule_and_baseline_options(select, ignore, baseline_file) -> dict:
    """The Options both `check` and `image` take from --select, --ignore and --baseline."""
    from .rules import match_ids

    known = None
    if baseline_file is not None:
        from .baseline import load

        known = load(baseline_file)
    return {
        "select": frozenset(match_ids(_split_ids(select), what="--select")) if select else None,
        "ignore": frozenset(match_ids(_split_ids(ignore), what="--ignore")) if ignore else frozenset(),
        "baseline": known,
        "baseline_file": str(baseline_file) if baseline_file is not None else None,
    }


def _split_ids(values: tuple[str, ...]) -> list[str]:
    return [v for value in values for v in value.replace(",", " ").split()]


def _fail(message: str) -> "click.exceptions.Exit":
    click.echo(f"mllint: error: {safe(message)}", err=True)
    return click.exceptions.Exit(2)


def safe(message: str) -> str:
    """An error message for the terminal: it may quote the inputs, so credentials in URLs and
    known token shapes become ***, and control characters and terminal escapes are escaped."""
    import re

    from .report import printable

    message = re.sub(r"\b([a-z][a-z0-9+.-]*://[^/\s:@'\"]+):[^/\s@'\"]+@", r"\1:***@", message)
    try:
        from .knowledge import secret_shapes

        for _, regex, context in secret_shapes():
            if not context:
                message = regex.sub("***", message)
    except Exception:  # noqa: BLE001 - the message matters more than the polish
        pass
    return printable(message)


def _rule_selection(fn):
    """--fail-level, --select, --ignore and --config, as `check` and `image` both take them."""
    for option in reversed((
        click.option("--fail-level", type=click.Choice(SEVERITIES),
                     help="Exit 1 when a finding is at or above this severity [config, else: warning]."),
        click.option("--select", multiple=True, metavar="IDS",
                     help="Only these rules (ids or prefixes, comma-separated)."),
        click.option("--ignore", multiple=True, metavar="IDS", help="Skip these rules (added to the config's)."),
        click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
                     help="Use this .mllint.yaml or pyproject.toml instead of searching upward."),
    )):
        fn = option(fn)
    return fn


@click.group(cls=_DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="mllint")
def main() -> None:
    """Lint Dockerfiles that ship machine-learning code, with their requirement files."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), required=True)
@click.option("--format", "fmt", multiple=True, metavar="FORMAT[:FILE]",
              help=f"Output format ({'|'.join(REPORT_FORMATS)}) [default: text]; repeat for several, "
                   f"e.g. --format sarif:mllint.sarif --format text (at most one without FILE).")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report of the --format without FILE to FILE instead of standard output.")
@click.option("--baseline", "baseline_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Report and fail only on findings not recorded in this baseline file.")
@click.option("--write-baseline", type=click.Path(path_type=Path, dir_okay=False),
              help="Record every current finding in this baseline file and exit 0 (2 on input errors).")
@_rule_selection
@click.option("--context", type=click.Path(path_type=Path, file_okay=False),
              help="Build context folder [default: the Dockerfile's folder].")
@click.option("--target", "target_stage", metavar="STAGE", help="The stage that ships [default: the last].")
@click.option("--profile", type=click.Choice(("serving", "training", "dev")),
              help="What the image is for: production rules adapt to it [config, else: serving].")
@click.option("--driver", "drivers", multiple=True, metavar="VERSION",
              help="NVIDIA driver of the fleet the image runs on, e.g. 535.104.05 (repeatable) [config target.drivers].")
@click.option("--gpu", "gpus", multiple=True, metavar="MODEL",
              help="GPU model of the fleet: A100, H100, T4, L4, RTX 4090… (repeatable) [config target.gpus].")
@click.option("--detect-host", is_flag=True,
              help="Use this machine's NVIDIA driver and GPUs (NVML or nvidia-smi) as the target fleet.")
@click.option("--color", type=click.Choice(("auto", "always", "never")), default="auto", show_default=True,
              help="Colour text output (auto: on a terminal, unless NO_COLOR is set).")
@click.option("--fix", "do_fix", is_flag=True, help="Apply safe fixes in place, then report what is left.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes that may change behaviour (implies --fix).")
@click.option("--diff", "show_diff", is_flag=True,
              help="Print a unified diff of what --fix would change and write nothing (exit 1 when there is a diff).")
@click.option("--pin-from", "pin_from", metavar="SOURCE",
              help="Pin unpinned pip/uv/conda/apt installs to the versions in SOURCE: an image reference (as "
                   "for `mllint image`), a pip freeze/constraints file, a uv/poetry/pdm lock, or a conda "
                   "explicit list (implies --fix unless --diff).")
@click.option("--pin-digests", is_flag=True,
              help="Pin base images to the digest their tag names today (tag@sha256:...), from --digests-from "
                   "sources, else from the image's registry (implies --fix unless --diff).")
@click.option("--digests-from", "digests_from", multiple=True, metavar="SOURCE",
              help="Resolve --pin-digests from an OCI layout, an oci-archive or docker save tar with index.json, "
                   "or `docker-daemon`, without the network (repeatable; implies --pin-digests).")
@click.option("--insecure-registry", "insecure", multiple=True, metavar="HOST",
              help="Talk plain http to this registry when resolving --pin-digests (repeatable).")
def check(paths, fmt, output, fail_level, select, ignore, config_file, context, target_stage, profile, color,
          baseline_file, write_baseline, drivers=(), gpus=(), detect_host=False, do_fix=False, unsafe_fixes=False,
          show_diff=False, pin_from=None, pin_digests=False,
          digests_from=(), insecure=()):
    """Lint Dockerfiles (and the folders holding them) with their build context."""
    from .lint import Linter, Options

    outputs = _outputs(fmt, output)
    try:
        if context is not None and not context.is_dir():
            raise MllintError("build context folder not found", str(context))
        drivers, gpus = _fleet(drivers, gpus, detect_host)
        options = Options(
            config_file=config_file,
            context=context,
            target=target_stage,
            profile=profile,
            drivers=tuple(drivers) or None,
            gpus=tuple(gpus) or None,
            **_rule_and_baseline_options(select, ignore, baseline_file),
            fail_level=fail_level,
        )
        if pin_from is not None:
            from .pins import load_pin_source
            from .record import replace as _replace

            options = _replace(options, pins=load_pin_source(pin_from))
        resolver = None
        if pin_digests or digests_from:
            from .digests import DigestResolver
            from .record import replace as _replace

            resolver = DigestResolver(tuple(digests_from), tuple(insecure))
            options = _replace(options, digests=resolver)
        if do_fix or unsafe_fixes or show_diff or pin_from is not None or resolver is not None:
            _fix(options, list(paths), unsafe_fixes, show_diff, outputs, color)
        report = Linter(options).run(list(paths))
    except MllintError as exc:
        raise _fail(str(exc)) from None

    for error in report.errors:
        click.echo(f"mllint: error: {safe(error)}", err=True)
    if write_baseline is not None:
        from .baseline import render as render_baseline

        _write_atomic(write_baseline, render_baseline(report))
    for out_fmt, out_file in outputs:  # files first, then standard output
        if out_file is not None:
            _emit(report, out_fmt, out_file, color)
    for out_fmt, out_file in outputs:
        if out_file is None:
            _emit(report, out_fmt, None, color)
    if report.errors:
        sys.exit(2)
    if write_baseline is not None:
        click.echo(f"mllint: wrote {len(report.fingerprints())} finding(s) to the baseline {write_baseline}", err=True)
        sys.exit(0)
    sys.exit(1 if report.failing else 0)


def _fix(options, paths, unsafe: bool, show_diff: bool, outputs, color: str) -> None:
    """--fix / --diff: apply (or show) the fixes, then report what is left. Always exits."""
    from .fix import run as run_fixes
    from .lint import Linter

    outcome = run_fixes(lambda: Linter(options), paths, unsafe=unsafe, write_files=not show_diff)
    report = outcome.report
    resolver = getattr(options, "digests", None)
    for problem in dict.fromkeys(resolver.problems if resolver is not None else ()):
        click.echo(f"mllint: --pin-digests: {safe(problem)}", err=True)
    for error in report.errors:
        click.echo(f"mllint: error: {safe(error)}", err=True)
    for line in outcome.dropped:
        click.echo(f"mllint: {safe(line)}", err=True)
    if show_diff:
        if sys.stdout.isatty():  # escapes from the files must not drive the terminal; a pipe gets the exact patch
            from .report import printable

            sys.stdout.write("\n".join(printable(line.rstrip("\r")) for line in outcome.diff.split("\n")))
        else:
            sys.stdout.write(outcome.diff)
        click.echo(f"mllint: {outcome.fixed} finding(s) fixable in {len(outcome.files)} file(s)"
                   + ("" if outcome.diff else ": nothing to change"), err=True)
        sys.exit(2 if report.errors else (1 if outcome.diff else 0))
    for out_fmt, out_file in outputs:
        if out_file is not None:
            _emit(report, out_fmt, out_file, color)
    for out_fmt, out_file in outputs:
        if out_file is None:
            _emit(report, out_fmt, None, color)
    click.echo(f"Fixed {outcome.fixed} finding{'s' if outcome.fixed != 1 else ''} "
               f"({len(outcome.files)} file{'s' if len(outcome.files) != 1 else ''})", err=True)
    if report.errors:
        sys.exit(2)
    sys.exit(1 if report.failing else 0)


def _fleet(drivers: tuple[str, ...], gpus: tuple[str, ...], detect_host: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """--driver/--gpu, plus this machine's when --detect-host; a host without GPUs is a notice, not an error."""
    import re

    for driver in drivers:
        if not re.fullmatch(r"\d+(\.\d+){0,2}", driver.strip()):
            raise click.BadParameter(f"{driver!r} is not a driver version such as 535.104.05", param_hint="'--driver'")
    if not detect_host:
        return drivers, gpus
    from .cuda.host import detect_host as probe

    info = probe()
    if info.error:
        click.echo(f"mllint: {info.error}", err=True)
        return drivers, gpus
    click.echo(f"mllint: host ({info.via}): driver {', '.join(info.drivers)}; GPUs {', '.join(info.gpus) or 'none'}",
               err=True)
    return tuple(dict.fromkeys((*drivers, *info.drivers))), tuple(dict.fromkeys((*gpus, *info.gpus)))


def _outputs(specs: tuple[str, ...], output: Path | None) -> list[tuple[str, Path | None]]:
    """--format FORMAT[:FILE]... (+ --output for the one without FILE) → [(format, file or None)]."""
    outputs: list[tuple[str, Path | None]] = []
    for spec in specs or ("text",):
        name, sep, file = spec.partition(":")
        if name.lower() not in REPORT_FORMATS:
            raise click.BadParameter(f"{name!r} is not one of {', '.join(REPORT_FORMATS)}",
                                     param_hint="'--format'")
        if sep and not file:
            raise click.BadParameter(f"{spec!r}: FILE is empty", param_hint="'--format'")
        outputs.append((name.lower(), Path(file) if sep else None))
    to_stdout = [i for i, (_, f) in enumerate(outputs) if f is None]
    if len(to_stdout) > 1:
        raise click.BadParameter("at most one format can go to standard output; give the others a FILE "
                                 "(--format sarif:mllint.sarif)", param_hint="'--format'")
    if output is not None:
        if not to_stdout:
            raise click.BadParameter("every --format names its FILE, so --output has nothing to write",
                                     param_hint="'--output'")
        outputs[to_stdout[0]] = (outputs[to_stdout[0]][0], output)
    files = [f.resolve() for _, f in outputs if f is not None]
    if len(set(files)) != len(files):
        raise click.BadParameter("two formats write the same FILE", param_hint="'--format'")
    return outputs


def _render(report, fmt: str) -> str:
    """Formatters import nothing until chosen."""
    if fmt == "json":
        from .report.json import render
    elif fmt == "sarif":
        from .report.sarif import render
    elif fmt == "github":
        from .report.github import render
    elif fmt == "gitlab":
        from .report.gitlab import render
    else:
        from .report.text import render_plain as render
    return render(report)


def _emit(report, fmt: str, output: Path | None, color: str) -> None:
    if fmt == "text" and output is None and _use_color(color):
        from .report.text import render_rich

        render_rich(report, sys.stdout)
        return
    text = _render(report, fmt)
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
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as a plain open() would create it, not mkstemp's 0600
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise _fail(f"{path}: cannot write: {exc.strerror or exc}") from None


@main.command("image")
@click.argument("reference")
@click.option("--dockerfile", type=click.Path(path_type=Path, dir_okay=False),
              help="The Dockerfile the image was built from: findings land on its lines.")
@click.option("--target", "target_stage", metavar="STAGE", help="The Dockerfile stage the image is [default: the last].")
@click.option("--platform", metavar="OS/ARCH[/VARIANT]", help="Image to pick from a multi-platform index.")
@click.option("--insecure-registry", "insecure", multiple=True, metavar="HOST",
              help="Do not verify TLS for this registry host[:port], and use plain http when it does not speak TLS "
                   "(repeatable; every other host is verified).")
@click.option("--format", "fmt", multiple=True, metavar="FORMAT[:FILE]",
              help=f"Output format ({'|'.join(REPORT_FORMATS)}) [default: text]; repeatable as for check.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report of the --format without FILE to FILE.")
@_rule_selection
@click.option("--baseline", "baseline_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Report and fail only on findings not recorded in this baseline file.")
@click.option("--facts", "show_facts", is_flag=True, help="Print the image facts (layers, packages, CUDA) to stderr.")
@click.option("--no-verify", is_flag=True,
              help="Do not hash uncompressed layers of a local archive or layout (sizes are still checked).")
@click.option("--color", type=click.Choice(("auto", "always", "never")), default="auto", show_default=True)
def image(reference, dockerfile, target_stage, platform, insecure, fmt, output, fail_level, select, ignore,
          config_file, baseline_file, show_facts, no_verify, color):
    """Lint a built image: docker-archive:PATH, oci:DIR[:REF], oci-archive:PATH[:REF],
    docker-daemon:NAME:TAG, docker://REGISTRY/REPO:TAG, or a bare path or name:tag."""
    from .image.lint import describe, inspect, lint_image
    from .lint import Options

    outputs = _outputs(fmt, output)
    try:
        if dockerfile is not None and not dockerfile.is_file():
            raise MllintError("no such Dockerfile", str(dockerfile))
        options = Options(
            config_file=config_file,
            target=target_stage,
            **_rule_and_baseline_options(select, ignore, baseline_file),
            fail_level=fail_level,
        )
        from .lint import Linter

        limits = Linter(options).config_for(dockerfile if dockerfile is not None else Path.cwd() / "image").limits
        gb = limits.get("max-layer-uncompressed-gb")
        facts = inspect(reference, platform, tuple(insecure), verify=not no_verify,
                        max_uncompressed=int(gb * (1 << 30)) if gb else None)
        report = lint_image(reference, options, dockerfile=dockerfile, facts=facts)
    except MllintError as exc:
        raise _fail(str(exc)) from None
    if show_facts:
        click.echo(describe(facts), err=True, nl=False)
    for out_fmt, out_file in outputs:
        if out_file is not None:
            _emit(report, out_fmt, out_file, color)
    for out_fmt, out_file in outputs:
        if out_file is None:
            _emit(report, out_fmt, None, color)
    sys.exit(1 if report.failing else 0)


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
            from .ruledocs import _files

            files = _files(example)
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
        click.echo(f"mllint: internal error: {exc.__class__.__name__}: {safe(str(exc))} "
                   f"(set MLLINT_DEBUG=1 for details and please report it)", err=True)
        sys.exit(2)
