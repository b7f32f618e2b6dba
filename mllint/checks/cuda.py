"""CUDA: base image, framework builds, the host driver and the GPUs they will run on.

Target-independent rules (ML404–ML408, ML410) compare what the Dockerfile itself says; the
others (ML401–ML403, ML409) need the fleet (--driver/--gpu/--detect-host or config
``target``) and are silent without it. Facts the tables mark unverified are treated as unknown:
no finding rather than a guess. Nothing CUDA-related is imported unless a Dockerfile mentions
CUDA, a CUDA base image, or a framework package.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..engine import check
from ..findings import Finding

_MARKERS = re.compile(r"cuda|pytorch|tensorflow|nvidia|torch|jax|onnxruntime|cupy|ngc", re.I)
_RULES = ("ML401", "ML402", "ML403", "ML404", "ML405", "ML406", "ML407", "ML408", "ML409", "ML410")


def _relevant(t) -> bool:
    df = t.dockerfile
    if any(_MARKERS.search(s.base) for s in df.stages):
        return True
    if any(_MARKERS.search(ins.text) for ins in df.instructions if ins.keyword in ("RUN", "ENV", "ARG")):
        return True
    return any(d.kind == "requirements" for d in t.dep_files)


@check(*_RULES)
def cuda_checks(t) -> Iterator[Finding]:
    if not t.dockerfile.stages or not _relevant(t):
        return
    from ..cuda.sources import cuda_facts

    facts = cuda_facts(t)
    if facts.base is None and not facts.builds and facts.arch_list is None and facts.disable_require is None \
            and facts.require_override is None:
        return
    yield from _requirement_overrides(t, facts)
    yield from _cpu_builds(t, facts)
    yield from _missing_variants(t, facts)
    yield from _major_mismatch(t, facts)
    yield from _cannot_load(t, facts)
    yield from _domain_mismatch(t, facts)
    drivers = tuple(dict.fromkeys(d.strip() for d in t.target_drivers if d.strip()))
    gpus = tuple(dict.fromkeys(g.strip() for g in t.target_gpus if g.strip()))
    if drivers:
        yield from _base_vs_driver(t, facts, drivers, gpus)
        yield from _builds_vs_driver(t, facts, drivers, gpus)
    if gpus:
        yield from _arch(t, facts, gpus)


# --------------------------------------------------------------------------- helpers


def _shown(build) -> str:
    name = build.package + (f"[{','.join(build.extras)}]" if build.extras else "")
    return f"{name}=={build.version}" if build.version else name


def _variant_text(build) -> str:
    where = {"local-version": "its local version", "index-url": f"the index `{build.index_url}`",
             "torch-backend": "uv --torch-backend", "conda": "the conda CUDA pin",
             "pypi-default": "PyPI's default for this release", "extra": "its extra", "package": "the package",
             "image": "the base image", "unknown": "an unknown index"}[build.variant_from]
    return f"the {build.variant} build (from {where})" if build.variant else "a build"


def _best_base_for(driver: str) -> str | None:
    """Highest CUDA minor whose bundled driver the given driver satisfies."""
    from ..cuda import knowledge as kb

    best = None
    for row in kb.known_toolkits(11):
        if row.get("driver") and row.get("verified", True) is not False and kb.vcmp(driver, row["driver"]) >= 0:
            best = kb.minor_of(row["cuda"])
    return best


# --------------------------------------------------------------------------- ML410


def _requirement_overrides(t, facts) -> Iterator[Finding]:
    path = t.dockerfile.path
    if facts.disable_require is not None:
        yield Finding("ML410", path, facts.disable_require.span,
                      f"`{facts.disable_require.name}={facts.disable_require.value}` switches off the NVIDIA "
                      f"container toolkit's check that the host driver can run this image's CUDA: on a too-old "
                      f"driver the container starts and then fails at the first CUDA call (or silently runs on "
                      f"CPU). Remove it and pick a base image the fleet's driver supports.")
    if facts.require_override is not None:
        yield Finding("ML410", path, facts.require_override.span,
                      f"`NVIDIA_REQUIRE_CUDA` is overridden (`{facts.require_override.value}`): the image's own "
                      f"requirement (`cuda>=X.Y` plus the forward-compatibility branches NVIDIA tested) no longer "
                      f"protects hosts whose driver is too old. Keep the base image's value.")


# --------------------------------------------------------------------------- ML405


def _cpu_builds(t, facts) -> Iterator[Finding]:
    base = facts.base
    if base is None:
        return
    seen = set()
    for b in facts.builds:
        if b.variant != "cpu" or b.variant_span in seen:
            continue
        seen.add(b.variant_span)
        yield Finding("ML405", b.path, b.variant_span,
                      f"`{_shown(b)}` is CPU-only ({_variant_text(b)}) on the CUDA base image `{base.image}`: "
                      f"the GPU is never used and the CUDA layers are dead weight. Install a CUDA build "
                      f"(e.g. `--index-url https://download.pytorch.org/whl/cu126`), or use a slim non-CUDA base "
                      f"if the image is meant for CPU.")


# --------------------------------------------------------------------------- ML406


def _missing_variants(t, facts) -> Iterator[Finding]:
    from ..cuda import knowledge as kb

    for b in facts.builds:
        if b.package != "torch" or not b.version or not b.variant or not b.variant.startswith("cu"):
            continue
        if b.variant_from not in ("local-version", "index-url", "torch-backend"):
            continue
        row = kb.torch_release(b.version)
        if row is None or b.variant in row["variants"]:
            continue
        # The release matrix lists the variants of the install selector; the index can hold more
        # (torch-2.9.0+cu129 exists though 2.9's matrix has no 12.9). Only a variant outside the
        # release's CUDA range is known to be missing; a gap inside it is unknown.
        listed = sorted(kb.vtuple(kb.variant_cuda(v)) for v in row["variants"] if kb.variant_cuda(v))
        mine = kb.vtuple(kb.variant_cuda(b.variant))
        if not listed or not mine or listed[0] <= mine <= listed[-1]:
            continue
        fallback = (f"with an extra index pip silently takes another build (PyPI's {row['pypi']})"
                    if b.variant_from == "index-url" else "the install fails")
        yield Finding("ML406", b.path, b.variant_span,
                      f"torch {b.version} has no {b.variant} build on download.pytorch.org (torch {row['torch']} "
                      f"ships {', '.join(row['variants'])}): the install fails, or {fallback}. Use one of "
                      f"{', '.join(row['variants'])}, or a torch release that has {b.variant}.")


# --------------------------------------------------------------------------- ML404 / ML407


def _major_mismatch(t, facts) -> Iterator[Finding]:
    from ..cuda import knowledge as kb

    base = facts.base
    if base is None or base.cuda is None:
        return
    bmajor = kb.major_of(base.cuda)
    for b in facts.builds:
        if not b.own_libs or not b.cuda or b.package in ("torchvision", "torchaudio"):
            continue
        fmajor = kb.major_of(b.cuda)
        if fmajor == bmajor:
            continue
        unused = {"base": "cudart", "runtime": "cudart, cuBLAS, cuFFT, NCCL", "devel": "cudart, cuBLAS, NCCL, nvcc"}
        libs = unused.get(base.flavor or "", "CUDA libraries")
        if base.cudnn:
            libs += f", cuDNN {base.cudnn}"
        extra = ""
        if b.package == "jax":
            extra = (" JAX also finds CUDA through LD_LIBRARY_PATH, which the nvidia/cuda images point at "
                     f"/usr/local/cuda/lib64: it can load the image's CUDA {bmajor} copies and fail.")
        need = "newer" if fmajor > bmajor else "older"
        yield Finding("ML404", b.path, b.span,
                      f"`{_shown(b)}` is {_variant_text(b)}: it brings its own CUDA {fmajor} "
                      f"libraries as pip wheels, but the base image `{base.image}` is CUDA {base.cuda}: the image's "
                      f"CUDA {bmajor} {libs} go unused (GBs), and the image's driver requirement checks CUDA "
                      f"{kb.minor_of(base.cuda)} while the framework needs a driver for CUDA {fmajor} ({need}).{extra} "
                      f"Use a CUDA {fmajor} base (or a plain python base), or the framework's CUDA {bmajor} build.")


def _cannot_load(t, facts) -> Iterator[Finding]:
    from ..cuda import knowledge as kb

    base = facts.base
    if base is None or base.cuda is None or base.kind == "tensorflow":
        return
    bmajor = kb.major_of(base.cuda)
    for b in facts.builds:
        problem = None
        if b.package == "tensorflow" and b.version and not b.own_libs and b.variant != "cpu":
            row = kb.tensorflow(b.version)
            if row is None:
                continue
            if kb.major_of(row["cuda"]) != bmajor:
                problem = (f"TensorFlow {row['tf']} is built for CUDA {row['cuda']} and cuDNN {row['cudnn']}; the "
                           f"image has CUDA {base.cuda}, so TensorFlow cannot load its GPU kernels and silently runs "
                           f"on CPU. Use a CUDA {kb.major_of(row['cuda'])} base, `tensorflow[and-cuda]`, or a "
                           f"TensorFlow built for CUDA {bmajor}")
            elif base.cudnn is not None and base.cudnn != kb.major_of(row["cudnn"]):
                problem = (f"TensorFlow {row['tf']} needs cuDNN {row['cudnn']}; the image carries cuDNN "
                           f"{base.cudnn}, which it cannot load (cuDNN majors are not interchangeable). Use a "
                           f"cuDNN {kb.major_of(row['cudnn'])} base or `tensorflow[and-cuda]`")
        elif b.package == "jax" and b.variant and b.variant.startswith("cuda") and not b.own_libs:
            row = kb.jax_plugin(int(b.variant[4:]))
            if row is None:
                continue
            if kb.major_of(row["min_cuda"]) != bmajor or kb.vcmp(base.cuda, row["min_cuda"]) < 0:
                problem = (f"`jax[{b.variant}-local]` uses the system CUDA and needs CUDA >= {row['min_cuda']} "
                           f"(major {row['cuda_major']}) and cuDNN >= {row['cudnn_min']}; the image has CUDA "
                           f"{base.cuda}. Use `jax[{b.variant}]` (pip CUDA wheels) or a matching base")
            elif base.cudnn is not None and base.cudnn < kb.major_of(row["cudnn_min"]):
                problem = (f"`jax[{b.variant}-local]` needs cuDNN >= {row['cudnn_min']}; the image carries cuDNN "
                           f"{base.cudnn}. Use a cuDNN 9 base or `jax[{b.variant}]`")
        elif b.package == "onnxruntime-gpu" and b.cuda:
            row = kb.onnxruntime_gpu(b.version)
            if row is None:
                continue
            if kb.major_of(row["cuda"]) != bmajor:
                problem = (f"onnxruntime-gpu {b.version} from PyPI is built for CUDA {row['cuda']} and cuDNN "
                           f"{row['cudnn_major']}; the image has CUDA {base.cuda}, so the CUDA execution provider "
                           f"fails to load and ONNX Runtime falls back to CPU. Use a CUDA "
                           f"{kb.major_of(row['cuda'])} base or an onnxruntime-gpu release built for CUDA {bmajor}")
            elif base.cudnn is not None and base.cudnn != row["cudnn_major"]:
                problem = (f"onnxruntime-gpu {b.version} needs cuDNN {row['cudnn_major']}; the image carries cuDNN "
                           f"{base.cudnn} (cuDNN 8 and 9 builds are not interchangeable). Use a cuDNN "
                           f"{row['cudnn_major']} base")
        elif b.package.startswith("cupy-cuda") and b.cuda and not b.own_libs:
            row = kb.cupy(b.package)
            if row is None:
                continue
            if row["cuda_major"] != bmajor or kb.vcmp(base.cuda, row["min_cuda"]) < 0:
                problem = (f"`{b.package}` needs the CUDA {row['cuda_major']} libraries (>= {row['min_cuda']}) "
                           f"from the system; the image has CUDA {base.cuda}, so `import cupy` fails at the first "
                           f"kernel. Install `cupy-cuda{bmajor}x` or use a CUDA {row['cuda_major']} base")
        if problem:
            yield Finding("ML407", b.path, b.span, f"`{_shown(b)}` on `{base.image}`: {problem}.")


# --------------------------------------------------------------------------- ML408


def _domain_mismatch(t, facts) -> Iterator[Finding]:
    from ..cuda import knowledge as kb

    torch = next((b for b in facts.builds if b.package == "torch" and b.version), None)
    torch_version = torch.version if torch else (facts.base.framework if facts.base and facts.base.kind == "pytorch"
                                                 else None)
    if not torch_version:
        return
    row = kb.torch_domains(kb.minor_of(torch_version))
    where = f"`torch=={torch_version}`" if torch else f"torch {torch_version} in `{facts.base.image}`"
    for b in facts.builds:
        if b.package not in ("torchvision", "torchaudio") or not b.version:
            continue
        if row is not None and (b.package != "torchvision" or row.get("verified_torchvision", True) is not False):
            want = row[b.package]
            if kb.minor_of(b.version) != want:
                yield Finding("ML408", b.path, b.span,
                              f"`{_shown(b)}` does not match {where}: {b.package} {want}.x is the release built "
                              f"against torch {row['torch']}. Mismatched pairs fail to import (undefined symbols) "
                              f"or make pip replace torch with another build. Pin {b.package}=={want}.* with torch.")
                continue
        if torch and torch.variant and b.variant and b.variant != torch.variant and \
                torch.variant_from in ("local-version", "index-url") and b.variant_from in ("local-version", "index-url"):
            yield Finding("ML408", b.path, b.span,
                          f"`{_shown(b)}` is the {b.variant} build but torch is the {torch.variant} build: their "
                          f"CUDA extensions are compiled against different CUDA runtimes and fail to load. Install "
                          f"both from the same index.")


# --------------------------------------------------------------------------- ML401 / ML402


def _base_vs_driver(t, facts, drivers, gpus) -> Iterator[Finding]:
    from ..cuda import knowledge as kb

    base = facts.base
    if base is None or base.cuda is None:
        return
    need = kb.toolkit_driver(base.cuda)
    if need is None:
        return  # unknown or unverified minimum driver: say nothing rather than guess
    major = kb.major_of(base.cuda)
    floor = kb.mvc_floor(major) if major >= 11 else None
    known = [kb.gpu(g) for g in gpus]
    path = t.dockerfile.path
    for driver in drivers:
        if kb.vcmp(driver, need) >= 0:
            continue
        image = f"`{base.image}`" if base.kind != "env" else f"`{base.image}` with ENV CUDA_VERSION"
        head = f"CUDA {base.cuda} ({image}) needs driver >= {need}; the target has {driver}"
        outs = []
        best = _best_base_for(driver)
        if best:
            outs.append(f"use a CUDA {best} base")
        outs.append("upgrade the driver")
        req = base.require
        results = []
        if req is not None:
            if gpus:
                results = [req.satisfied(driver, g.brand if g else None, g.cc if g else None) for g in known]
            else:
                results = [req.satisfied(driver, None)]
        refused = any(r is False for r in results)
        depends = any(r is None for r in results)
        mvc_ok = floor is not None and kb.vcmp(driver, floor) >= 0
        branch = kb.branch_of(driver)
        # the official images ship cuda-compat; the brand/driver clauses of their NVIDIA_REQUIRE_CUDA are the
        # proxy for the branches forward compatibility covers (unknown for images not in the tables)
        compat_image = (base.kind == "nvidia-cuda" or facts.compat_installed) and major >= 11
        dc = bool(gpus) and all(g is not None and g.datacenter for g in known)
        fwd_ok = compat_image and dc and req is not None and branch in req.branches()
        if refused:
            reason = ("its NVIDIA_REQUIRE_CUDA refuses to start the container on this host "
                      f"(`cuda>={kb.minor_of(base.cuda)}` fails, and no brand clause allows R{branch}"
                      + (f" on {', '.join(g.name for g in known if g)}" if gpus else "") + ")")
            if dc and compat_image and branch not in (req.branches() if req else ()):
                reason += f"; forward compatibility is only offered for branches {', '.join(f'R{b}' for b in req.branches())}"
            if not dc:
                outs.append("or on data-center GPUs rely on cuda-compat (name them with --gpu)" if not gpus else
                            "(cuda-compat forward compatibility needs data-center GPUs)")
            yield Finding("ML401", path, base.span, f"{head}: {reason}. Ways out: {', '.join(outs)}.")
        elif mvc_ok:
            caveats = "; ".join(kb.mvc_caveats())
            start = ""
            if depends and req is not None:
                start = (f" The container starts only on GPUs of brands {', '.join(req.brands())} with this branch "
                         f"(NVIDIA_REQUIRE_CUDA); name the GPUs with --gpu to check.")
            via = "minor-version compatibility (driver >= " + floor + f" for CUDA {major}.x)"
            if fwd_ok:
                via += " and forward compatibility through the image's cuda-compat package on " + \
                       ", ".join(g.name for g in known)
            yield Finding("ML402", path, base.span,
                          f"{head}: it runs only through {via}. Caveats: {caveats}.{start} "
                          f"Ways out: {', '.join(outs)}.")
        elif fwd_ok:
            yield Finding("ML402", path, base.span,
                          f"{head}: it runs only through forward compatibility: the image's cuda-compat package on "
                          f"data-center GPUs ({', '.join(g.name for g in known)}) with a branch the image allows "
                          f"(R{branch}). Keep the compat libraries in the image and the driver on that branch. "
                          f"Ways out: {', '.join(outs)}.")
        else:
            why = (f"below the CUDA {major}.x minor-version floor ({floor})" if floor
                   else "CUDA 10 and older have no minor-version compatibility")
            if gpus and not dc:
                fwd = "forward compatibility (cuda-compat) is not available on " + \
                      ", ".join(g.name if g else "unknown GPUs" for g in known if g is None or not g.datacenter)
            elif not gpus:
                fwd = "forward compatibility (cuda-compat) works only on data-center GPUs: name them with --gpu"
            elif req is not None and branch in req.branches() and not compat_image:
                fwd = (f"the image's NVIDIA_REQUIRE_CUDA allows R{branch}, but no cuda-compat package is "
                       f"installed for forward compatibility")
            elif req is None:
                fwd = ("whether the image allows forward compatibility on R" + str(branch) +
                       " is unknown (its NVIDIA_REQUIRE_CUDA is not in mllint's tables)")
            else:
                fwd = (f"the image allows forward compatibility only on branches "
                       f"{', '.join(f'R{b}' for b in req.branches()) or 'none'}")
            yield Finding("ML401", path, base.span, f"{head}, {why}; {fwd}. Ways out: {', '.join(outs)}.")


# --------------------------------------------------------------------------- ML403


def _builds_vs_driver(t, facts, drivers, gpus) -> Iterator[Finding]:
    from ..cuda import knowledge as kb

    for b in facts.builds:
        if not b.cuda or b.package in ("torchvision", "torchaudio"):
            continue
        fmajor = kb.major_of(b.cuda)
        floor = kb.mvc_floor(fmajor)
        if b.package == "jax":
            row = kb.jax_plugin(fmajor)
            floor = row["driver_floor"] if row else floor
        if floor is None:
            continue
        for driver in drivers:
            if kb.vcmp(driver, floor) >= 0 or _forward_compat(facts, fmajor, driver, gpus):
                continue
            outs = []
            if b.package == "torch" and b.version:
                row = kb.torch_release(b.version)
                ok = [v for v in (row["variants"] if row else ()) if kb.variant_cuda(v) and
                      kb.vcmp(driver, kb.mvc_floor(kb.major_of(kb.variant_cuda(v))) or "999") >= 0]
                if ok:
                    outs.append(f"install the {ok[-1]} build (`--index-url https://download.pytorch.org/whl/{ok[-1]}`)")
            if b.package == "jax" and fmajor == 13:
                outs.append("install `jax[cuda12]`")
            quiet = " (torch.cuda.is_available() is False: the model runs on CPU or the server fails)" \
                if b.package == "torch" else ""
            outs.append(f"upgrade the driver to >= {floor}")
            outs.append(f"or on data-center GPUs add cuda-compat-{fmajor}-x to the image")
            yield Finding("ML403", b.path, b.span,
                          f"`{_shown(b)}` is {_variant_text(b)}, CUDA {b.cuda}, which needs driver >= {floor} "
                          f"(the CUDA {fmajor}.x minimum); the target has {driver}, so the framework cannot initialise "
                          f"CUDA{quiet}. Ways out: {', '.join(outs)}.")


def _forward_compat(facts, major: int, driver: str, gpus) -> bool:
    """Whether the base image's cuda-compat libraries (CUDA ``major`` or newer) run on this driver:
    named data-center GPUs only, and a branch the image's NVIDIA_REQUIRE_CUDA clauses allow."""
    from ..cuda import knowledge as kb

    base = facts.base
    if base is None or base.cuda is None or base.require is None or not gpus:
        return False
    if not (base.kind == "nvidia-cuda" or facts.compat_installed) or kb.major_of(base.cuda) < major:
        return False
    known = [kb.gpu(g) for g in gpus]
    return all(g is not None and g.datacenter for g in known) and kb.branch_of(driver) in base.require.branches()


