"""Where a Dockerfile's CUDA comes from: the base image tag, ENV, and the framework builds its
installs pick (``+cuXXX`` local versions, ``…/whl/cuXXX`` indexes, ``uv --torch-backend``, conda
``pytorch-cuda=``/``cudatoolkit=``, requirement files, the PyPI default variant).

``cuda_facts(target)`` is a pure function of the Target and returns a small immutable
:class:`CudaFacts` whose every fact keeps the span it came from.
"""

from __future__ import annotations

import re

from ..deps.commands import Install
from ..deps.specs import PackageSpec
from ..dockerfile.expand import expand
from ..imageref import parse_image_ref
from ..model import Span, Variable
from ..record import record
from . import knowledge as kb

_TORCH_FAMILY = ("torch", "torchvision", "torchaudio")
_PYTORCH_INDEX = re.compile(r"download\.pytorch\.org/whl/(?:(?:nightly|test)/)?(cu\d{3}|cpu|rocm[\d.]+|xpu)(?:/|$|/torch)",
                            re.I)
_NVIDIA_CUDA_TAG = re.compile(r"^(\d+\.\d+(?:\.\d+)?)-(?:(cudnn\d*)-)?(base|runtime|devel)(?:-(.+))?$")
_PYTORCH_TAG = re.compile(r"^(\d+\.\d+(?:\.\d+)?)-cuda(\d+\.\d+)-cudnn(\d+)-(runtime|devel)$")
_NGC_TAG = re.compile(r"^(\d\d\.\d\d)-py3")
_TF_TAG = re.compile(r"^(\d+\.\d+(?:\.\d+)?)-gpu(?:-jupyter)?$")
_TRUE = frozenset({"1", "t", "true", "TRUE", "True", "T"})


@record(frozen=True, slots=True)
class EnvFact:
    name: str
    value: str
    span: Span  # the ENV key


@record(frozen=True, slots=True)
class BaseCuda:
    """The CUDA a shipped stage's base image brings."""

    image: str
    kind: str  # nvidia-cuda | pytorch | ngc | tensorflow | env
    cuda: str | None  # x.y.z or x.y; None: a CUDA image whose version is not known
    cudnn: int | None  # cuDNN major in the image; None: none or unknown
    flavor: str | None  # base | runtime | devel
    span: Span  # the FROM image word (or the ENV CUDA_VERSION key)
    require: kb.Require | None  # the NVIDIA_REQUIRE_CUDA in effect; None when not known
    require_known: bool  # False: the image's requirement is not in the tables
    framework: str | None = None  # pytorch/pytorch and tensorflow/tensorflow carry a framework


@record(frozen=True, slots=True)
class Build:
    """One framework package an install pulls, with the CUDA build it gets."""

    package: str  # normalized: torch, torchvision, tensorflow, jax, onnxruntime-gpu, cupy-cuda12x…
    version: str | None  # exact version when pinned (local part stripped)
    variant: str | None  # cu124 | cpu | rocm… | None (unknown)
    variant_from: str  # local-version | index-url | torch-backend | conda | pypi-default | package | extra | unknown
    cuda: str | None  # major.minor of the build's CUDA, when known
    own_libs: bool  # brings its CUDA user-space as pip wheels (torch, jax[cudaNN], tensorflow[and-cuda])
    span: Span  # the package word
    variant_span: Span  # where the variant was decided: the index URL word, the package, the FROM image
    path: str  # file holding the spans (Dockerfile or requirements file)
    stage: int
    extras: tuple[str, ...] = ()
    index_url: str | None = None


@record(frozen=True, slots=True)
class CudaFacts:
    base: BaseCuda | None  # the shipped stage's
    builds: tuple[Build, ...]  # in shipped stages
    arch_list: EnvFact | None  # TORCH_CUDA_ARCH_LIST (ENV or ARG default) in a used stage
    require_override: EnvFact | None  # ENV NVIDIA_REQUIRE_CUDA set in the Dockerfile over a CUDA image's
    disable_require: EnvFact | None  # ENV NVIDIA_DISABLE_REQUIRE=true
    compat_installed: bool = False  # a shipped stage installs cuda-compat-X-Y itself


