"""Recognising installs, clones and downloads in shell commands."""

import textwrap

import pytest

from mllint.deps.commands import Fetch, GitCheckout, GitClone, HubDownload, Install, recognise
from mllint.dockerfile.parser import parse_dockerfile
from mllint.dockerfile.shell import commands_of, split_commands
from mllint.model import SourceMap, Span, Variable


def arg(name: str, value: str | None) -> Variable:
    return Variable(name, value, "arg", Span.point(1, 1))


def actions(text: str, variables=None) -> list:
    found = [recognise(c, variables or {}) for c in split_commands(text, SourceMap.single(1, 1))]
    return [a for a in found if a is not None]


def one(text: str, variables=None):
    (action,) = actions(text, variables)
    return action


def values(words) -> list[str]:
    return [w.value for w in words]


def texts(install: Install) -> list[str]:
    return [p.text for p in install.packages]


# --------------------------------------------------------------------------- pip


@pytest.mark.parametrize("program", [
    "pip", "pip3", "pip3.11", "/opt/venv/bin/pip", "python -m pip", "python3.11 -m pip",
    "/usr/bin/python3 -m pip", "py -m pip", "python3 -mpip", "python3 -u -X utf8 -m pip",
])
def test_pip_programs(program):
    install = one(f"{program} install torch")
    assert (install.manager, install.subcommand) == ("pip", "install")
    assert texts(install) == ["torch"]


@pytest.mark.parametrize("text", [
    "pip uninstall -y torch", "pip freeze", "pip download torch", "python3 setup.py install",
    "python -c 'import pip'", "python -m venv /opt/venv", "command -v pip", "pipx install ruff",
    "apt-get update", "conda clean -afy", "uv venv", "poetry lock",
])
def test_commands_that_install_nothing(text):
    assert actions(text) == []


def test_pip_options_consume_their_values():
    install = one(
        "pip install -i https://a/simple --index-url=https://b/simple --extra-index-url https://c"
        " -f /links --find-links=/more -t /dir --target=/d --prefix /p -c c.txt --trusted-host h"
        " --platform manylinux2014_x86_64 --python-version 3.11 --only-binary :all: --no-binary :none:"
        " --root /r --src /s --progress-bar off torch"
    )
    assert texts(install) == ["torch"]
    assert values(install.index_urls) == ["https://a/simple", "https://b/simple"]
    assert values(install.extra_index_urls) == ["https://c"]
    assert values(install.constraint_files) == ["c.txt"]
    assert {"--index-url", "--extra-index-url", "--find-links", "--target", "--prefix", "--constraint",
            "--trusted-host", "--platform", "--python-version", "--only-binary", "--no-binary",
            "--root"} <= install.options


def test_pip_short_options_are_normalised_and_clustered():
    install = one("pip install -qUr requirements.txt --no-cache -I --pre x")
    assert values(install.requirement_files) == ["requirements.txt"]
    assert {"--quiet", "--upgrade", "--requirement", "--no-cache-dir", "--ignore-installed", "--pre"} <= install.options
    assert texts(install) == ["x"]


def test_pip_global_options_before_the_subcommand():
    install = one("pip --no-cache-dir --disable-pip-version-check install x")
    assert texts(install) == ["x"]
    assert "--no-cache-dir" in install.options


def test_attached_value_has_its_own_span():
    install = one("pip install -rreq.txt --index-url=https://x/simple")
    (requirements,) = install.requirement_files
    assert requirements.value == "req.txt"
    assert requirements.span == Span(1, 15, 1, 22)
    (index,) = install.index_urls
    assert index.raw == "https://x/simple"
    assert index.span == Span(1, 35, 1, 51)


def test_projects_and_editables():
    install = one("pip install . -e . ./pkg '.[dev]' -e ../lib -e git+https://github.com/a/b@v1#egg=b dist/x-1.0.whl")
    assert values(install.projects) == [".", "../lib", ".", "./pkg", ".[dev]"]
    assert texts(install) == ["git+https://github.com/a/b@v1#egg=b", "dist/x-1.0.whl"]
    assert install.packages[0].spec.kind == "vcs"
    assert install.packages[1].spec.pinned