# --------------------------------------------------------------------------- ML409


def _arch(t, facts, gpus) -> Iterator[Finding]:
    from ..cuda import knowledge as kb

    known = [g for g in (kb.gpu(name) for name in gpus) if g is not None]
    if not known:
        return
    for b in facts.builds:
        if b.package == "torch" and b.variant and b.variant.startswith("cu"):
            if b.version:
                arch = kb.torch_arch(b.variant, kb.minor_of(b.version))
                lists = [arch] if arch else []
            else:
                lists = [r["arch"] for r in kb.torch_arch_rows(b.variant)]
            if not lists:
                continue
            for g in known:
                if all(not kb.arch_runs(kb.parse_arch_list(a), g.cc) for a in lists):
                    shown = lists[0] if len(lists) == 1 else " / ".join(dict.fromkeys(lists))
                    yield Finding("ML409", b.path, b.span,
                                  f"{g.name} (compute capability {g.cc}) is not in the architectures of the "
                                  f"`{_shown(b)}` {b.variant} build ({shown}): CUDA kernels fail with \"no kernel "
                                  f"image is available for execution on the device\". Use a torch build whose arch "
                                  f"list covers {g.cc} (SASS of the same major or PTX of an older one).")
        elif b.package == "jax" and b.variant and b.variant.startswith("cuda"):
            row = kb.jax_plugin(int(b.variant[4:]))
            for g in known:
                if row and kb.vcmp(g.cc, str(row["min_cc"])) < 0:
                    yield Finding("ML409", b.path, b.span,
                                  f"{g.name} (compute capability {g.cc}) is below the `jax[{b.variant}]` minimum "
                                  f"(SM >= {row['min_cc']}): JAX cannot run on it. Use `jax[cuda12]` or newer GPUs.")
    if facts.arch_list is not None:
        parsed = kb.parse_arch_list(facts.arch_list.value)
        if parsed:
            for g in known:
                if not kb.arch_runs(parsed, g.cc):
                    yield Finding("ML409", t.dockerfile.path, facts.arch_list.span,
                                  f"TORCH_CUDA_ARCH_LIST=`{facts.arch_list.value}` builds no kernels that run on "
                                  f"{g.name} (compute capability {g.cc}): extensions built here fail with \"no kernel "
                                  f"image is available\". Add {g.cc} (or an older arch of the same major, or "
                                  f"`+PTX` on the newest one).")