def _key_span(var: Variable) -> Span:
    s = var.span
    return Span(s.line, s.column, s.line, s.column + len(var.name))


def _stage_vars(t, index: int):
    """ARG/ENV in scope at the end of a stage (an ENV on the stage's last line included)."""
    stage = t.dockerfile.stages[index]
    if not stage.instructions:
        return {}
    view = stage.instructions[-1].variables
    scope = getattr(view, "_scope", None)  # the parser's scope views: take the one after the last line
    if scope is not None and hasattr(scope, "version"):
        try:
            return type(view)(scope, scope.version)
        except TypeError:
            pass
    return view


def _root_stage(t, index: int) -> int:
    seen = set()
    while t.dockerfile.stages[index].base_stage is not None and index not in seen:
        seen.add(index)
        index = t.dockerfile.stages[index].base_stage
    return index


def base_of(t, stage_index: int) -> BaseCuda | None:
    """The CUDA of a stage's base image, following ``FROM <earlier stage>`` to the root."""
    root = t.dockerfile.stages[_root_stage(t, stage_index)]
    variables = _stage_vars(t, stage_index)
    env = {n: v for n, v in variables.items() if v.kind == "env" and v.value is not None}
    base = _from_image(root.base, root.base_span)
    if base is None and "CUDA_VERSION" in env and re.match(r"^\d+\.\d+", env["CUDA_VERSION"].value):
        value = env["CUDA_VERSION"].value
        base = BaseCuda(root.base, "env", re.match(r"^\d+\.\d+(?:\.\d+)?", value).group(0), None, None,
                        _key_span(env["CUDA_VERSION"]), None, False)  # the base may set its own NVIDIA_REQUIRE_CUDA
    if base is None:
        return None
    if "NVIDIA_REQUIRE_CUDA" in env and not _from_args(t, env["NVIDIA_REQUIRE_CUDA"]):
        text = env["NVIDIA_REQUIRE_CUDA"].value.strip()
        base = _replace(base, require=kb.Require.parse(text) if text else None, require_known=True)
    if env.get("NVIDIA_DISABLE_REQUIRE") and env["NVIDIA_DISABLE_REQUIRE"].value.strip() in _TRUE:
        base = _replace(base, require=None, require_known=True)
    return base


def _from_args(t, var: Variable) -> bool:
    """Whether the declaration as written uses ``$`` (its value depends on build arguments)."""
    lines = t.dockerfile.lines
    s = var.span
    if not lines or s.line > len(lines):
        return True
    text = lines[s.line - 1][s.column - 1:s.end_column - 1] if s.line == s.end_line else lines[s.line - 1][s.column - 1:]
    return "$" in text


def _replace(base: BaseCuda, **changes) -> BaseCuda:
    from ..record import replace

    return replace(base, **changes)


