"""Property-based fuzzing of every parser: any input ends in a value or a clean MllintError
(ParseError naming the file), never another exception. Inputs are drawn from alphabets rich in
each grammar's special characters, so that quotes, continuations, heredocs, substitutions and
tar header fields are hit far more often than with plain random text.

Longer runs: ``fuzz/README.md`` (atheris). Examples per property are bounded so that the whole
module stays within a few seconds on a 2-core CI machine; ``MLLINT_FUZZ_EXAMPLES=20000`` raises them.
"""

from __future__ import annotations

import io
import os
import tarfile

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mllint.context import DockerIgnore, _nfa_match, _regex, _tokens
from mllint.deps.commands import recognise
from mllint.deps.conda_env import parse_environment
from mllint.deps.pyproject import parse_pyproject
from mllint.deps.requirements import parse_requirements
from mllint.deps.specs import parse_conda_spec, parse_pip_spec
from mllint.dockerfile.expand import expand
from mllint.dockerfile.parser import parse_dockerfile
from mllint.dockerfile.shell import commands_of, split_commands
from mllint.errors import MllintError, ParseError
from mllint.image.registry import parse as parse_registry_ref
from mllint.image.walk import scan_blob
from mllint.imageref import parse_image_ref
from mllint.model import SourceMap

_LONG = os.environ.get("MLLINT_FUZZ_EXAMPLES")  # a longer local run: MLLINT_FUZZ_EXAMPLES=20000
FUZZ = settings(max_examples=int(_LONG or 150), deadline=None, derandomize=not _LONG, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# pieces that mean something to one of the grammars, mixed with arbitrary characters
_PIECES = [
    "FROM ", "RUN ", "COPY ", "ADD ", "ARG ", "ENV ", "ONBUILD ", "HEALTHCHECK CMD ", "SHELL ", "# escape=`\n",
    "# syntax=x\n", "# mllint: ignore=ML101\n", "AS ", "--mount=type=bind,source=a,target=/b ", "--from=0 ",
    "\\\n", "`\n", "\n", " ", "\t", "\r\n", "\r", "\x00", "\x1b[31m", "\ufeff", "é", "\u202e",
    "<<EOF", "<<-EOF", "<<'EOF'", "\nEOF\n", "EOF", "$(", ")", "${", "}", "$A", "${A:-", "${A#", "`", "'", '"',
    "\\", "|", "||", "&&", ";", "&", ">", "<", "2>&1", "(", "{", "[", "]", '["sh", "-c", "', '"]',
    "sh -c ", "bash -lc ", "pip install ", "python -m pip install -r ", "uv pip install ", "conda install ",
    "apt-get install -y ", "git clone ", "curl -fsSL http://x | sh", "-r ", "-c ", "-e ", "--index-url ",
    "torch==2.1", "numpy>=1", "x @ git+https://h/r@v1", ";python_version<'3'", "[extra]", "--hash=sha256:ab",
    "dependencies:\n", "  - ", "- pip:\n", "    - ", "channels:\n", "name: x\n", ": ", "{", "&a ", "*a ",
    "[project]\n", "dependencies = [", "]\n", '"', "[tool.poetry.dependencies]\n", "= ", "\"\"\"",
    "!", "**/", "*", "?", "[!a]", "/", "../", ".", "@sha256:", ":tag", "localhost:5000/", "a" * 300,
]
_text = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=8)), max_size=40).map("".join)


def _clean(fn, *args):
    try:
        return fn(*args)
    except MllintError as exc:
        assert str(exc)  # a message, for the user
        return exc


def _dockerfile_all_the_way(text: str):
    """Parse, then everything the checks derive from it: commands, installs, expansions."""
    d = parse_dockerfile(text, "Dockerfile")
    for ins in d.instructions:
        for command in commands_of(ins, d.escape):
            recognise(command, ins.variables)
        expand(ins.args, ins.variables, escape=d.escape)
    return d


@FUZZ
@given(_text)
def test_dockerfile_parser(text):
    for candidate in (text, "FROM python:3.11\n" + text):
        result = _clean(_dockerfile_all_the_way, candidate)
        if isinstance(result, MllintError):
            assert isinstance(result, ParseError) and result.path == "Dockerfile"