def test_quoted_specs_are_packages_not_redirects():
    install = one("""pip install "torch>=2.0" 'numpy<2' "transformers[torch]==4.41.2" """)
    assert texts(install) == ["torch>=2.0", "numpy<2", "transformers[torch]==4.41.2"]
    assert [p.spec.pinned for p in install.packages] == [False, False, True]
    assert install.command.redirects == ()


def test_unquoted_comparison_is_cut_by_the_shell():
    install = one("pip install torch>=2.0")
    assert texts(install) == ["torch"]
    assert install.command.redirects[0].target.value == "=2.0"


# --------------------------------------------------------------------------- variables


def test_arg_expansion_produces_pinned_spec():
    install = one("pip install torch==${TORCH} torchvision==$VISION", {
        "TORCH": arg("TORCH", "2.3.1"), "VISION": arg("VISION", "0.18.1"),
    })
    (torch, vision) = install.packages
    assert torch.text == "torch==2.3.1"
    assert torch.spec.pinned and torch.spec.version == "2.3.1"
    assert torch.word.value == "torch==${TORCH}"
    assert torch.unresolved == ()
    assert vision.spec.version == "0.18.1"


def test_arg_without_default_is_unresolved():
    install = one("pip install torch==${TORCH} numpy", {"TORCH": arg("TORCH", None)})
    (torch, numpy) = install.packages
    assert torch.unresolved == ("TORCH",)
    assert not torch.spec.pinned
    assert numpy.unresolved == ()


def test_unknown_variable_expanding_to_nothing_is_still_reported():
    install = one("pip install $EXTRA torch")
    assert [(p.text, p.unresolved) for p in install.packages] == [("", ("EXTRA",)), ("torch", ())]


def test_default_value_resolves():
    install = one("pip install torch==${TORCH:-2.2.0}", {"TORCH": arg("TORCH", None)})
    assert install.packages[0].spec.pinned
    assert install.packages[0].unresolved == ()


def test_unquoted_variable_splits_into_several_packages():
    install = one("pip install $PKGS", {"PKGS": arg("PKGS", "torch==2.3.1 numpy")})
    assert texts(install) == ["torch==2.3.1", "numpy"]
    assert install.packages[0].span == install.packages[1].span == Span(1, 13, 1, 18)


def test_quoted_variable_is_one_package_and_single_quotes_do_not_expand():
    variables = {"SPEC": arg("SPEC", "torch==2.3.1")}
    assert texts(one('pip install "$SPEC"', variables)) == ["torch==2.3.1"]
    assert texts(one("pip install 'torch==$SPEC'", variables)) == ["torch==$SPEC"]


def test_program_name_with_a_variable():
    install = one("pip${PY} install x && ${PIP} install y", {"PY": arg("PY", "3.11")})
    assert install.manager == "pip"
    assert [a.manager for a in actions("pip${PY} install x && ${PIP} install y", {"PIP": arg("PIP", "pip3")})] == [
        "pip", "pip",
    ]


def test_package_positions_inside_a_dockerfile():
    parsed = parse_dockerfile(textwrap.dedent("""\
        FROM python:3.11
        ARG TORCH=2.3.1
        RUN pip install --no-cache-dir \\
              torch==${TORCH} \\
              numpy
    """), "Dockerfile")
    run = parsed.instructions[-1]
    (command,) = commands_of(run)
    install = recognise(command, run.variables)
    assert [(p.text, p.spec.pinned, p.span) for p in install.packages] == [
        ("torch==2.3.1", True, Span(4, 7, 4, 22)),
        ("numpy", False, Span(5, 7, 5, 12)),
    ]


# --------------------------------------------------------------------------- uv, poetry, pipenv, pdm


def test_uv_pip_install_with_uv_options():
    install = one(
        "uv pip install --system --torch-backend cu121 --python 3.11 -p 3.12 --index https://x"
        " --default-index https://y --extra-index-url https://z --index-strategy unsafe-best-match torch"
    )
    assert (install.manager, install.subcommand) == ("uv", "install")
    assert texts(install) == ["torch"]
    assert values(install.index_urls) == ["https://y"]
    assert values(install.extra_index_urls) == ["https://z", "https://x"]
    assert {"--system", "--torch-backend", "--python"} <= install.options