def _from_image(image: str, span: Span) -> BaseCuda | None:
    if "$" in image:
        return None
    ref = parse_image_ref(image)
    repo = ref.repository.lower()
    if repo.startswith("library/"):
        repo = repo[len("library/"):]
    tag = ref.tag or ""
    if repo == "nvidia/cuda" and (ref.registry in (None, "docker.io", "nvcr.io", "index.docker.io")):
        m = _NVIDIA_CUDA_TAG.match(tag)
        if not m:
            return None
        cuda, cudnn, flavor = m.group(1), m.group(2), m.group(3)
        cudnn_major = None
        if cudnn:
            cudnn_major = int(cudnn[5:]) if cudnn[5:] else 9  # unnumbered "cudnn" tags (12.4.1 on) carry cuDNN 9
        require = kb.image_require(cuda) if cuda.count(".") == 2 else None
        return BaseCuda(image, "nvidia-cuda", cuda, cudnn_major, flavor, span, require, require is not None)
    if repo == "pytorch/pytorch" and ref.registry in (None, "docker.io", "index.docker.io"):
        m = _PYTORCH_TAG.match(tag)
        if not m:
            return None
        return BaseCuda(image, "pytorch", m.group(2), int(m.group(3)), m.group(4), span, None, False,
                        framework=m.group(1))
    if repo == "nvidia/pytorch" and ref.registry == "nvcr.io":
        m = _NGC_TAG.match(tag)
        if not m:
            return None
        return BaseCuda(image, "ngc", kb.ngc_cuda(m.group(1)), None, None, span, None, False)
    if repo == "tensorflow/tensorflow" and ref.registry in (None, "docker.io", "index.docker.io"):
        m = _TF_TAG.match(tag)
        if not m:
            return None
        row = kb.tensorflow(m.group(1))
        return BaseCuda(image, "tensorflow", row["cuda"] if row else None,
                        kb.major_of(row["cudnn"]) if row else None, None, span, None, False, framework=m.group(1))
    return None


# --------------------------------------------------------------------------- framework builds


def _base_version(version: str | None) -> tuple[str | None, str | None]:
    """'2.1.0+cu121' -> ('2.1.0', 'cu121')."""
    if not version:
        return None, None
    main, _, local = version.partition("+")
    return main, (local.lower() or None)


def _index_variant(url: str) -> str | None:
    m = _PYTORCH_INDEX.search(url)
    return m.group(1).lower() if m else None


def _torch_backend(install: Install):
    argv = install.command.argv
    for i, word in enumerate(argv):
        if word.value == "--torch-backend" and i + 1 < len(argv):
            return argv[i + 1].value, argv[i + 1].span
        if word.value.startswith("--torch-backend="):
            value = word.value.split("=", 1)[1]
            span = word.span
            start = len("--torch-backend=")
            return value, Span(span.line, span.column + start, span.end_line, span.end_column)
    return None


def _make_builds(spec: PackageSpec, text: str, span: Span, path: str, stage: int, manager: str,
                 index: tuple[str, Span] | None, backend, conda_cuda: tuple[str, Span] | None,
                 unknown_index: bool = False) -> list[Build]:
    name = spec.name
    if not name or spec.kind != "name":
        return []
    version, local = _base_version(spec.version)
    extras = tuple(e.lower().replace("_", "-") for e in spec.extras)
    if name in _TORCH_FAMILY or (name == "pytorch" and manager in ("conda", "mamba", "micromamba")):
        pkg = "torch" if name == "pytorch" else name
        variant, origin, vspan, url = None, "pypi-default", span, None
        if local and (local.startswith("cu") or local == "cpu" or local.startswith("rocm")):
            variant, origin = local, "local-version"
        elif conda_cuda is not None:
            variant, origin, vspan = conda_cuda[0], "conda", conda_cuda[1]
        elif backend is not None and backend[0] != "auto":
            variant, origin, vspan = backend[0].lower(), "torch-backend", backend[1]
        elif index is not None:
            variant, origin, vspan, url = _index_variant(index[0]), "index-url", index[1], index[0]
        elif unknown_index or (backend is not None and backend[0] == "auto"):
            origin = "unknown"  # an index or backend set by a build argument: the build is not known here
        elif pkg == "torch" and version:
            row = kb.torch_release(version)
            variant = row["pypi"] if row else None
        cuda = kb.variant_cuda(variant) if variant else None
        own = bool(cuda)
        return [Build(pkg, version, variant, origin, cuda, own, span, vspan, path, stage, extras, url)]
    if name in ("tensorflow", "tensorflow-gpu", "tensorflow-cpu"):
        if name == "tensorflow-cpu":
            return [Build(name, version, "cpu", "package", None, False, span, span, path, stage, extras)]
        row = kb.tensorflow(version) if version else None
        return [Build("tensorflow", version, None, "package", row["cuda"] if row else None, "and-cuda" in extras,
                      span, span, path, stage, extras)]
    if name in ("jax", "jaxlib"):
        for extra in extras:
            m = re.fullmatch(r"cuda(1[23])(-local|-pip)?", extra)
            if m:
                return [Build("jax", version, f"cuda{m.group(1)}", "extra", f"{m.group(1)}.0",
                              m.group(2) != "-local", span, span, path, stage, extras)]
        if "cpu" in extras:
            return [Build("jax", version, "cpu", "extra", None, False, span, span, path, stage, extras)]
        return []
    m = re.fullmatch(r"jax-cuda(1[23])-plugin", name)
    if m:
        return [Build("jax", version, f"cuda{m.group(1)}", "package", f"{m.group(1)}.0", "with-cuda" in extras,
                      span, span, path, stage, extras)]
    if name == "onnxruntime-gpu":
        row = kb.onnxruntime_gpu(version) if version else None
        return [Build(name, version, None, "package", row["cuda"] if row else None, False, span, span, path,
                      stage, extras)]
    if name.startswith("cupy-cuda"):
        row = kb.cupy(name)
        if row:
            return [Build(name, version, None, "package", f"{row['cuda_major']}.0" if row else None,
                          "ctk" in extras, span, span, path, stage, extras)]
    return []


