"""Config files: discovery, validation, and what each key does."""

from pathlib import Path

import pytest

from mllint.config import Config, discover_config, load_config_file, parse_config
from mllint.errors import ConfigError


def test_defaults():
    cfg = parse_config({}, "x", None)
    assert cfg == Config(source="x")
    assert cfg.fail_level == "warning" and cfg.profile == "serving"
    assert cfg.enabled("ML101")


def test_select_prefix_and_ignore():
    cfg = parse_config({"select": ["ML10"], "ignore": "ML102, ML103"}, "x", None)
    assert "ML101" in cfg.select and "ML110" not in cfg.select
    assert cfg.enabled("ML101") and not cfg.enabled("ML102") and not cfg.enabled("ML110")


def test_severity_override_and_snake_case_keys():
    cfg = parse_config({"severity": {"ML109": "warning"}, "fail_level": "info"}, "x", None)
    assert cfg.severity == {"ML109": "warning"}
    assert cfg.fail_level == "info"


@pytest.mark.parametrize("data,needle", [
    ({"selct": ["ML101"]}, "unknown key 'selct'"),
    ({"select": ["ML999"]}, "no rule matches 'ML999'"),
    ({"fail-level": "fatal"}, "'fail-level' must be one of"),
    ({"severity": {"ML101": "loud"}}, "'severity.ML101' must be one of"),
    ({"profile": "prod"}, "'profile' must be one of"),
    ({"target": {"driver": ["535"]}}, "unknown key 'target.driver'"),
    ({"size": {"max-layer-mb": -1}}, "'size.max-layer-mb' must be a positive number"),
    ({"size": {"wasted-mb": float("nan")}}, "'size.wasted-mb' must be a positive number"),
    ({"size": {"max-image-gb": float("inf")}}, "'size.max-image-gb' must be a positive number"),
    ({"select": 3}, "'select' must be a list of rule ids"),
    ([1, 2], "must be a mapping"),
])
def test_bad_values_name_the_key(data, needle):
    with pytest.raises(ConfigError) as info:
        parse_config(data, "cfg.yaml", None)
    assert needle in str(info.value)
    assert str(info.value).startswith("cfg.yaml: ")


def test_room_for_later_keys():
    cfg = parse_config({"profile": "training", "target": {"drivers": ["535.104.05"], "gpus": ["A100"]},
                        "size": {"max-layer-mb": 500}}, "x", None)
    assert cfg.profile == "training"
    assert cfg.target_drivers == ("535.104.05",) and cfg.target_gpus == ("A100",)
    assert cfg.size == {"max-layer-mb": 500}


def test_discovery_walks_up_and_yaml_wins_over_pyproject(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[tool.mllint]\nignore = ['ML102']\n")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert discover_config(sub.resolve()).ignore == {"ML102"}
    (tmp_path / "a" / ".mllint.yaml").write_text("ignore: [ML109]\n")
    discover_config.cache_clear()
    cfg = discover_config(sub.resolve())
    assert cfg.ignore == {"ML109"} and cfg.source.endswith(".mllint.yaml")


def test_pyproject_without_table_is_skipped(tmp_path: Path):
    (tmp_path / ".mllint.yml").write_text("fail-level: error\n")
    inner = tmp_path / "svc"
    inner.mkdir()
    (inner / "pyproject.toml").write_text("[project]\nname='svc'\n# mentions mllint in a comment\n")
    discover_config.cache_clear()
    assert discover_config(inner.resolve()).fail_level == "error"


@pytest.mark.parametrize("text", [
    "[tool.mllint]\nfail-level = 'error'\n",
    "[ tool . 'mllint' ]\nfail-level = 'error'\n",
    '["tool".mllint]\nfail-level = "error"\n',
    "[tool]\nmllint = { fail-level = 'error' }\n",
    "tool.mllint.fail-level = 'error'\n",
    "tool = { mllint = { fail-level = 'error' } }\n",
    '[tool."m\\u006clint"]\nfail-level = "error"\n',
])
def test_every_spelling_of_the_pyproject_table_is_found(tmp_path: Path, text: str):
    (tmp_path / "pyproject.toml").write_text(text)
    discover_config.cache_clear()
    assert discover_config(tmp_path.resolve()).fail_level == "error"


def test_pyproject_that_cannot_hold_the_table_is_not_parsed(tmp_path: Path):
    # invalid TOML, but nothing in it can be [tool.mllint]: skipped like any other project file
    (tmp_path / "pyproject.toml").write_text("[project\nname = 'mllint-docker'\n[project.scripts]\n"
                                             "mllint = 'mllint.cli:run'\n[tool.mllint-like]\n")
    discover_config.cache_clear()
    assert discover_config(tmp_path.resolve()).source is None
    (tmp_path / "pyproject.toml").write_text("[project\n[tool.mllint]\n")
    discover_config.cache_clear()
    with pytest.raises(ConfigError, match=r"\[tool.mllint\]"):
        discover_config(tmp_path.resolve())


def test_invalid_yaml_names_file_and_line(tmp_path: Path):
    bad = tmp_path / ".mllint.yaml"
    bad.write_text("ignore: [ML101\nselect: x\n")
    with pytest.raises(ConfigError) as info:
        load_config_file(bad)
    assert str(bad) in str(info.value) and "invalid YAML" in str(info.value)


def test_explicit_pyproject_needs_table(tmp_path: Path):
    p = tmp_path / "pyproject.toml"
    p.write_text("[project]\nname='x'\n")
    with pytest.raises(ConfigError, match=r"no \[tool.mllint\] table"):
        load_config_file(p)


def test_per_path_ignores_relative_to_config(tmp_path: Path):
    cfg = parse_config({"per-path-ignores": {"legacy/*": ["ML1"]}}, "x", tmp_path)
    assert "ML101" in cfg.ignored_for_path(tmp_path / "legacy" / "Dockerfile")
    assert cfg.ignored_for_path(tmp_path / "svc" / "Dockerfile") == frozenset()


def test_dev_tools_key_extends_lists_and_names_bad_keys():
    cfg = parse_config({"dev-tools": {"python": ["tensorboard"], "os": "ffmpeg"}}, "x", None)
    assert cfg.dev_tools_python == ("tensorboard",) and cfg.dev_tools_os == ("ffmpeg",)
    with pytest.raises(ConfigError, match="dev-tools.pip"):
        parse_config({"dev-tools": {"pip": ["x"]}}, "x", None)
    with pytest.raises(ConfigError, match="dev-tools.python"):
        parse_config({"dev-tools": {"python": {"a": 1}}}, "x", None)
    with pytest.raises(ConfigError, match="'dev-tools' must be a mapping"):
        parse_config({"dev-tools": ["x"]}, "x", None)