def test_uv_subcommands():
    (add, sync, tool, pip_sync) = actions(
        "uv add 'fastapi==0.110.0' --rev main && uv sync --frozen --no-dev --extra gpu"
        " && uv tool install ruff && uv pip sync requirements.lock"
    )
    assert (add.subcommand, texts(add)) == ("add", ["fastapi==0.110.0"])
    assert (sync.subcommand, texts(sync)) == ("sync", [])
    assert {"--frozen", "--no-dev", "--extra"} <= sync.options
    assert (tool.subcommand, texts(tool)) == ("tool-install", ["ruff"])
    assert (pip_sync.subcommand, values(pip_sync.requirement_files)) == ("sync", ["requirements.lock"])


def test_lock_based_managers():
    (poetry, pipenv, pdm_install, pdm_sync, pdm_add) = actions(
        "poetry install --no-root --only main --with docs; pipenv install --deploy --system;"
        " pdm install --prod -G gpu; pdm sync; pdm add requests==2.32.3"
    )
    assert (poetry.manager, poetry.subcommand, texts(poetry)) == ("poetry", "install", [])
    assert {"--no-root", "--only", "--with"} <= poetry.options
    assert (pipenv.manager, pipenv.options >= {"--deploy", "--system"}) == ("pipenv", True)
    assert (pdm_install.subcommand, texts(pdm_install)) == ("install", [])
    assert pdm_sync.subcommand == "sync"
    assert pdm_add.packages[0].spec.pinned


# --------------------------------------------------------------------------- conda family


def test_conda_install_with_channels_and_environment():
    install = one("conda install -y -c pytorch -c nvidia --name base pytorch=2.3.1=py3.11_cuda12.1_0 'numpy>=1.26'")
    assert (install.manager, install.subcommand) == ("conda", "install")
    assert texts(install) == ["pytorch=2.3.1=py3.11_cuda12.1_0", "numpy>=1.26"]
    assert [p.spec.pinned for p in install.packages] == [True, False]
    assert values(install.index_urls) == ["pytorch", "nvidia"]
    assert {"--yes", "--channel", "--name"} <= install.options


@pytest.mark.parametrize("text,manager,subcommand", [
    ("conda env create -f environment.yml", "conda", "env-create"),
    ("conda env update --file environment.yml --prune", "conda", "env-update"),
    ("mamba env create -n x -f environment.yml", "mamba", "env-create"),
    ("micromamba create -y -f environment.yml", "micromamba", "create"),
    ("micromamba install -y -n base -f environment.yml", "micromamba", "install"),
])
def test_conda_environment_files(text, manager, subcommand):
    install = one(text)
    assert (install.manager, install.subcommand) == (manager, subcommand)
    assert values(install.env_files) == ["environment.yml"]
    assert install.packages == ()


def test_conda_spec_list_file_and_prefix():
    install = one("/opt/conda/bin/conda create -p /env --file spec.txt python=3.11.9")
    assert values(install.requirement_files) == ["spec.txt"]
    assert texts(install) == ["python=3.11.9"]


# --------------------------------------------------------------------------- system packages


def test_apt_get_install_with_options_and_environment_prefix():
    command_text = (
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends"
        " -o Dpkg::Options::=--force-confold -t bookworm-backports curl=7.88.1-10 git ./local.deb"
    )
    install = one(command_text)
    assert (install.manager, install.subcommand) == ("apt-get", "install")
    assert texts(install) == ["curl=7.88.1-10", "git", "./local.deb"]
    assert [(p.spec.name, p.spec.pinned) for p in install.packages] == [("curl", True), ("git", False), (None, True)]
    assert install.packages[0].spec.version == "7.88.1-10"
    assert {"--yes", "--quiet", "--no-install-recommends", "--option", "--target-release"} <= install.options
    assert install.command.assignments[0][0] == "DEBIAN_FRONTEND"


def test_apt_options_before_the_subcommand():
    install = one("apt -y install vim")
    assert (install.manager, texts(install), "--yes" in install.options) == ("apt", ["vim"], True)


def test_apk_virtual_name_is_not_a_package():
    install = one("apk add --no-cache --virtual .build-deps gcc musl-dev=1.2.4-r2")
    assert (install.manager, install.subcommand) == ("apk", "add")
    assert texts(install) == ["gcc", "musl-dev=1.2.4-r2"]
    assert "--no-cache" in install.options
    second = one("apk add -t .x -X https://r curl")
    assert texts(second) == ["curl"]
    assert values(second.index_urls) == ["https://r"]