def _conda_cuda(install: Install) -> tuple[str, Span] | None:
    for pkg in install.packages:
        name = pkg.spec.name
        spec = pkg.spec.specifier.lstrip("=<>! ")
        m = re.match(r"^(\d+)\.(\d)", spec)
        if name in ("pytorch-cuda", "cudatoolkit", "cuda-toolkit", "cuda-version") and m:
            return f"cu{m.group(1)}{m.group(2)}", pkg.span
        if name == "cpuonly":
            return "cpu", pkg.span
    return None


_INDEX_ENV = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL",
              "UV_DEFAULT_INDEX", "UV_INDEX", "UV_FIND_LINKS")


def _pip_config_index(argv) -> str | None:
    """The URL of ``pip config set global.index-url URL`` (or extra-index-url, install.*)."""
    values = [w.value for w in argv]
    if "config" in values:
        i = values.index("config")
        rest = values[i + 1:]
        if len(rest) >= 3 and rest[0] == "set" and rest[1].split(".")[-1] in ("index-url", "extra-index-url"):
            return rest[2]
    return None


def _chain(t, index: int) -> set[int]:
    out, current = set(), index
    while current is not None and current not in out:
        out.add(current)
        current = t.dockerfile.stages[current].base_stage
    return out


def _install_index(t, step, action: Install, configs) -> tuple[tuple[str, Span] | None, bool, object]:
    """(PyTorch index (url, span) or None, whether the index is unknown, uv torch backend)."""
    ins = step.instruction
    candidates: list[tuple[str, Span, bool]] = []  # (value, span, resolved)
    for word in (*action.index_urls, *action.extra_index_urls):
        value, unknown = expand(word.value, ins.variables)
        candidates.append((value, word.span, bool(value) and not unknown))
    assigned = dict(action.command.assignments)
    backend = _torch_backend(action) if action.manager == "uv" else None
    for name in ("UV_TORCH_BACKEND",) if action.manager == "uv" else ():
        word = assigned.get(name)
        var = ins.variables.get(name)
        if backend is None and word is not None:
            value, unknown = expand(word.value, ins.variables)
            backend = (value, word.span) if value and not unknown else ("auto", word.span)
        elif backend is None and var is not None and var.value:
            backend = (var.value, _key_span(var))
    for name in _INDEX_ENV:
        word = assigned.get(name)
        if word is not None:
            value, unknown = expand(word.value, ins.variables)
            candidates.append((value, word.span, bool(value) and not unknown))
        elif (var := ins.variables.get(name)) is not None:
            candidates.append((var.value or "", _key_span(var), bool(var.value) and "$" not in (var.value or "")))
    chain = _chain(t, ins.stage)
    for stage, url, span in configs:
        if stage in chain:
            candidates.append((url, span, "$" not in url))
    for value, span, resolved in candidates:
        if resolved and _index_variant(value):
            return (value, span), False, backend
    return None, any(not resolved for _, _, resolved in candidates), backend


