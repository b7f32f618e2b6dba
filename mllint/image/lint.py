"""`mllint image REF`: open the image, build its facts, map layers to the Dockerfile, run the
image rules, and hand back the same Report the Dockerfile linter gives."""

from __future__ import annotations

import gc
import re
from pathlib import Path

from ..engine import Suppressions, finish, instruction_suppressions
from ..findings import Finding
from ..lint import Linter, Options
from ..model import Dockerfile, Instruction
from ..record import replace
from ..report import Report, is_failing
from ..rules import all_rules
from .checks import run_image_checks
from .facts import ImageFacts, build_facts
from .sources import load_image

LAYER_KEYWORDS = ("RUN", "COPY", "ADD", "WORKDIR")


def inspect(reference: str, platform: str | None = None, insecure: tuple[str, ...] = (),
            verify: bool = True, max_uncompressed: int | None = None) -> ImageFacts:
    # the walk and the facts make a few tuples per tar entry and no cycles: the cyclic collector,
    # triggered by allocations, would only scan them over and over (about 15 ms per 60k files)
    collecting = gc.isenabled()
    gc.disable()
    try:
        image = load_image(reference, platform, insecure, verify, max_uncompressed)
        return build_facts(reference, image.config, image.scans)
    finally:
        if collecting:
            gc.enable()


def _history_keyword(created_by: str) -> str:
    text = created_by.strip()
    if "#(nop)" in text:
        word = text.split("#(nop)", 1)[1].split()
        return word[0].upper() if word else "RUN"
    first = text.split(" ", 1)[0].upper()
    if first in ("RUN", "COPY", "ADD", "WORKDIR", "ENV", "USER", "LABEL", "EXPOSE", "CMD", "ENTRYPOINT"):
        return first
    return "RUN"


def _chain(dockerfile: Dockerfile, stage_index: int) -> list[Instruction]:
    chain = []
    seen = set()
    index: int | None = stage_index
    while index is not None and index not in seen:
        seen.add(index)
        chain.append(dockerfile.stages[index])
        index = dockerfile.stages[index].base_stage
    return [ins for stage in reversed(chain) for ins in stage.instructions if ins.keyword in LAYER_KEYWORDS]


def map_dockerfile(facts: ImageFacts, dockerfile: Dockerfile, target: str | None = None) -> ImageFacts:
    """Pair layers with the instructions that made them, from the last backwards: a layer's
    history says RUN/COPY/ADD/WORKDIR; a WORKDIR may make no layer. Layers before the first
    paired one are the base image's."""
    from ..target import pick_target

    stage_index = pick_target(dockerfile, target)
    instructions = _chain(dockerfile, stage_index)
    layers = list(facts.layers)
    li, ii = len(layers) - 1, len(instructions) - 1
    pairs: dict[int, Instruction] = {}
    while li >= 0 and ii >= 0:
        kind = _history_keyword(layers[li].created_by) if layers[li].created_by else None
        ins = instructions[ii]
        if kind is None or kind == ins.keyword or (kind in ("COPY", "ADD") and ins.keyword in ("COPY", "ADD")):
            pairs[li] = ins
            li -= 1
            ii -= 1
        elif ins.keyword == "WORKDIR":  # a WORKDIR whose folder existed makes no layer
            ii -= 1
        elif kind == "WORKDIR":
            li -= 1
        else:  # trust the order
            pairs[li] = ins
            li -= 1
            ii -= 1
    base_layers = min(pairs) if pairs else facts.base_layers
    facts.layers = [replace(layer, instruction=pairs.get(layer.index), base=layer.index < base_layers)
                    for layer in layers]
    facts.base_layers = base_layers
    facts.dockerfile = dockerfile.path
    stage = dockerfile.stages[stage_index]
    facts.anchors = {"FROM": stage.instructions[0]}
    for ins in stage.instructions:
        if ins.keyword == "USER":
            facts.anchors["USER"] = ins
    return facts


