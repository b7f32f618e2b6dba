"""Command line: `mllint PATH...` (check), `mllint image REF`, `mllint rules`, `mllint explain ID`.

Exit codes: 0 nothing at or above the fail level; 1 findings at or above it;
2 a usage, config or input error (the message names the file; other paths are still linted).

Built on argparse rather than click: click and what it imports (inspect, typing, enum, uuid…)
were a quarter of a one-file run's wall time (issue 9).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__
from .errors import MllintError
from .findings import SEVERITIES

FORMATS = ("text", "json")
REPORT_FORMATS = ("text", "json", "sarif", "github", "gitlab")


class UsageError(Exception):
    """A bad option value found after parsing: reported like argparse's own errors (exit 2)."""

    def __init__(self, option: str, message: str):
        super().__init__(f"argument {option}: {message}")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise _fail(f"{message} (see `{self.prog} --help`)")


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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


def _fail(message: str) -> SystemExit:
    """Say what is wrong on stderr; the caller raises the returned exit 2."""
    _err(f"mllint: error: {safe(message)}")
    return SystemExit(2)


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


def _rule_selection(parser: argparse.ArgumentParser) -> None:
    """--fail-level, --select, --ignore and --config, as `check` and `image` both take them."""
    parser.add_argument("--fail-level", choices=SEVERITIES,
                        help="Exit 1 when a finding is at or above this severity [config, else: warning].")
    parser.add_argument("--select", action="append", default=[], metavar="IDS",
                        help="Only these rules (ids or prefixes, comma-separated).")
    parser.add_argument("--ignore", action="append", default=[], metavar="IDS",
                        help="Skip these rules (added to the config's).")
    parser.add_argument("--config", dest="config_file", type=Path, metavar="FILE",
                        help="Use this .mllint.yaml or pyproject.toml instead of searching upward.")


def _report_options(parser: argparse.ArgumentParser, fmt_help: str) -> None:
    parser.add_argument("--format", dest="fmt", action="append", default=[], metavar="FORMAT[:FILE]", help=fmt_help)
    parser.add_argument("--output", "-o", type=Path, metavar="FILE",
                        help="Write the report of the --format without FILE to FILE instead of standard output.")
    parser.add_argument("--baseline", dest="baseline_file", type=Path, metavar="FILE",
                        help="Report and fail only on findings not recorded in this baseline file.")