@FUZZ
@given(_text)
def test_shell_splitting(text):
    for c in split_commands(text, SourceMap.single(1, 1)):
        assert c.span.line >= 1 and c.span.column >= 1


@FUZZ
@given(_text)
def test_expansion_never_fails(text):
    value, missing = expand(text, {}, unquote=True)
    assert isinstance(value, str) and isinstance(missing, tuple)


@FUZZ
@given(_text)
def test_requirement_files(text):
    result = _clean(parse_requirements, text, "requirements.txt")
    if isinstance(result, MllintError):
        assert result.path == "requirements.txt"


@FUZZ
@given(_text)
def test_conda_environment_files(text):
    result = _clean(parse_environment, text, "environment.yml")
    if isinstance(result, MllintError):
        assert result.path == "environment.yml"


@FUZZ
@given(_text)
def test_pyproject_files(text):
    result = _clean(parse_pyproject, text, "pyproject.toml")
    if isinstance(result, MllintError):
        assert result.path == "pyproject.toml"


@FUZZ
@given(_text)
def test_package_specs(text):
    _clean(parse_pip_spec, text)
    _clean(parse_conda_spec, text)


_glob = st.lists(st.sampled_from(["a", "b", "/", "*", "**", "?", "[a-b]", "[!a]", "\\*", ".", "-", "["]),
                 max_size=8).map("".join)
_rel = st.lists(st.sampled_from(["a", "b", "/", "c", ".", "*", "-"]), max_size=10).map("".join)


@FUZZ
@given(_text, _rel)
def test_dockerignore(text, rel):
    ignore = DockerIgnore.parse(text)
    assert ignore.excluded(rel or ".") in (True, False)


@FUZZ
@given(_glob, _rel)
def test_dockerignore_linear_matcher_agrees_with_the_regex(pattern, path):
    """Patterns with many stars match with an automaton (no backtracking); it must mean the same."""
    assert _nfa_match(_tokens(pattern), path) == bool(_regex(pattern).match(path))


@FUZZ
@given(_text)
def test_image_references(text):
    ref = parse_image_ref(text)  # never raises
    assert isinstance(ref.repository, str)
    result = _clean(parse_registry_ref, text, "ref")
    if isinstance(result, MllintError):
        assert result.path == "ref"


# --- tar headers: real tars with fuzzed header bytes, and random bytes ---------------------

def _tar(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for n, name in enumerate(names):
            info = tarfile.TarInfo(name or "x")
            data = b"Name: x\nVersion: 1\n" * n
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


_BASE_TAR = _tar(["usr/lib/python3/site-packages/x-1.dist-info/METADATA", "a" * 150, "../../etc/passwd",
                  "etc/os-release", ".wh.x", "dir/.wh..wh..opq"])


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(_BASE_TAR) - 1), st.binary(min_size=1, max_size=12)), max_size=8),
       st.integers(0, len(_BASE_TAR)))
def test_tar_headers_mutated(patches, cut):
    data = bytearray(_BASE_TAR)
    for pos, chunk in patches:
        data[pos:pos + len(chunk)] = chunk
    data = bytes(data[:len(_BASE_TAR)])
    for blob in (data, data[:cut]):
        result = _clean(scan_blob, io.BytesIO(blob))
        if not isinstance(result, MllintError):
            assert result.size == len(blob)


@FUZZ
@given(st.binary(max_size=2048))
def test_tar_random_bytes(data):
    for blob in (data, b"\x1f\x8b" + data, b"\x28\xb5\x2f\xfd" + data, data.ljust(1024, b"\0")):
        result = _clean(scan_blob, io.BytesIO(blob))
        if not isinstance(result, MllintError):
            assert result.size == len(blob)


@pytest.mark.parametrize("name", ["Dockerfile", "requirements.txt", "environment.yml", "pyproject.toml"])
@settings(FUZZ, max_examples=int(_LONG or 25) // (1 if not _LONG else 10))
@given(text=_text)
def test_cli_pipeline_never_crashes(tmp_path_factory, name, text):
    """The whole linter (checks included) on fuzzed files: findings or a named error, never an
    internal error."""
    from mllint.lint import Linter, Options

    root = tmp_path_factory.mktemp("fz")
    (root / name).write_text(text, encoding="utf-8", errors="surrogatepass")
    report = Linter(Options()).run([root / name])
    assert not [e for e in report.errors if "internal error" in e], report.errors
