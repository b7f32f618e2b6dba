"""Generate docs/rules/<ID>.md, docs/rules/index.md and rules/compiled.json from rules/*/*.yaml.

Run `python -m mllint.ruledocs` after editing a rule or a knowledge table; a test fails when
the pages or the compiled data are stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .rules import Rule, all_rules


def _files(example) -> dict[str, str]:
    if isinstance(example, dict) and example.get("kind") == "image":  # an image rule's example (ML7xx)
        import yaml

        spec = {k: v for k, v in example.items() if k != "kind"}
        return {"image.yaml": yaml.safe_dump(spec, sort_keys=False, width=120)}
    return example if isinstance(example, dict) else {"Dockerfile": example}


def _examples(title: str, examples) -> list[str]:
    out = []
    for example in examples:
        out.append(f"### {title}\n")
        for name, text in _files(example).items():
            lang = "dockerfile" if name == "Dockerfile" else ("toml" if name.endswith(".toml") else
                                                              "yaml" if name.endswith((".yml", ".yaml")) else "text")
            out.append(f"`{name}`\n\n```{lang}\n{str(text).rstrip()}\n```\n")
    return out


def render(rule: Rule, links: bool = True) -> str:
    """The rule's page; ``links=False`` leaves out the links to other pages (SARIF help markdown)."""
    fix = {"safe": "safe automatic fix", "unsafe": "automatic fix that may change behaviour (`--unsafe-fixes`)",
           "none": "no automatic fix"}[rule.fix]
    lines = [
        f"# {rule.id} {rule.name}\n",
        f"**Category:** {rule.category} · **Default severity:** {rule.severity} · **Fix:** {fix}\n",
        f"{rule.summary}\n",
        "## Why it matters\n",
        f"{rule.rationale}\n",
    ]
    fix_text = rule.fix_description or "Change the file as the Good examples below show."
    lines.append(f"## Fix\n\n{fix_text}\n")
    lines += _examples("Bad", rule.examples_bad) + _examples("Good", rule.examples_good)
    lines.append("## Silencing\n")
    lines.append(f"Above the instruction: `# mllint: ignore={rule.id}`; on a requirement line: "
                 f"`pkg>=1  # mllint: ignore={rule.id}`; for a whole file: `# mllint: ignore-file={rule.id}`; "
                 f"or `ignore: [{rule.id}]` in `.mllint.yaml`.\n")
    if links:
        lines.append("[All rules](index.md) · [Configuration](../configuration.md) · "
                     "[Integrations](../integrations.md)\n")
    return "\n".join(lines)


def render_index(rules: list[Rule]) -> str:
    rows = ["# Rules\n", "| id | name | category | severity | fix | summary |", "|---|---|---|---|---|---|"]
    rows += [f"| [{r.id}]({r.id}.md) | {r.name} | {r.category} | {r.severity} | {r.fix} | {r.summary} |"
             for r in rules]
    return "\n".join(rows) + "\n"


def pages() -> dict[str, str]:
    rules = sorted(all_rules().values(), key=lambda r: r.id)
    out = {f"{r.id}.md": render(r) for r in rules}
    out["index.md"] = render_index(rules)
    return out


def main(out_dir: str = "docs/rules") -> None:
    from .datafiles import COMPILED, compile_all, rules_dir

    (rules_dir() / COMPILED).write_text(compile_all(), encoding="utf-8")
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in pages().items():
        (folder / name).write_text(text, encoding="utf-8")
    for stale in folder.glob("*.md"):
        if stale.name not in pages():
            stale.unlink()


if __name__ == "__main__":
    main(*sys.argv[1:])
