"""conda ``environment.yml`` files, with the position of every entry.

Spans cover a scalar's text; for a quoted scalar, the text inside the quotes. The entries of a
``pip:`` list are requirement-file lines (conda hands them to ``pip install -r``), so they are
read by :class:`~mllint.deps.requirements.RequirementFileBuilder`: ``-r file`` and
``--index-url`` work there too, and include paths are relative to the environment file.
"""

from __future__ import annotations

import re

import yaml

from mllint.deps.requirements import (
    Requirement,
    RequirementFile,
    RequirementFileBuilder,
    parse_directives,
    reject_binary,
)
from mllint.deps.specs import PackageSpec, parse_conda_spec
from mllint.errors import ParseError
from mllint.model import SourceMap, Span

from ..record import record

_NULL_TAG = "tag:yaml.org,2002:null"
_LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")  # what YAML counts as a line break
_TRAILING_COMMENT = re.compile(r"\s*#(.*)")
_COMMENT = re.compile(r"(?:^|\s)#(.*)")
# libyaml recurses without a limit and crashes the process on deeply nested input; past this
# bound we use the pure-Python loader, which raises RecursionError instead.
_C_LOADER_MAX_NESTING = 500


@record(frozen=True, slots=True)
class CondaDependency:
    text: str  # the conda spec as written
    spec: PackageSpec
    span: Span
    ignores: frozenset[str] = frozenset()  # "# mllint: ignore=..." after it on its line


@record(frozen=True, slots=True)
class CondaEnvironment:
    path: str
    name: str | None
    channels: tuple[tuple[str, Span], ...]
    dependencies: tuple[CondaDependency, ...]  # conda packages (the "pip" package included)
    pip: tuple[Requirement, ...]  # the requirements of the ``pip:`` list
    pip_file: RequirementFile | None  # the whole ``pip:`` list (includes, index URLs...) as a requirements file
    file_ignores: frozenset[str]


def parse_environment(text: str, path: str) -> CondaEnvironment:
    """Parse the text of a conda environment file; ``path`` is how findings name it."""
    text = text.removeprefix("\ufeff")
    reject_binary(text, path)
    root = _compose(text, path)
    if not isinstance(root, yaml.MappingNode):
        problem = "an environment file must be a mapping (name:, channels:, dependencies:)"
        raise ParseError(problem, path, _line(root))
    lines = _LINE_BREAK.split(text)
    top = _mapping(root)
    channels = _scalar_list(top.get("channels"), "channels", path)
    dependencies, pip = _dependencies(top.get("dependencies"), lines, path)
    return CondaEnvironment(
        path=path,
        name=_optional_str(top.get("name"), "name", path),
        channels=tuple((node.value, _scalar_span(node)) for node in channels),
        dependencies=dependencies,
        pip=pip.requirements if pip else (),
        pip_file=pip,
        file_ignores=_file_ignores(lines),
    )


def _compose(text: str, path: str) -> yaml.Node | None:
    try:
        node = yaml.compose(text, Loader=_loader(text))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ParseError(f"invalid YAML: {exc.problem or exc.context}", path, line) from None
    except (yaml.YAMLError, UnicodeError) as exc:
        raise ParseError(f"invalid YAML: {exc}", path) from None
    except RecursionError:
        raise ParseError("invalid YAML: nested too deeply", path) from None
    if node is None:
        raise ParseError("empty environment file", path)
    return node


def _loader(text: str) -> type:
    c_loader = getattr(yaml, "CSafeLoader", None)
    if c_loader is None or _nesting_bound(text) > _C_LOADER_MAX_NESTING:
        return yaml.SafeLoader
    return c_loader


def _nesting_bound(text: str) -> int:
    """At least the deepest nesting the text can hold: each level needs a bracket, more
    indentation (a sequence may share its key's indentation) or an indicator (- : ?) on its line."""
    deepest = 0
    for line in _LINE_BREAK.split(text):
        indent = len(line) - len(line.lstrip(" "))
        indicators = line.count("-") + line.count(":") + line.count("?")
        deepest = max(deepest, 2 * indent + indicators)
    return deepest + text.count("[") + text.count("{") + 1


def _mapping(node: yaml.MappingNode) -> dict[str, yaml.Node]:
    # Later keys win, as in yaml.safe_load.
    return {key.value: value for key, value in node.value if isinstance(key, yaml.ScalarNode)}


def _is_null(node: yaml.Node | None) -> bool:
    return node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG)


def _optional_str(node: yaml.Node | None, key: str, path: str) -> str | None:
    if _is_null(node):
        return None
    if not isinstance(node, yaml.ScalarNode):
        raise ParseError(f"'{key}' must be a string", path, _line(node))
    return node.value


def _list(node: yaml.Node | None, key: str, path: str) -> list[yaml.Node]:
    if _is_null(node):
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise ParseError(f"'{key}' must be a list", path, _line(node))
    return node.value


def _scalar_list(node: yaml.Node | None, key: str, path: str) -> list[yaml.ScalarNode]:
    items = _list(node, key, path)
    for item in items:
        if not isinstance(item, yaml.ScalarNode) or _is_null(item):
            raise ParseError(f"each entry of '{key}' must be a string", path, _line(item))
    return items


def _dependencies(
    node: yaml.Node | None, lines: list[str], path: str
) -> tuple[tuple[CondaDependency, ...], RequirementFile | None]:
    conda: list[CondaDependency] = []
    pip: RequirementFileBuilder | None = None
    for item in _list(node, "dependencies", path):
        if isinstance(item, yaml.MappingNode):
            pip = pip or RequirementFileBuilder(path)
            _add_pip_section(item, lines, path, pip)
        elif isinstance(item, yaml.ScalarNode) and not _is_null(item):
            spec = parse_conda_spec(item.value)
            conda.append(CondaDependency(item.value, spec, _scalar_span(item), _trailing_ignores(item, lines)))
        else:
            raise ParseError("each dependency must be a conda spec or a 'pip:' list", path, _line(item))
    return tuple(conda), pip.build() if pip else None


def _add_pip_section(node: yaml.MappingNode, lines: list[str], path: str, pip: RequirementFileBuilder) -> None:
    section = _mapping(node)
    if set(section) != {"pip"}:
        raise ParseError("a mapping in 'dependencies' must be a 'pip:' list", path, _line(node))
    for entry in _scalar_list(section["pip"], "pip", path):
        span = _scalar_span(entry)
        source = SourceMap.single(span.line, span.column)
        pip.add_line(entry.value, source, span.line, _trailing_ignores(entry, lines))


def _scalar_span(node: yaml.ScalarNode) -> Span:
    """The scalar's text: inside the quotes when quoted (marks are 0-based; Span is 1-based)."""
    quote = 1 if node.style in ("'", '"') else 0
    start, end = node.start_mark, node.end_mark
    return Span(start.line + 1, start.column + 1 + quote, end.line + 1, end.column + 1 - quote)


def _trailing_ignores(node: yaml.Node, lines: list[str]) -> frozenset[str]:
    end = node.end_mark
    rest = lines[end.line][end.column :] if end.line < len(lines) else ""
    comment = _TRAILING_COMMENT.match(rest)
    return parse_directives(comment.group(1))[0] if comment else frozenset()


def _file_ignores(lines: list[str]) -> frozenset[str]:
    comments = (m.group(1) for m in map(_COMMENT.search, lines) if m)
    return parse_directives("\n".join(comments))[1]


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None
