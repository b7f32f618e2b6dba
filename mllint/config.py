"""One Config from .mllint.yaml, [tool.mllint] in pyproject.toml, and the command line.

A file's config is the first ``.mllint.yaml``/``.mllint.yml`` or ``pyproject.toml`` with a
``[tool.mllint]`` table found walking up from the file's folder (``--config`` overrides
the search). Command-line options override what the file says.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Mapping
from pathlib import Path

from .errors import ConfigError
from .findings import SEVERITIES
from .record import field, record, replace

TYPE_CHECKING = False  # typing costs ~8 ms to import; only type checkers need these names
if TYPE_CHECKING:
    from typing import Any

PROFILES = ("serving", "training", "dev")
CONFIG_NAMES = (".mllint.yaml", ".mllint.yml")

# key -> validator(value, where, key) -> normalized value
_KEYS = ("select", "ignore", "severity", "fail-level", "per-path-ignores", "profile", "target", "size",
         "dev-tools", "limits")
_DEV_TOOLS_KEYS = ("python", "os")
_TARGET_KEYS = ("drivers", "gpus")
_SIZE_KEYS = ("max-layer-mb", "max-image-gb", "wasted-mb")
_LIMITS_KEYS = ("max-layer-uncompressed-gb",)


@record(frozen=True)
class Config:
    select: frozenset[str] | None = None  # None: every rule
    ignore: frozenset[str] = frozenset()
    severity: Mapping[str, str] = field(default_factory=dict)  # rule id -> severity
    fail_level: str = "warning"
    per_path_ignores: tuple[tuple[str, frozenset[str]], ...] = ()  # (glob, rule ids)
    profile: str = "serving"
    target_drivers: tuple[str, ...] = ()
    target_gpus: tuple[str, ...] = ()
    size: Mapping[str, float] = field(default_factory=dict)
    dev_tools_python: tuple[str, ...] = ()  # added to rules/knowledge/dev_tools.yaml
    dev_tools_os: tuple[str, ...] = ()
    limits: Mapping[str, float] = field(default_factory=dict)  # safety bounds on what mllint reads
    source: str | None = None  # the file it came from
    root: Path | None = None  # per-path-ignores globs are relative to this folder

    def enabled(self, rule_id: str) -> bool:
        if rule_id in self.ignore:
            return False
        return self.select is None or rule_id in self.select

    def ignored_for_path(self, path: Path) -> frozenset[str]:
        if not self.per_path_ignores:
            return frozenset()
        try:
            rel = path.resolve().relative_to(self.root.resolve()).as_posix() if self.root else path.as_posix()
        except ValueError:
            rel = path.as_posix()
        ids: set[str] = set()
        for pattern, rules in self.per_path_ignores:
            if fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(path.name, pattern):
                ids |= rules
        return frozenset(ids)


def _ids(value: Any, where: str, key: str) -> frozenset[str]:
    from .rules import match_ids

    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"'{key}' must be a list of rule ids", where)
    return frozenset(match_ids(value, what=f"'{key}'", where=where))


def _severity_level(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str) or value.lower() not in SEVERITIES:
        raise ConfigError(f"'{key}' must be one of {', '.join(SEVERITIES)}, not {value!r}", where)
    return value.lower()


def _string_list(value: Any, where: str, key: str) -> tuple[str, ...]:
    if isinstance(value, (str, int, float)):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise ConfigError(f"'{key}' must be a list of strings", where)
    return tuple(str(v) for v in value)


def _mapping(value: Any, where: str, key: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"'{key}' must be a mapping", where)
    return value


def _normalize_keys(data: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).replace("_", "-"): v for k, v in data.items()}


def _table(data: Mapping[str, Any], key: str, known: tuple[str, ...], where: str) -> dict[str, Any]:
    """A sub-mapping such as ``size:``; an unknown key in it is an error that names it."""
    table = _normalize_keys(_mapping(data[key], where, key))
    bad = sorted(set(table) - set(known))
    if bad:
        raise ConfigError(f"unknown key '{key}.{bad[0]}' (known: {', '.join(known)})", where)
    return table


def _positive_numbers(table: dict[str, Any], key: str, where: str) -> dict[str, float]:
    for name, value in table.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
            raise ConfigError(f"'{key}.{name}' must be a positive number, not {value!r}", where)
    return dict(table)


def parse_config(data: Any, where: str, root: Path | None) -> Config:
    """Validate a raw mapping; every unknown key or bad value is a ConfigError naming it."""
    if data is None:
        data = {}
    data = _normalize_keys(_mapping(data, where, "mllint config"))
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise ConfigError(f"unknown key '{unknown[0]}' (known: {', '.join(_KEYS)})", where)
    cfg: dict[str, Any] = {"source": where, "root": root}
    if "select" in data:
        cfg["select"] = _ids(data["select"], where, "select")
    if "ignore" in data:
        cfg["ignore"] = _ids(data["ignore"], where, "ignore")
    if "severity" in data:
        levels: dict[str, str] = {}
        for rule, level in _mapping(data["severity"], where, "severity").items():
            for rid in _ids([str(rule)], where, f"severity.{rule}"):
                levels[rid] = _severity_level(level, where, f"severity.{rule}")
        cfg["severity"] = levels
    if "fail-level" in data:
        cfg["fail_level"] = _severity_level(data["fail-level"], where, "fail-level")
    if "per-path-ignores" in data:
        entries = []
        for pattern, rules in _mapping(data["per-path-ignores"], where, "per-path-ignores").items():
            entries.append((str(pattern), _ids(rules, where, f"per-path-ignores.{pattern}")))
        cfg["per_path_ignores"] = tuple(entries)
    if "profile" in data:
        if data["profile"] not in PROFILES:
            raise ConfigError(f"'profile' must be one of {', '.join(PROFILES)}, not {data['profile']!r}", where)
        cfg["profile"] = data["profile"]
    if "target" in data:
        target = _table(data, "target", _TARGET_KEYS, where)
        cfg["target_drivers"] = _string_list(target.get("drivers", []), where, "target.drivers")
        cfg["target_gpus"] = _string_list(target.get("gpus", []), where, "target.gpus")
    if "size" in data:
        cfg["size"] = _positive_numbers(_table(data, "size", _SIZE_KEYS, where), "size", where)
    if "limits" in data:
        cfg["limits"] = _positive_numbers(_table(data, "limits", _LIMITS_KEYS, where), "limits", where)
    if "dev-tools" in data:
        tools = _table(data, "dev-tools", _DEV_TOOLS_KEYS, where)
        cfg["dev_tools_python"] = _string_list(tools.get("python", []), where, "dev-tools.python")
        cfg["dev_tools_os"] = _string_list(tools.get("os", []), where, "dev-tools.os")
    return Config(**cfg)


def _read_yaml_config(path: Path) -> Config:
    import yaml

    try:
        text = path.read_text(encoding="utf-8-sig")
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config: {exc.__class__.__name__}: {exc}", str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"invalid YAML: {getattr(exc, 'problem', exc)}", str(path),
                          mark.line + 1 if mark else None) from None
    return parse_config(data, str(path), path.parent)


def _pyproject_table(path: Path) -> Any:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read [tool.mllint]: {exc}", str(path)) from None
    return data.get("tool", {}).get("mllint")


def load_config_file(path: Path) -> Config:
    """An explicit --config: a YAML file, or a pyproject.toml with [tool.mllint]."""
    if not path.is_file():
        raise ConfigError("config file not found", str(path))
    if path.name == "pyproject.toml":
        table = _pyproject_table(path)
        if table is None:
            raise ConfigError("no [tool.mllint] table", str(path))
        return parse_config(table, f"{path} [tool.mllint]", path.parent)
    return _read_yaml_config(path)


# Only a pyproject.toml that may hold [tool.mllint] is parsed (tomllib costs ~6 ms to import):
# one naming tool.mllint (quoted or spaced), a [tool] table or tool = {...}, or \u escapes in keys.
_MAY_HOLD_TABLE = re.compile(r"""["']?tool["']?\s*\.\s*["']?mllint(?![\w-])"""
                             r"""|^\s*\[\s*["']?tool["']?\s*\]|^\s*["']?tool["']?\s*=|\\[uU]""", re.M)


@functools.lru_cache(maxsize=256)
def discover_config(folder: Path) -> Config:
    """The config that applies to files in ``folder`` (absolute), or the defaults."""
    for name in CONFIG_NAMES:
        candidate = folder / name
        if candidate.is_file():
            return _read_yaml_config(candidate)
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file() and _MAY_HOLD_TABLE.search(pyproject.read_text(encoding="utf-8", errors="replace")):
        table = _pyproject_table(pyproject)
        if table is not None:
            return parse_config(table, f"{pyproject} [tool.mllint]", folder)
    if folder.parent == folder:
        return Config()
    return discover_config(folder.parent)


def with_overrides(config: Config, **overrides: Any) -> Config:
    """Command-line values win over the file's; None means "not given"."""
    given = {k: v for k, v in overrides.items() if v is not None}
    return replace(config, **given) if given else config
