"""Dependency files: pip requirement files, conda environment files, pyproject.toml."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from mllint.deps.conda_env import parse_environment
from mllint.deps.pyproject import find_lock, parse_pyproject
from mllint.deps.requirements import load_requirements, parse_requirements
from mllint.errors import ParseError
from mllint.model import Span

SHA = "0a7af19f4dc868bafc82f35eb7e8d13bac87a594"


def only(items):
    assert len(items) == 1, items
    return items[0]


def by_name(requirements):
    return {r.spec.name: r for r in requirements}


def source_at(text: str, span: Span) -> str:
    """The text a single-line span covers."""
    assert span.line == span.end_line
    return text.splitlines()[span.line - 1][span.column - 1 : span.end_column - 1]


# --------------------------------------------------------------------------- requirements


def test_requirements_names_pins_and_spans():
    text = "numpy==1.26.4\n\n   torch>=2.1   # why not\nscipy\n"
    reqs = parse_requirements(text, "req.txt").requirements
    assert [(r.spec.name, r.spec.pinned) for r in reqs] == [("numpy", True), ("torch", False), ("scipy", False)]
    assert reqs[0].span == Span(1, 1, 1, 14)
    assert reqs[1].text == "torch>=2.1"
    assert reqs[1].span == Span(3, 4, 3, 14)
    assert reqs[2].span.line == 4
    assert all(r.path == "req.txt" for r in reqs)


def test_requirements_markers_extras_and_name_at_url():
    text = (
        'torch==2.2.1 ; python_version < "3.11"\n'
        "requests[socks,security]==2.31.0\n"
        "clip @ https://example.com/clip-1.0-py3-none-any.whl#sha256=abc  # comment\n"
    )
    torch, requests, clip = parse_requirements(text, "r.txt").requirements
    assert torch.spec.marker == 'python_version < "3.11"'
    assert torch.text == 'torch==2.2.1 ; python_version < "3.11"'
    assert requests.spec.extras == ("security", "socks")
    assert requests.spec.pinned
    # "#sha256" is not a comment: no whitespace before it.
    assert clip.text == "clip @ https://example.com/clip-1.0-py3-none-any.whl#sha256=abc"
    assert (clip.spec.name, clip.spec.kind) == ("clip", "url")
    assert source_at(text, clip.span) == clip.text


def test_requirements_vcs_full_commit_versus_branch():
    text = f"git+https://github.com/org/a.git@{SHA}#egg=a\nb @ git+https://github.com/org/b.git@main\n"
    a, b = parse_requirements(text, "r.txt").requirements
    assert (a.spec.kind, a.spec.name, a.spec.vcs_ref, a.spec.pinned) == ("vcs", "a", SHA, True)
    assert (b.spec.kind, b.spec.name, b.spec.vcs_ref, b.spec.pinned) == ("vcs", "b", "main", False)


def test_requirements_editable_and_local_paths():
    text = "-e .\n--editable=git+https://github.com/org/x.git@dev#egg=x\n./wheels/tool-1.0-py3-none-any.whl\n.\n"
    dot, x, wheel, here = parse_requirements(text, "r.txt").requirements
    assert dot.editable and dot.text == "." and dot.span == Span(1, 4, 1, 5)
    assert x.editable and x.spec.kind == "vcs" and x.span == Span(2, 12, 2, 54)
    assert not wheel.editable and wheel.spec.kind == "path" and wheel.spec.pinned
    assert here.text == "." and here.spec.kind == "path"


def test_requirements_hashes_on_continuation_lines_keep_positions():
    text = (
        "numpy==1.26.4 \\\n"
        "    --hash=sha256:aaa \\\n"
        "    --hash sha256:bbb  # mllint: ignore=ML105, ML106\n"
        "  pandas\\\n"
        "==2.2.0\n"
    )
    numpy, pandas = parse_requirements(text, "r.txt").requirements
    assert numpy.hashes == ("sha256:aaa", "sha256:bbb")
    assert numpy.span == Span(1, 1, 1, 14)
    assert numpy.ignores == {"ML105", "ML106"}
    # A requirement split over two lines: the span starts and ends on the real lines.
    assert pandas.text == "pandas==2.2.0"
    assert pandas.span == Span(4, 3, 5, 8)
    assert pandas.spec.pinned


def test_requirements_comment_line_ends_a_continuation():
    text = "numpy==1.0 \\\n# just a note\nscipy==1.0\n"
    numpy, scipy = parse_requirements(text, "r.txt").requirements
    assert numpy.text == "numpy==1.0"
    assert scipy.span.line == 3


def test_requirements_global_options_and_includes():
    text = (
        "--index-url https://pypi.example.com/simple\n"
        "--extra-index-url=https://download.pytorch.org/whl/cu121\n"
        "-f ./wheels\n"
        "--pre --no-index\n"
        "--trusted-host pypi.example.com\n"
        "--require-hashes\n"
        "--only-binary :all:\n"
        "-r base.txt\n"
        "--constraint=constraints.txt\n"
        "-ihttps://other/simple\n"
        "--extra-index https://abbrev/simple\n"
    )
    f = parse_requirements(text, "r.txt")
    assert f.requirements == ()
    assert f.index_urls == (
        ("https://pypi.example.com/simple", Span(1, 13, 1, 44)),
        ("https://other/simple", Span(10, 3, 10, 23)),
    )
    extra = [url for url, _ in f.extra_index_urls]
    assert extra == ["https://download.pytorch.org/whl/cu121", "https://abbrev/simple"]
    assert f.extra_index_urls[0][1] == Span(2, 19, 2, 57)
    assert f.find_links == (("./wheels", Span(3, 4, 3, 12)),)
    assert f.require_hashes
    assert [(name, value) for name, value, _ in f.options] == [
        ("--pre", None),
        ("--no-index", None),
        ("--trusted-host", "pypi.example.com"),
        ("--only-binary", ":all:"),
    ]
    base, constraints = f.includes
    assert (base.path, base.constraint, base.span) == ("base.txt", False, Span(8, 4, 8, 12))
    assert (constraints.path, constraints.constraint) == ("constraints.txt", True)
    assert constraints.span == Span(9, 14, 9, 29)


def test_requirements_quoted_option_values_and_config_settings():
    text = '--index-url "https://x/simple"\npkg==1.0 --config-settings="--build-option=--cpu"\n'
    f = parse_requirements(text, "r.txt")
    assert f.index_urls[0][0] == "https://x/simple"
    assert only(f.requirements).options == (("--config-settings", "--build-option=--cpu"),)


def test_requirements_env_vars_are_kept_verbatim():
    text = "${WHEEL_DIR}/torch-2.1.0-cp311-none-linux_x86_64.whl\n-r ${REQS}/base.txt\n"
    f = parse_requirements(text, "r.txt")
    assert only(f.requirements).text.startswith("${WHEEL_DIR}/")
    assert only(f.includes).path == "${REQS}/base.txt"


def test_requirements_ignore_file_directive():
    f = parse_requirements("# mllint: ignore-file=ML105,ML114\nnumpy\n", "r.txt")
    assert f.file_ignores == {"ML105", "ML114"}
    assert only(f.requirements).ignores == frozenset()


@pytest.mark.parametrize(
    "text,problem",
    [
        ("numpy\n--frobnicate\n", "no such option: --frobnicate"),
        ("numpy\n-x foo\n", "no such option: -x"),
        ("numpy --hash=md5:abc\n", "allowed hash algorithms"),
        ("numpy --hash=abc\n", "hash name followed by a value"),
        ("--pre=yes\n", "does not take a value"),
        ("-r\n", "requires 1 argument"),
        ("--p x\n", "ambiguous option"),
        ('--index-url "https://x\n', "no closing quotation"),
        ("pkg -C novalue\n", "KEY=VAL"),
    ],
)
def test_requirements_bad_options_name_the_file_and_line(text, problem):
    with pytest.raises(ParseError) as exc:
        parse_requirements(text, "reqs/prod.txt")
    message = str(exc.value)
    assert problem in message
    line = text.count("\n", 0, text.index(text.strip().splitlines()[-1])) + 1
    assert message.startswith(f"reqs/prod.txt:{line}: ")


# --------------------------------------------------------------------------- loading and includes


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_load_follows_includes_relative_to_the_including_file(tmp_path):
    top = write(tmp_path / "requirements.txt", "-r reqs/base.txt\nflask==3.0.0\n")
    write(tmp_path / "reqs/base.txt", "-c ../constraints/pins.txt\n-r common/extra.txt\nnumpy\n")
    write(tmp_path / "reqs/common/extra.txt", "scipy==1.11.4\n")
    write(tmp_path / "constraints/pins.txt", "numpy==1.26.4\n")
    files = load_requirements(top, "requirements.txt")
    assert [f.path for f in files] == [
        "requirements.txt",
        "reqs/base.txt",
        "constraints/pins.txt",
        "reqs/common/extra.txt",
    ]
    assert [f.constraint for f in files] == [False, False, True, False]
    assert all(f.missing_includes == () for f in files)
    assert files[2].requirements[0].path == "constraints/pins.txt"


def test_load_terminates_on_include_cycles(tmp_path):
    a = write(tmp_path / "a.txt", "-r b.txt\nnumpy==1.0\n")
    write(tmp_path / "b.txt", "-r a.txt\n-r ./b.txt\nscipy==1.0\n")
    files = load_requirements(a, "a.txt")
    assert [f.path for f in files] == ["a.txt", "b.txt"]
    assert all(f.missing_includes == () for f in files)


def test_load_records_missing_includes_and_keeps_urls_unfetched(tmp_path):
    top = write(
        tmp_path / "requirements.txt",
        "numpy==1.0\n-r https://example.com/reqs.txt\n  -r   missing.txt\n-c sub\n",
    )
    (tmp_path / "sub").mkdir()  # a folder cannot be read: recorded as missing too
    only_file = only(load_requirements(top, "requirements.txt"))
    missing, folder = only_file.missing_includes
    assert missing.path == "missing.txt" and missing.span == Span(3, 8, 3, 19)
    assert folder.path == "sub" and folder.constraint
    assert [i.path for i in only_file.includes] == ["https://example.com/reqs.txt", "missing.txt", "sub"]


def test_load_reads_bom_and_crlf(tmp_path):
    top = tmp_path / "r.txt"
    top.write_bytes("\ufeffnumpy==1.0\r\ntorch \\\r\n  >=2\r\n".encode())
    numpy, torch = load_requirements(top, "r.txt")[0].requirements
    assert numpy.span == Span(1, 1, 1, 11)
    assert torch.text == "torch   >=2"
    assert torch.span == Span(2, 1, 3, 6)


def test_load_uses_the_injected_reader(tmp_path):
    contents = {tmp_path / "top.txt": b"-r inc.txt\n", tmp_path / "inc.txt": b"numpy==1.0\n"}

    def read(path: Path) -> bytes:
        if path not in contents:
            raise FileNotFoundError(2, "No such file or directory", str(path))
        return contents[path]

    files = load_requirements(tmp_path / "top.txt", "top.txt", read=read)
    assert [f.path for f in files] == ["top.txt", "inc.txt"]


def test_load_rejects_unreadable_top_files(tmp_path):
    with pytest.raises(ParseError, match=r"^gone\.txt: cannot read requirements file"):
        load_requirements(tmp_path / "gone.txt", "gone.txt")
    with pytest.raises(ParseError, match=r"^folder: cannot read requirements file"):
        load_requirements(tmp_path, "folder")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"caf\xe9==1.0\n")
    with pytest.raises(ParseError, match=r"^latin1\.txt: not valid UTF-8"):
        load_requirements(bad, "latin1.txt")


def test_load_names_a_broken_included_file(tmp_path):
    top = write(tmp_path / "r.txt", "-r sub/inc.txt\n")
    write(tmp_path / "sub/inc.txt", "numpy\n--bogus\n")
    with pytest.raises(ParseError, match=r"^sub/inc\.txt:2: "):
        load_requirements(top, "r.txt")


# --------------------------------------------------------------------------- conda


ENVIRONMENT = """\
# mllint: ignore-file=ML999
name: serve
channels:
  - pytorch
  - "conda-forge"