@pytest.mark.parametrize("manager", ["dnf", "yum", "microdnf"])
def test_rpm_managers(manager):
    install = one(f"{manager} install -y --setopt=tsflags=nodocs --enablerepo crb --nodocs python3-3.11.2 gcc")
    assert install.manager == manager
    assert texts(install) == ["python3-3.11.2", "gcc"]
    assert [(p.spec.name, p.spec.pinned) for p in install.packages] == [("python3", True), ("gcc", False)]
    assert {"--yes", "--setopt", "--enablerepo", "--nodocs"} <= install.options


# --------------------------------------------------------------------------- wrappers


@pytest.mark.parametrize("prefix", [
    "sudo", "sudo -E -H -u root", "env", "env PIP_NO_CACHE_DIR=1", "nice -n 10", "time", "time -p",
    "xargs -n1", "xargs -I {}", "exec", "sudo env A=1 nice",
])
def test_wrappers(prefix):
    install = one(f"{prefix} pip install torch")
    assert texts(install) == ["torch"]


def test_nested_shell_string_is_recognised():
    found = actions("bash -c 'pip install x && apt-get install -y y'")
    assert [(a.manager, texts(a)) for a in found] == [("pip", ["x"]), ("apt-get", ["y"])]
    assert all(a.command.nested for a in found)


# --------------------------------------------------------------------------- git, downloads


def test_git_clone_branch_and_depth():
    clone = one("git clone --depth 1 -b v${V} https://github.com/pytorch/pytorch.git /src", {"V": arg("V", "2.3.1")})
    assert isinstance(clone, GitClone)
    assert (clone.url.value, clone.branch, clone.depth) == ("https://github.com/pytorch/pytorch.git", "v2.3.1", 1)


def test_git_clone_with_global_options_and_attached_values():
    clone = one("git -C /src -c http.sslVerify=true clone --recursive --branch=main --depth=5 https://x/r.git")
    assert (clone.url.value, clone.branch, clone.depth) == ("https://x/r.git", "main", 5)
    assert one("git clone https://x/r.git").branch is None


def test_git_checkout():
    checkout = one("git checkout -q 0123abc")
    assert isinstance(checkout, GitCheckout)
    assert checkout.ref.value == "0123abc"
    assert one("git checkout -b work 4567def").ref.value == "4567def"


@pytest.mark.parametrize("text,interpreter", [
    ("curl -fsSL https://x/install.sh | bash", True),
    ("curl -sSf https://x | sh -s -- -y", True),
    ("wget -qO- https://x | sudo -E bash -", True),
    ("curl -L https://x/get-pip.py | python3 -", True),
    ("curl -fsSL https://x | tar xz", False),
    ("curl -fsSL https://x", False),
])
def test_fetch_piped_to_a_shell(text, interpreter):
    fetch = next(a for a in actions(text) if isinstance(a, Fetch))
    assert fetch.piped_to_shell is interpreter
    assert fetch.url.value.startswith("https://x")


def test_fetch_url_and_output():
    curl = one("curl -fsSL -H 'Authorization: x' -o /tmp/a.sh --retry 3 https://x/a.sh")
    assert (curl.tool, curl.url.value, curl.output.value) == ("curl", "https://x/a.sh", "/tmp/a.sh")
    wget = one("wget -nv -O /tmp/b --tries=3 https://x/b")
    assert (wget.tool, wget.url.value, wget.output.value) == ("wget", "https://x/b", "/tmp/b")
    redirected = one("curl https://x/c > /tmp/c")
    assert redirected.output.value == "/tmp/c"
    assert one("curl --url https://x/d -O").url.value == "https://x/d"


def test_hub_download():
    hub = one("huggingface-cli download meta-llama/Llama-3-8B config.json --revision ${REV} --local-dir /m",
              {"REV": arg("REV", "abc123")})
    assert isinstance(hub, HubDownload)
    assert (hub.tool, hub.repo.value, hub.revision) == ("huggingface-cli", "meta-llama/Llama-3-8B", "abc123")
    hf = one("hf download --revision=main org/model")
    assert (hf.tool, hf.repo.value, hf.revision) == ("hf", "org/model", "main")
    assert one("hf download org/model").revision is None
    assert actions("huggingface-cli login --token x") == []


def test_install_span_is_the_command_span():
    install = one("cd /x && pip install y")
    assert install.span == install.command.span == Span(1, 10, 1, 23)