def lint_image(reference: str, options: Options, dockerfile: Path | None = None, platform: str | None = None,
               insecure: tuple[str, ...] = (), facts: ImageFacts | None = None) -> Report:
    linter = Linter(options)
    config = linter.config_for(dockerfile if dockerfile is not None else Path.cwd() / "image")
    parsed = None
    if dockerfile is not None:
        from ..dockerfile.parser import parse_dockerfile
        from ..target import display_path, read_text

        display = display_path(dockerfile) if dockerfile.is_absolute() else dockerfile.as_posix()
        parsed = parse_dockerfile(read_text(dockerfile), display)
    if facts is None:
        facts = inspect(reference, platform, insecure)
    if parsed is not None:
        map_dockerfile(facts, parsed, options.target)
    rules = all_rules()
    enabled = {rid for rid in rules if rid.startswith("ML7") and config.enabled(rid)}
    raw = run_image_checks(facts, config, enabled)
    suppressions: dict[str, Suppressions] = {}
    if parsed is not None:
        suppressions[parsed.path] = instruction_suppressions(parsed)

    def lines_of(path: str):
        return parsed.lines if parsed is not None and path == parsed.path else ()

    findings = finish(raw, rules, config, suppressions, lines_of)
    report = Report([], 1)
    failing: set[Finding] = set()
    for f in findings:
        if f not in report.findings:
            report.findings.append(f)
            if is_failing(f, config.fail_level):
                failing.add(f)
    report.findings.sort(key=Finding.sort_key)
    if options.baseline is not None:
        from ..baseline import apply

        report.baseline = options.baseline_file or "baseline"
        apply(report, options.baseline, failing)
    report.failing = len(failing)
    return report


_SAFE = re.compile(r"[\x00-\x1f\x7f]")


def describe(facts: ImageFacts) -> str:
    """A short plain-text summary of the facts (``mllint image --facts``)."""
    from .checks import human

    out = [f"image {_SAFE.sub('?', facts.reference)}: {len(facts.layers)} layers, {human(facts.size)} "
           f"(base {human(facts.base_bytes)}, own {human(facts.own_bytes)}), {len(facts.tree)} paths, "
           f"wasted {human(facts.wasted_own)} own / {human(facts.wasted_base)} base"]
    for lf in facts.layers:
        where = f"  {facts.dockerfile}:{lf.instruction.span.line}" if lf.instruction is not None else ""
        out.append(f"  {lf.index + 1:>3} {'base' if lf.base else 'own ':4} {human(lf.uncompressed_size):>10} "
                   f"{lf.files:>7} files +{lf.added} ~{lf.changed} -{lf.deleted} wasted {human(lf.wasted_bytes)}"
                   f"  {_SAFE.sub('?', lf.created_by[:70])}{where}")
    out.append(f"user: {facts.user or '(root)'}; entrypoint: {list(facts.entrypoint)}; cmd: {list(facts.cmd)}; "
               f"ports: {list(facts.ports)}")
    out.append(f"python: {len(facts.python)} distributions; conda: "
               f"{sum(1 for p in facts.packages if p.manager == 'conda')}; dpkg: "
               f"{sum(1 for p in facts.packages if p.manager == 'dpkg')}")
    cuda_env = {k: v for k, v in facts.env.items() if k in ("CUDA_VERSION", "NV_CUDA_CUDART_VERSION", "CUDNN_VERSION",
                                                               "NV_CUDNN_VERSION", "NVIDIA_REQUIRE_CUDA")}
    if facts.os_release:
        out.append(f"os: {facts.os_release[2] or ' '.join(facts.os_release[:2])} ({facts.os}/{facts.architecture})")
    out.append(f"cuda: {facts.cuda_version}; cudnn: {facts.cudnn_version}; cudart: {list(facts.cudart_versions)}; "
               f"env: {cuda_env}; "
               f"torch: {facts.torch_version} (cuda {facts.torch_cuda}); nvidia wheels: {list(facts.nvidia_wheels)}")
    return "\n".join(_SAFE.sub("?", line) for line in out) + "\n"