dependencies:
  - python=3.11.8
  - pytorch::pytorch=2.2.1=py3.11_cuda12.1_cudnn8.9.2_0  # mllint: ignore=ML108
  - numpy>=1.26
  - pip
  - pip:
      - transformers==4.40.0  # mllint: ignore=ML105
      - 'accelerate>=0.28'
      - -r requirements-serve.txt
      - --extra-index-url https://download.pytorch.org/whl/cu121
      - git+https://github.com/org/lib.git@main#egg=lib
"""


def test_environment_channels_and_conda_dependencies():
    env = parse_environment(ENVIRONMENT, "environment.yml")
    assert env.name == "serve"
    assert env.channels == (("pytorch", Span(4, 5, 4, 12)), ("conda-forge", Span(5, 6, 5, 17)))
    python, torch, numpy, pip = env.dependencies
    assert (python.spec.name, python.spec.pinned, python.span) == ("python", True, Span(7, 5, 7, 18))
    assert torch.spec.pinned and torch.ignores == {"ML108"}
    assert not numpy.spec.pinned
    assert pip.text == "pip"
    assert env.file_ignores == {"ML999"}


def test_environment_pip_section():
    env = parse_environment(ENVIRONMENT, "environment.yml")
    transformers, accelerate, lib = env.pip
    assert transformers.spec.pinned and transformers.span == Span(12, 9, 12, 29)
    assert transformers.ignores == {"ML105"}
    assert source_at(ENVIRONMENT, transformers.span) == "transformers==4.40.0"
    # Quoted scalars: the span covers the text inside the quotes.
    assert accelerate.span == Span(13, 10, 13, 26) and not accelerate.spec.pinned
    assert lib.spec.kind == "vcs" and not lib.spec.pinned
    assert env.pip_file is not None
    include = only(env.pip_file.includes)
    assert (include.path, include.span) == ("requirements-serve.txt", Span(14, 12, 14, 34))
    assert env.pip_file.extra_index_urls[0][0] == "https://download.pytorch.org/whl/cu121"


def test_environment_without_pip_section():
    env = parse_environment("dependencies:\n- numpy=1.26.4\n", "env.yml")
    assert env.name is None and env.channels == () and env.pip == () and env.pip_file is None


@pytest.mark.parametrize(
    "text,problem,line",
    [
        ("name: [unclosed\n", "invalid YAML", 2),
        ("- numpy\n- scipy\n", "must be a mapping", 1),
        ("", "empty environment file", None),
        ("channels: conda-forge\n", "'channels' must be a list", 1),
        ("dependencies:\n  - numpy\n  - conda: [x]\n", "'pip:' list", 3),
        ("dependencies:\n  - [numpy]\n", "conda spec or a 'pip:' list", 2),
        ("dependencies:\n  - pip:\n    - {a: 1}\n", "each entry of 'pip' must be a string", 3),
        ("a: 1\n---\nb: 2\n", "invalid YAML", 2),
        ("name: x\x00\n", "binary file", 1),
    ],
)
def test_environment_errors_name_the_file(text, problem, line):
    with pytest.raises(ParseError) as exc:
        parse_environment(text, "environment.yml")
    assert problem in exc.value.message
    assert exc.value.path == "environment.yml"
    assert exc.value.line == line


def test_environment_deep_nesting_is_a_parse_error():
    with pytest.raises(ParseError, match="environment.yml"):
        parse_environment("a: " + "[" * 5000 + "]" * 5000, "environment.yml")


# --------------------------------------------------------------------------- pyproject


PYPROJECT = """\
# mllint: ignore-file=ML999
[build-system]
requires = ["setuptools>=68", "wheel==0.42.0"]