def _color_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="Colour text output (auto: on a terminal, unless NO_COLOR is set) [default: auto].")


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, sized without importing shutil: argparse makes one per add_argument."""

    def __init__(self, prog: str):
        columns = os.environ.get("COLUMNS", "")
        try:
            width = int(columns) if columns.isdigit() else os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (OSError, AttributeError, ValueError):  # not a terminal, or no stdout at all
            width = 80
        super().__init__(prog, width=max(width - 2, 40))


def _check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    _report_options(parser, f"Output format ({'|'.join(REPORT_FORMATS)}) [default: text]; repeat for several, "
                            "e.g. --format sarif:mllint.sarif --format text (at most one without FILE).")
    parser.add_argument("--write-baseline", type=Path, metavar="FILE",
                        help="Record every current finding in this baseline file and exit 0 (2 on input errors).")
    _rule_selection(parser)
    parser.add_argument("--context", type=Path, metavar="DIR",
                        help="Build context folder [default: the Dockerfile's folder].")
    parser.add_argument("--target", dest="target_stage", metavar="STAGE",
                        help="The stage that ships [default: the last].")
    parser.add_argument("--profile", choices=("serving", "training", "dev"),
                        help="What the image is for: production rules adapt to it [config, else: serving].")
    parser.add_argument("--driver", dest="drivers", action="append", default=[], metavar="VERSION",
                        help="NVIDIA driver of the fleet the image runs on, e.g. 535.104.05 (repeatable) "
                             "[config target.drivers].")
    parser.add_argument("--gpu", dest="gpus", action="append", default=[], metavar="MODEL",
                        help="GPU model of the fleet: A100, H100, T4, L4, RTX 4090… (repeatable) [config target.gpus].")
    parser.add_argument("--detect-host", action="store_true",
                        help="Use this machine's NVIDIA driver and GPUs (NVML or nvidia-smi) as the target fleet.")
    _color_option(parser)
    parser.add_argument("--fix", dest="do_fix", action="store_true",
                        help="Apply safe fixes in place, then report what is left.")
    parser.add_argument("--unsafe-fixes", action="store_true",
                        help="Also apply fixes that may change behaviour (implies --fix).")
    parser.add_argument("--diff", dest="show_diff", action="store_true",
                        help="Print a unified diff of what --fix would change and write nothing "
                             "(exit 1 when there is a diff).")
    parser.add_argument("--pin-from", metavar="SOURCE",
                        help="Pin unpinned pip/uv/conda/apt installs to the versions in SOURCE: an image reference "
                             "(as for `mllint image`), a pip freeze/constraints file, a uv/poetry/pdm lock, or a "
                             "conda explicit list (implies --fix unless --diff).")
    parser.add_argument("--pin-digests", action="store_true",
                        help="Pin base images to the digest their tag names today (tag@sha256:...), from "
                             "--digests-from sources, else from the image's registry (implies --fix unless --diff).")
    parser.add_argument("--digests-from", action="append", default=[], metavar="SOURCE",
                        help="Resolve --pin-digests from an OCI layout, an oci-archive or docker save tar with "
                             "index.json, or `docker-daemon`, without the network (repeatable; implies --pin-digests).")
    parser.add_argument("--insecure-registry", dest="insecure", action="append", default=[], metavar="HOST",
                        help="Talk plain http to this registry when resolving --pin-digests (repeatable).")


def _image_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("reference", metavar="REFERENCE")
    parser.add_argument("--dockerfile", type=Path, metavar="FILE",
                        help="The Dockerfile the image was built from: findings land on its lines.")
    parser.add_argument("--target", dest="target_stage", metavar="STAGE",
                        help="The Dockerfile stage the image is [default: the last].")
    parser.add_argument("--platform", metavar="OS/ARCH[/VARIANT]", help="Image to pick from a multi-platform index.")
    parser.add_argument("--insecure-registry", dest="insecure", action="append", default=[], metavar="HOST",
                        help="Do not verify TLS for this registry host[:port], and use plain http when it does not "
                             "speak TLS (repeatable; every other host is verified).")
    _report_options(parser, f"Output format ({'|'.join(REPORT_FORMATS)}) [default: text]; repeatable as for check.")
    _rule_selection(parser)
    parser.add_argument("--facts", dest="show_facts", action="store_true",
                        help="Print the image facts (layers, packages, CUDA) to stderr.")
    parser.add_argument("--no-verify", action="store_true",
                        help="Do not hash uncompressed layers of a local archive or layout (sizes are still checked).")
    _color_option(parser)


def _rules_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", dest="fmt", choices=FORMATS, default="text", help="[default: text]")


def _explain_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rule_id", metavar="RULE")




def check_command(a: argparse.Namespace) -> int:
    """Lint Dockerfiles (and the folders holding them) with their build context."""
    from .lint import Linter, Options

    outputs = _outputs(a.fmt, a.output)
    write_baseline, color = a.write_baseline, a.color
    try:
        if a.context is not None and not a.context.is_dir():
            raise MllintError("build context folder not found", str(a.context))
        drivers, gpus = _fleet(tuple(a.drivers), tuple(a.gpus), a.detect_host)
        options = Options(
            config_file=a.config_file,
            context=a.context,
            target=a.target_stage,
            profile=a.profile,
            drivers=tuple(drivers) or None,
            gpus=tuple(gpus) or None,
            **_rule_and_baseline_options(a.select, a.ignore, a.baseline_file),
            fail_level=a.fail_level,
        )
        pin_from, paths = a.pin_from, a.paths
        if pin_from is not None:
            from .pins import load_pin_source
            from .record import replace as _replace

            options = _replace(options, pins=load_pin_source(pin_from))
        resolver = None
        if a.pin_digests or a.digests_from:
            from .digests import DigestResolver
            from .record import replace as _replace

            resolver = DigestResolver(tuple(a.digests_from), tuple(a.insecure))
            options = _replace(options, digests=resolver)
        if a.do_fix or a.unsafe_fixes or a.show_diff or pin_from is not None or resolver is not None:
            return _fix(options, list(paths), a.unsafe_fixes, a.show_diff, outputs, color)
        report = Linter(options).run(list(paths))
    except MllintError as exc:
        raise _fail(str(exc)) from None

    for error in report.errors:
        _err(f"mllint: error: {safe(error)}")
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
        return 2
    if write_baseline is not None:
        _err(f"mllint: wrote {len(report.fingerprints())} finding(s) to the baseline {write_baseline}")
        return 0
    return 1 if report.failing else 0


def _fix(options, paths, unsafe: bool, show_diff: bool, outputs, color: str) -> int:
    """--fix / --diff: apply (or show) the fixes, then report what is left; the exit code."""
    from .fix import run as run_fixes
    from .lint import Linter

    outcome = run_fixes(lambda: Linter(options), paths, unsafe=unsafe, write_files=not show_diff)
    report = outcome.report
    resolver = getattr(options, "digests", None)
    for problem in dict.fromkeys(resolver.problems if resolver is not None else ()):
        _err(f"mllint: --pin-digests: {safe(problem)}")
    for error in report.errors:
        _err(f"mllint: error: {safe(error)}")
    for line in outcome.dropped:
        _err(f"mllint: {safe(line)}")
    if show_diff:
        if sys.stdout.isatty():  # escapes from the files must not drive the terminal; a pipe gets the exact patch
            from .report import printable

            sys.stdout.write("\n".join(printable(line.rstrip("\r")) for line in outcome.diff.split("\n")))
        else:
            sys.stdout.write(outcome.diff)
        _err(f"mllint: {outcome.fixed} finding(s) fixable in {len(outcome.files)} file(s)"
             + ("" if outcome.diff else ": nothing to change"))
        return 2 if report.errors else (1 if outcome.diff else 0)
    for out_fmt, out_file in outputs:
        if out_file is not None:
            _emit(report, out_fmt, out_file, color)
    for out_fmt, out_file in outputs:
        if out_file is None:
            _emit(report, out_fmt, None, color)
    _err(f"Fixed {outcome.fixed} finding{'s' if outcome.fixed != 1 else ''} "
         f"({len(outcome.files)} file{'s' if len(outcome.files) != 1 else ''})")
    if report.errors:
        return 2
    return 1 if report.failing else 0


def _fleet(drivers: tuple[str, ...], gpus: tuple[str, ...], detect_host: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """--driver/--gpu, plus this machine's when --detect-host; a host without GPUs is a notice, not an error."""
    import re

    for driver in drivers:
        if not re.fullmatch(r"\d+(\.\d+){0,2}", driver.strip()):
            raise UsageError("--driver", f"{driver!r} is not a driver version such as 535.104.05")
    if not detect_host:
        return drivers, gpus
    from .cuda.host import detect_host as probe

    info = probe()
    if info.error:
        _err(f"mllint: {info.error}")
        return drivers, gpus
    _err(f"mllint: host ({info.via}): driver {', '.join(info.drivers)}; GPUs {', '.join(info.gpus) or 'none'}")
    return tuple(dict.fromkeys((*drivers, *info.drivers))), tuple(dict.fromkeys((*gpus, *info.gpus)))


