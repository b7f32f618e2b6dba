"""Coverage-guided fuzzing of mllint's parsers with atheris (libFuzzer), for long runs outside CI.

    pip install atheris            # not a dependency of mllint, not in any extra
    python fuzz/fuzz_parsers.py -max_total_time=3600 -rss_limit_mb=4096 fuzz/corpus
    python fuzz/fuzz_parsers.py -runs=100000 -max_len=65536           # a bounded run

The first input byte picks the parser; the rest is its input. Any exception other than a
MllintError (the clean, user-facing error) is a bug: libFuzzer stops and writes the input as
crash-<sha1>. Reproduce with ``python fuzz/fuzz_parsers.py crash-<sha1>`` and turn it into a
regression test in tests/test_fuzz_parsers.py or tests/test_hostile_inputs.py.
"""

from __future__ import annotations

import io
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import atheris  # noqa: E402

with atheris.instrument_imports():
    from mllint.context import DockerIgnore
    from mllint.deps.commands import recognise
    from mllint.deps.conda_env import parse_environment
    from mllint.deps.pyproject import parse_pyproject
    from mllint.deps.requirements import parse_requirements
    from mllint.deps.specs import parse_conda_spec, parse_pip_spec
    from mllint.dockerfile.expand import expand
    from mllint.dockerfile.parser import parse_dockerfile
    from mllint.dockerfile.shell import commands_of, split_commands
    from mllint.errors import MllintError
    from mllint.image.registry import parse as parse_registry_ref
    from mllint.image.walk import scan_blob
    from mllint.imageref import parse_image_ref
    from mllint.model import SourceMap


def _dockerfile(text: str) -> None:
    d = parse_dockerfile(text, "Dockerfile")
    for ins in d.instructions:
        for command in commands_of(ins, d.escape):
            recognise(command, ins.variables)
        expand(ins.args, ins.variables, escape=d.escape)


def _dockerignore(text: str) -> None:
    rules, _, path = text.partition("\n\n")
    DockerIgnore.parse(rules).excluded(path[:4096] or ".")


TEXT_TARGETS = [
    _dockerfile,
    lambda t: split_commands(t, SourceMap.single(1, 1)),
    lambda t: expand(t, {}, unquote=True),
    lambda t: parse_requirements(t, "requirements.txt"),
    lambda t: parse_environment(t, "environment.yml"),
    lambda t: parse_pyproject(t, "pyproject.toml"),
    parse_pip_spec,
    parse_conda_spec,
    _dockerignore,
    parse_image_ref,
    lambda t: parse_registry_ref(t, "ref"),
]


def TestOneInput(data: bytes) -> None:
    if not data:
        return
    pick, body = data[0], data[1:]
    try:
        if pick % (len(TEXT_TARGETS) + 1) == len(TEXT_TARGETS):
            scan_blob(io.BytesIO(body))  # tar headers, gzip and zstd streams
            return
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return  # mllint refuses non-UTF-8 files before parsing (tests/test_hostile_inputs.py)
        TEXT_TARGETS[pick % (len(TEXT_TARGETS) + 1)](text)
    except MllintError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