[project]
name = "serve"
dependencies = [
    "torch==2.2.1",  # mllint: ignore=ML105
    'numpy>=1.26',
    "transformers[torch] @ git+https://github.com/huggingface/transformers@%s",
]

[project.optional-dependencies]
gpu = ["cupy-cuda12x==13.0.0", "triton"]

[dependency-groups]
test = ["pytest>=8", {include-group = "lint"}]
lint = ["ruff==0.4.4"]
""" % SHA


def test_pyproject_pep621_dependencies_with_spans():
    project = parse_pyproject(PYPROJECT, "pyproject.toml")
    assert project.name == "serve"
    torch, numpy, transformers, cupy, triton, pytest_, ruff = project.dependencies
    assert torch.span == Span(8, 6, 8, 18) and torch.spec.pinned and torch.ignores == {"ML105"}
    assert numpy.span == Span(9, 6, 9, 17) and not numpy.spec.pinned
    assert transformers.spec.kind == "vcs" and transformers.spec.pinned
    assert transformers.spec.extras == ("torch",)
    assert (cupy.section, cupy.group, cupy.span) == ("optional", "gpu", Span(14, 9, 14, 29))
    assert (triton.group, triton.spec.pinned) == ("gpu", False)
    assert (pytest_.section, pytest_.group) == ("group", "test")
    assert (ruff.group, ruff.spec.pinned) == ("lint", True)
    for dep in (torch, numpy, transformers, cupy, triton, pytest_, ruff):
        assert source_at(PYPROJECT, dep.span) == dep.text
    assert project.file_ignores == {"ML999"}


def test_pyproject_build_requires():
    setuptools, wheel = parse_pyproject(PYPROJECT, "pyproject.toml").build_requires
    assert (setuptools.section, setuptools.spec.pinned, setuptools.span) == ("build", False, Span(3, 14, 3, 28))
    assert wheel.spec.pinned


def test_pyproject_multiline_and_inline_forms():
    text = 'project = {name = "x", dependencies = [\n  "a==1.0",\n  """b>=2""", # note\n]}\n'
    a, b = parse_pyproject(text, "pyproject.toml").dependencies
    assert a.span == Span(2, 4, 2, 10)
    assert b.span == Span(3, 6, 3, 10)


POETRY = """\
[tool.poetry]
name = "svc"