def _outputs(specs: tuple[str, ...], output: Path | None) -> list[tuple[str, Path | None]]:
    """--format FORMAT[:FILE]... (+ --output for the one without FILE) → [(format, file or None)]."""
    outputs: list[tuple[str, Path | None]] = []
    for spec in specs or ("text",):
        name, sep, file = spec.partition(":")
        if name.lower() not in REPORT_FORMATS:
            raise UsageError("--format", f"{name!r} is not one of {', '.join(REPORT_FORMATS)}")
        if sep and not file:
            raise UsageError("--format", f"{spec!r}: FILE is empty")
        outputs.append((name.lower(), Path(file) if sep else None))
    to_stdout = [i for i, (_, f) in enumerate(outputs) if f is None]
    if len(to_stdout) > 1:
        raise UsageError("--format", "at most one format can go to standard output; give the others a FILE "
                                 "(--format sarif:mllint.sarif)")
    if output is not None:
        if not to_stdout:
            raise UsageError("--output", "every --format names its FILE, so --output has nothing to write")
        outputs[to_stdout[0]] = (outputs[to_stdout[0]][0], output)
    files = [f.resolve() for _, f in outputs if f is not None]
    if len(set(files)) != len(files):
        raise UsageError("--format", "two formats write the same FILE")
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


def image_command(a: argparse.Namespace) -> int:
    """Lint a built image: docker-archive:PATH, oci:DIR[:REF], oci-archive:PATH[:REF],
    docker-daemon:NAME:TAG, docker://REGISTRY/REPO:TAG, or a bare path or name:tag."""
    from .image.lint import describe, inspect, lint_image
    from .lint import Options

    outputs = _outputs(a.fmt, a.output)
    dockerfile, reference, color = a.dockerfile, a.reference, a.color
    try:
        if dockerfile is not None and not dockerfile.is_file():
            raise MllintError("no such Dockerfile", str(dockerfile))
        options = Options(
            config_file=a.config_file,
            target=a.target_stage,
            **_rule_and_baseline_options(a.select, a.ignore, a.baseline_file),
            fail_level=a.fail_level,
        )
        from .lint import Linter

        limits = Linter(options).config_for(dockerfile if dockerfile is not None else Path.cwd() / "image").limits
        gb = limits.get("max-layer-uncompressed-gb")
        facts = inspect(reference, a.platform, tuple(a.insecure), verify=not a.no_verify,
                        max_uncompressed=int(gb * (1 << 30)) if gb else None)
        report = lint_image(reference, options, dockerfile=dockerfile, facts=facts)
    except MllintError as exc:
        raise _fail(str(exc)) from None
    if a.show_facts:
        sys.stderr.write(describe(facts))
    for out_fmt, out_file in outputs:
        if out_file is not None:
            _emit(report, out_fmt, out_file, color)
    for out_fmt, out_file in outputs:
        if out_file is None:
            _emit(report, out_fmt, None, color)
    return 1 if report.failing else 0


