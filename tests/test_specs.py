"""What counts as pinned, for pip/uv, conda and OS package specs."""

import pytest

from mllint.deps.specs import (
    floating_url, has_version, is_full_commit, os_package_pinned, parse_conda_spec, parse_pip_spec,
)

SHA = "0a7af19f4dc868bafc82f35eb7e8d13bac87a594"


@pytest.mark.parametrize("text,pinned,version", [
    ("torch==2.3.1", True, "2.3.1"),
    ("torch==2.3.1+cu121", True, "2.3.1+cu121"),
    ("torch===2.3.1", True, "2.3.1"),
    ("Torch_Vision[a,b]==0.18.1 ; python_version < '3.12'", True, "0.18.1"),
    ("torch==2.*", False, None),
    ("torch>=2.0", False, None),
    ("torch~=2.3", False, None),
    ("torch>=2,<3", False, None),
    ("torch", False, None),
])
def test_pip_name_specs(text, pinned, version):
    spec = parse_pip_spec(text)
    assert spec.kind == "name"
    assert spec.pinned is pinned
    assert spec.version == version


def test_pip_spec_normalizes_name_and_keeps_extras_and_marker():
    spec = parse_pip_spec("Torch_Vision[b,a]==0.18.1; python_version<'3.12'")
    assert spec.name == "torch-vision"
    assert spec.extras == ("a", "b")
    assert spec.marker == 'python_version < "3.12"'


@pytest.mark.parametrize("text,pinned,ref", [
    ("git+https://github.com/org/repo@main", False, "main"),
    ("git+https://github.com/org/repo.git", False, None),
    (f"git+https://github.com/org/repo.git@{SHA}#egg=repo", True, SHA),
    ("repo @ git+ssh://git@github.com/org/repo.git@v1.2", False, "v1.2"),
    (f"repo @ git+ssh://git@github.com/org/repo.git@{SHA}", True, SHA),
])
def test_vcs_specs(text, pinned, ref):
    spec = parse_pip_spec(text)
    assert spec.kind == "vcs"
    assert spec.pinned is pinned
    assert spec.vcs_ref == ref


def test_vcs_egg_gives_the_name():
    assert parse_pip_spec("git+https://github.com/org/repo@main#egg=My_Pkg").name == "my-pkg"


@pytest.mark.parametrize("text,kind,pinned,floating", [
    ("https://github.com/org/pkg/archive/refs/heads/main.zip", "url", False, True),
    ("https://example.com/releases/latest/download/pkg.whl", "url", False, True),
    ("https://example.com/pkg-1.2.3-py3-none-any.whl", "url", True, False),
    ("./wheels/pkg-1.2.3-py3-none-any.whl", "path", True, False),
    (".", "path", False, False),
    ("/src/project", "path", False, False),
])
def test_url_and_path_specs(text, kind, pinned, floating):
    spec = parse_pip_spec(text)
    assert (spec.kind, spec.pinned, spec.floating_url) == (kind, pinned, floating)


def test_host_named_main_is_not_floating():
    assert not floating_url("https://main.example.com/pkg-1.0.tar.gz")
    assert floating_url("https://huggingface.co/org/m/resolve/main/model.safetensors")


def test_invalid_pip_spec_is_reported_not_raised():
    spec = parse_pip_spec("torch==${TORCH}")
    assert spec.error and not spec.pinned and spec.name == "torch"


@pytest.mark.parametrize("text,pinned", [
    ("numpy", False),
    ("numpy=1.26", False),
    ("numpy>=1.26", False),
    ("numpy=1.26.*", False),
    ("numpy=1.26.4", True),
    ("numpy==1.26", True),
    ("conda-forge::numpy=1.26.4=py311_0", True),
    ("numpy 1.26.4", True),
    ("python 3.11", False),
])
def test_conda_specs(text, pinned):
    spec = parse_conda_spec(text)
    assert spec.name == "numpy" or spec.name == "python"
    assert spec.pinned is pinned


@pytest.mark.parametrize("manager,text,pinned", [
    ("apt-get", "curl", False),
    ("apt-get", "curl=7.88.1-10+deb12u5", True),
    ("apt", "./local.deb", True),
    ("apk", "curl", False),
    ("apk", "curl=8.5.0-r0", True),
    ("apk", "curl~8.5", True),
    ("dnf", "python3-devel", False),
    ("yum", "git-2.39.3", True),
])
def test_os_packages(manager, text, pinned):
    assert os_package_pinned(manager, text) is pinned


def test_commit_and_version_detection():
    assert is_full_commit(SHA) and not is_full_commit(SHA[:12]) and not is_full_commit(None)
    assert has_version("https://astral.sh/uv/0.4.18/install.sh")
    assert not has_version("https://astral.sh/uv/install.sh")


@pytest.mark.parametrize("url,floating", [
    ("http://archive.ubuntu.com/ubuntu/pool/main/o/openssl/libssl1.1_1.1.1f-1ubuntu2_amd64.deb", False),
    ("https://raw.githubusercontent.com/tensorflow/docs/master/site/en/x.ipynb", True),
    ("https://raw.githubusercontent.com/org/repo/0a7af19f4dc868bafc82f35eb7e8d13bac87a594/x.py", False),
    ("https://github.com/o/r/archive/main.zip", True),
    ("https://github.com/o/r/archive/v1.2.0.zip", False),
    ("https://s3.amazonaws.com/ipex_stable/xpu/ipex-2.1.10-cp310-linux_x86_64.whl", False),
    ("https://github.com/conda-forge/miniforge/releases/latest/download/Miniforge3-Linux-x86_64.sh", True),
    ("https://example.com/builds/torch-nightly.whl", True),
])
def test_floating_urls(url, floating):
    assert floating_url(url) is floating


# The fast path for simple specs must agree with packaging wherever it answers.
from hypothesis import given, settings, strategies as st  # noqa: E402

from mllint.deps.specs import _packaging_pip_spec, _simple_pip_spec  # noqa: E402

_names = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,6}[A-Za-z0-9])?", fullmatch=True)
_versions = st.from_regex(r"v?[0-9]{1,3}(\.[0-9]{1,3}){0,3}(\.\*|(a|b|rc|c)[0-9]|\.post[0-9]|\.dev[0-9]|\+[a-z0-9.]{1,5})?",
                          fullmatch=True)
_ops = st.sampled_from(["==", "!=", ">=", "<=", ">", "<", "~=", "===", "= ="])
_clause = st.tuples(st.sampled_from(["", " "]), _ops, st.sampled_from(["", " "]), _versions).map("".join)
_specs = st.tuples(
    _names,
    st.one_of(st.just(""), st.lists(_names, max_size=3).map(lambda xs: "[" + ",".join(xs) + "]")),
    st.lists(_clause, max_size=3).map(",".join),
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_specs)
def test_fast_path_agrees_with_packaging(text):
    fast = _simple_pip_spec(text.strip())
    if fast is not None:
        assert fast == _packaging_pip_spec(text.strip())