[tool.poetry.dependencies]
python = "^3.11"
numpy = "^1.26"
scipy = "1.11.4"
pandas = "==2.2.0"
requests = "~2.31"
rich = "*"
torch = ">=2.1"
"Pillow" = {version = "10.2.0", extras = ["jpeg"]}
mylib = {git = "https://github.com/org/mylib.git", rev = "%s"}
otherlib = {git = "https://github.com/org/otherlib.git", branch = "main"}

[tool.poetry.group.dev.dependencies]
black = "24.3.0"
""" % SHA


def test_poetry_only_exact_versions_are_pinned():
    project = parse_pyproject(POETRY, "pyproject.toml")
    assert project.name == "svc" and project.requires_python == "^3.11"
    deps = {d.spec.name: d for d in project.dependencies}
    assert "python" not in deps
    pinned = {name: d.spec.pinned for name, d in deps.items()}
    assert pinned == {
        "numpy": False,
        "scipy": True,
        "pandas": True,
        "requests": False,
        "rich": False,
        "torch": False,
        "pillow": True,
        "mylib": True,
        "otherlib": False,
        "black": True,
    }
    assert deps["numpy"].constraint == "^1.26" and deps["numpy"].text == "numpy ^1.26"
    assert deps["pillow"].spec.extras == ("jpeg",)
    assert deps["numpy"].span == Span(6, 1, 6, 6)
    assert deps["pillow"].span == Span(12, 2, 12, 8)
    assert (deps["black"].section, deps["black"].group) == ("poetry", "dev")


@pytest.mark.parametrize(
    "text,problem,line",
    [
        ("[project\nname = 1\n", "invalid TOML", 1),
        ("[project]\ndependencies = \"numpy\"\n", "'project.dependencies' must be an array of strings", 2),
        ("[project]\ndependencies = [1]\n", "'project.dependencies.0' must be a string", 2),
        ("project = 3\n", "'project' must be a table", 1),
        ("[tool.poetry.dependencies]\nnumpy = 1\n", "must be a version string or a table", 2),
        ("a = 1\x00\n", "binary file", 1),
        ("a = " + "9" * 5000, "invalid TOML", None),
    ],
)
def test_pyproject_errors_name_the_file(text, problem, line):
    with pytest.raises(ParseError) as exc:
        parse_pyproject(text, "svc/pyproject.toml")
    assert problem in exc.value.message
    assert exc.value.path == "svc/pyproject.toml"
    assert exc.value.line == line


def test_find_lock():
    assert find_lock({"pyproject.toml", "poetry.lock", "README.md"}) == "poetry.lock"
    assert find_lock({"uv.lock", "poetry.lock"}) == "uv.lock"
    assert find_lock({"conda-lock.yml"}) == "conda-lock.yml"
    assert find_lock({"pylock.serve.toml"}) == "pylock.serve.toml"
    assert find_lock({"pyproject.toml", "requirements.txt"}) is None


# --------------------------------------------------------------------------- odd input


def garbage(seed: int) -> str:
    rng = random.Random(seed)
    alphabet = "ab=-#\\\"' :[]{}\n\t\r@;.,${}*~^\x00\x85\u2028\ufeff\udcff é"
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 80)))


@pytest.mark.parametrize("parse", [parse_requirements, parse_environment, parse_pyproject])
def test_odd_input_raises_only_parse_errors(parse):
    inputs = [garbage(seed) for seed in range(300)]
    inputs += [bytes(range(256)).decode("latin-1"), "\x00\x01\x02", "-", "--", "[[[", "{{{", "'''", '"""']
    for text in inputs:
        try:
            parse(text, "odd.file")
        except ParseError as exc:
            assert exc.path == "odd.file"