def rules_command(a: argparse.Namespace) -> int:
    """List every rule: id, category, severity, fix, summary."""
    from .rules import all_rules

    rules = sorted(all_rules().values(), key=lambda r: r.id)
    if a.fmt == "json":
        import json

        print(json.dumps([
            {"id": r.id, "name": r.name, "category": r.category, "severity": r.severity,
             "fix": r.fix, "summary": r.summary} for r in rules], indent=2))
        return 0
    for r in rules:
        print(f"{r.id}  {r.category:<13} {r.severity:<7} fix:{r.fix:<6}  {r.name}: {r.summary}")
    return 0


def explain_command(a: argparse.Namespace) -> int:
    """Show one rule: why it matters, how to fix it, examples."""
    from .rules import all_rules

    rule = all_rules().get(a.rule_id.upper())
    if rule is None:
        raise _fail(f"no rule {a.rule_id!r}; `mllint rules` lists them")
    print(f"{rule.id} {rule.name} ({rule.category}, {rule.severity}, fix: {rule.fix})\n")
    print(rule.summary + "\n")
    print(rule.rationale + "\n")
    if rule.fix_description:
        print(f"Fix: {rule.fix_description}\n")
    for label, examples in (("Bad", rule.examples_bad), ("Good", rule.examples_good)):
        for example in examples:
            print(f"{label}:")
            from .ruledocs import _files

            files = _files(example)
            for name, text in files.items():
                if len(files) > 1:
                    print(f"  # {name}")
                print("".join(f"    {line}\n" for line in str(text).splitlines()))
    return 0


# command: (one-line help, description, arguments, handler); only the command being run is built
_COMMANDS = {
    "check": ("Lint Dockerfiles (the default command).",
              "Lint Dockerfiles (and the folders holding them) with their build context.",
              _check_arguments, check_command),
    "image": ("Lint a built image.",
              "Lint a built image: docker-archive:PATH, oci:DIR[:REF], oci-archive:PATH[:REF], "
              "docker-daemon:NAME:TAG, docker://REGISTRY/REPO:TAG, or a bare path or name:tag.",
              _image_arguments, image_command),
    "rules": ("List every rule.", "List every rule: id, category, severity, fix, summary.",
              _rules_arguments, rules_command),
    "explain": ("Show one rule.", "Show one rule: why it matters, how to fix it, examples.",
                _explain_arguments, explain_command),
}


def _command_parser(name: str) -> argparse.ArgumentParser:
    _, description, arguments, _ = _COMMANDS[name]
    parser = _Parser(prog=f"mllint {name}", description=description, allow_abbrev=False, formatter_class=_Formatter)
    arguments(parser)
    return parser


def _root_parser() -> argparse.ArgumentParser:
    """For `mllint --help` and `--version`: every command listed."""
    root = _Parser(prog="mllint", allow_abbrev=False, formatter_class=_Formatter,
                   description="Lint Dockerfiles that ship machine-learning code, with their requirement files. "
                               "`mllint PATH...` is `mllint check PATH...`.")
    root.add_argument("--version", action="version", version=f"mllint {__version__}")
    commands = root.add_subparsers(dest="command", metavar="COMMAND")
    for name, (summary, description, arguments, _) in _COMMANDS.items():
        arguments(commands.add_parser(name, help=summary, description=description, allow_abbrev=False,
                                      formatter_class=_Formatter))
    return root


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default: the process's arguments), run the command; the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in _COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "check")  # `mllint Dockerfile` means `mllint check Dockerfile`
    try:
        if argv[0] not in _COMMANDS:
            _root_parser().parse_args(argv)  # --help or --version: prints and exits
        args = _command_parser(argv[0]).parse_args(argv[1:])
        return _COMMANDS[argv[0]][3](args)
    except UsageError as exc:
        _err(f"mllint: error: {safe(str(exc))}")
        return 2
    except SystemExit as exc:  # argparse's --help/--version/errors, and _fail()
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)


def run() -> None:
    """Console entry point: never a traceback for the user."""
    try:
        code = main()
    except KeyboardInterrupt:
        _err("mllint: interrupted")
        code = 130
    except BrokenPipeError:  # `mllint … | head`: the reader has gone, nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush cannot fail again
        code = 1
    except Exception as exc:  # a bug in mllint: say so plainly, without a traceback
        if os.environ.get("MLLINT_DEBUG"):
            raise
        _err(f"mllint: internal error: {exc.__class__.__name__}: {safe(str(exc))} "
             "(set MLLINT_DEBUG=1 for details and please report it)")
        code = 2
    sys.exit(code)