def builds_of(t) -> tuple[Build, ...]:
    path = t.dockerfile.path
    out: list[Build] = []
    lines_to_stage: list[tuple[Span, int]] = []
    configs: list[tuple[int, str, Span]] = []  # pip config set global.index-url, per stage
    for step in t.steps:
        action = step.action
        ins = step.instruction
        url = _pip_config_index(step.command.argv) if action is None else None
        if url is not None:
            configs.append((ins.stage, url, step.command.argv[-1].span))
        if not isinstance(action, Install) or not t.ships(ins):
            continue
        lines_to_stage.append((ins.span, ins.stage))
        index, unknown_index, backend = _install_index(t, step, action, configs)
        conda = _conda_cuda(action) if action.manager in ("conda", "mamba", "micromamba") else None
        for pkg in action.packages:
            if pkg.manager in ("apt-get", "apt", "apk", "dnf", "yum", "microdnf"):
                continue
            out.extend(_make_builds(pkg.spec, pkg.text, pkg.span, path, ins.stage, action.manager, index, backend,
                                    conda, unknown_index or bool(pkg.unresolved)))
    for dep in t.dep_files:
        if dep.kind != "requirements":
            continue
        stage = next((st for sp, st in lines_to_stage if dep.installed_by and sp.line <= dep.installed_by.line
                      <= sp.end_line), None)
        if stage is None:
            continue
        model = dep.model
        index = None
        for url, span in (*model.index_urls, *model.extra_index_urls):
            if _index_variant(url):
                index = (url, span)
                break
        installer = next((st for st in t.steps if isinstance(st.action, Install) and dep.installed_by
                          and st.instruction.span.line <= dep.installed_by.line <= st.instruction.span.end_line), None)
        unknown = False
        if index is None and installer is not None:
            index, unknown, _ = _install_index(t, installer, installer.action, configs)
        for req in model.requirements:
            out.extend(_make_builds(req.spec, req.text, req.span, dep.display, stage, "pip", index, None, None,
                                    unknown))
    return tuple(out)


def cuda_facts(t) -> CudaFacts:
    target = t.target_stage
    base = base_of(t, target) if target >= 0 else None
    arch = override = disable = None
    for index in sorted(t.used_stages):
        variables = _stage_vars(t, index)
        var = variables.get("TORCH_CUDA_ARCH_LIST")
        if var is not None and var.value and arch is None:
            arch = EnvFact(var.name, var.value, _key_span(var))
    compat = False
    if target >= 0:
        variables = _stage_vars(t, target)
        for name in ("NVIDIA_REQUIRE_CUDA", "NVIDIA_DISABLE_REQUIRE"):
            var = variables.get(name)
            if var is not None and var.kind == "env" and var.value is not None:
                fact = EnvFact(var.name, var.value, _key_span(var))
                if name == "NVIDIA_REQUIRE_CUDA":
                    # over a CUDA image it overrides; on a plain base it defines (a clone of nvidia/cuda)
                    if base is not None and base.kind != "env" and not _from_args(t, var):
                        override = fact
                elif var.value.strip() in _TRUE:
                    disable = fact
        for step in t.steps:
            action = step.action
            if isinstance(action, Install) and t.ships(step.instruction):
                if any(p.text.startswith(("cuda-compat-", "${NV_CUDA_COMPAT_PACKAGE}")) for p in action.packages):
                    compat = True
    return CudaFacts(base, builds_of(t) if target >= 0 else (), arch, override, disable, compat)
