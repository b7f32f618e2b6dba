"""Production checks: dev tools, training code and data, Jupyter, training entry points — stage-aware
and profile-aware, with exact positions."""

from mllint.model import Span

from mllint.config import discover_config

from .conftest import lint

PROD = "ML2"


def hits(findings, rule):
    return [f for f in findings if f.rule == rule]


def run(tmp_path, files, **options):
    from mllint.rules import match_ids

    options.setdefault("select", frozenset(match_ids([PROD], what="test")))
    findings, errors = lint(tmp_path, files, **options)
    assert not errors
    return findings


def test_dev_python_package_in_shipped_stage(tmp_path):
    findings = run(tmp_path, "FROM python:3.11.9-slim\nRUN pip install --no-cache-dir fastapi==0.111.0 jupyterlab==4.2.0\n")
    (f,) = findings
    assert f.rule == "ML201" and f.span == Span(2, 49, 2, 66)
    assert "`jupyterlab==4.2.0`" in f.message and "dev/test stage" in f.message
    assert f.severity == "warning" and f.category == "production"


def test_dev_tool_fine_in_builder_stage_reported_in_shipped(tmp_path):
    df = ("FROM python:3.11.9-slim AS test\n"
          "RUN pip install --no-cache-dir pytest==8.2.0\n"
          "FROM python:3.11.9-slim AS app\n"
          "COPY --from=test /tmp /tmp\n"
          "RUN pip install --no-cache-dir ipdb==0.13.13\n")
    findings = run(tmp_path, df)
    assert [(f.rule, f.span.line) for f in findings] == [("ML201", 5)]
    # --target test ships the test stage: then pytest is what ships
    findings = run(tmp_path, df, target="test")
    assert [(f.rule, f.span) for f in findings] == [("ML201", Span(2, 32, 2, 45))]


def test_dev_tool_in_requirement_file_points_at_the_file(tmp_path):
    files = {"Dockerfile": "FROM python:3.11.9-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n",
             "requirements.txt": "fastapi==0.111.0\n  Black==24.4.2  # formatter\n"}
    (f,) = run(tmp_path, files)
    assert f.rule == "ML201" and f.path.endswith("requirements.txt") and f.span == Span(2, 3, 2, 16)


def test_profile_dev_allows_dev_tools_and_config_extends_the_list(tmp_path):
    df = "FROM python:3.11.9-slim\nRUN pip install --no-cache-dir jupyterlab==4.2.0 tensorboard==2.16.2\n"
    assert run(tmp_path, df, profile="dev") == []
    assert [f.rule for f in run(tmp_path, df)] == ["ML201"]
    (tmp_path / ".mllint.yaml").write_text("dev-tools: {python: [tensorboard]}\n")
    discover_config.cache_clear()
    assert [(f.rule, f.span.column) for f in run(tmp_path, df)] == [("ML201", 32), ("ML201", 50)]


def test_os_dev_packages_and_purge_in_same_run(tmp_path):
    df = ("FROM ubuntu:22.04\n"
          "RUN apt-get update && apt-get install -y --no-install-recommends gcc vim curl \\\n"
          "    && apt-get purge -y gcc\n")
    findings = run(tmp_path, df)
    assert [(f.rule, f.span) for f in findings] == [("ML202", Span(2, 70, 2, 73))]
    assert "`vim` (a development tool)" in findings[0].message


def test_training_profile_allows_compilers_not_editors(tmp_path):
    df = "FROM ubuntu:22.04\nRUN apt-get install -y --no-install-recommends build-essential vim\n"
    assert [f.span.column for f in run(tmp_path, df)] == [48, 64]
    assert [f.span.column for f in run(tmp_path, df, profile="training")] == [64]


def test_dev_requirement_file_and_extras(tmp_path):
    files = {"Dockerfile": "FROM python:3.11.9-slim\nCOPY . /src\n"
                           "RUN pip install -r /src/requirements-dev.txt '/src[test,serve]'\n",
             ".dockerignore": ".git\n", "requirements-dev.txt": "flake8==7.0.0\n"}
    findings = run(tmp_path, files)
    assert [(f.rule, f.path.rsplit("/", 1)[-1], f.span) for f in findings] == [
        ("ML203", "Dockerfile", Span(3, 20, 3, 45)),
        ("ML203", "Dockerfile", Span(3, 46, 3, 63)),
        ("ML201", "requirements-dev.txt", Span(1, 1, 1, 14)),
    ] or sorted((f.rule, f.span.line) for f in findings) == [("ML201", 1), ("ML203", 3), ("ML203", 3)]
    assert any("`test` extra" in f.message for f in findings)


def test_jupyter_port_and_no_token(tmp_path):
    df = ("FROM python:3.11.9-slim\n"
          "EXPOSE 8000 8888/tcp\n"
          "CMD [\"jupyter\", \"lab\", \"--ServerApp.token=''\"]\n")
    findings = run(tmp_path, df)
    assert [(f.rule, f.span) for f in findings] == [("ML204", Span(2, 13, 2, 21)), ("ML204", Span(3, 25, 3, 45))]
    # a dev image may expose Jupyter, but never without a token
    assert [f.span.line for f in run(tmp_path, df, profile="dev")] == [3]


def test_training_code_from_context_is_named(tmp_path):
    files = {"Dockerfile": "FROM python:3.11.9-slim\nWORKDIR /app\nCOPY . .\n",
             ".dockerignore": ".git\n!keep\n", "serve.py": "x", "train.py": "x", "nb/explore.ipynb": "{}",
             "tests/test_a.py": "x"}
    (f,) = run(tmp_path, files)
    assert f.rule == "ML205" and f.span == Span(3, 6, 3, 7)
    assert "`nb/explore.ipynb`, `tests/test_a.py`, `train.py`" in f.message
    assert run(tmp_path, files, profile="training") == []


def test_data_logs_and_checkpoints_named_without_walking(tmp_path):
    files = {"Dockerfile": "FROM python:3.11.9-slim\nCOPY ./ /app/\n", ".dockerignore": "*.md\n",
             "serve.py": "x", "wandb/run-1/files/config.yaml": "x", "data/a.csv": "x", "data/b.csv": "x",
             "models/last.ckpt": "x"}
    findings = run(tmp_path, files)
    assert [f.rule for f in findings] == ["ML206", "ML206", "ML206"]
    assert all(f.span == Span(2, 6, 2, 8) for f in findings)
    data, logs, checkpoint = sorted(findings, key=lambda f: f.message.split(" brings ")[1])
    assert "`models/last.ckpt`" in checkpoint.message and "checkpoints" in checkpoint.message
    assert "`data/ (2 entries)`" in data.message and "a data folder" in data.message
    assert "`wandb/ (1 entries)`" in logs.message and "experiment logs" in logs.message


def test_dockerignore_exception_keeps_one_file(tmp_path):
    files = {"Dockerfile": "FROM python:3.11.9-slim\nCOPY . /app\n",
             ".dockerignore": "data\n!data/labels.json\n", "data/labels.json": "{}", "data/train.csv": "x"}
    (f,) = run(tmp_path, files)
    # data/ is excluded but an exception re-includes one file: the walk enters it and names only that file
    assert f.rule == "ML206" and "`data/labels.json`)" in f.message and "train.csv" not in f.message


def test_direct_copy_of_data_folder_and_from_another_stage(tmp_path):
    df = ("FROM python:3.11.9-slim AS build\nCOPY data/ /data/\n"
          "FROM python:3.11.9-slim\nCOPY --from=build /data/ /srv/data/\nCOPY serve.py /srv/\n")
    findings = run(tmp_path, {"Dockerfile": df, "serve.py": "x", "data/x.csv": "x"})
    assert [(f.rule, f.span) for f in findings] == [("ML206", Span(4, 19, 4, 25))]


def test_missing_dockerignore_only_for_broad_copies(tmp_path):
    files = {"Dockerfile": "FROM python:3.11.9-slim\nCOPY serve.py /app/\nCOPY . /app\nCOPY . /app2\n", "serve.py": "x"}
    findings = run(tmp_path, files)
    assert [(f.rule, f.span) for f in findings] == [("ML207", Span(3, 6, 3, 7))]
    assert run(tmp_path, files | {"Dockerfile.dockerignore": ".git\n"}) == []


def test_training_entrypoint(tmp_path):
    df = "FROM python:3.11.9-slim\nENTRYPOINT [\"torchrun\", \"--nproc_per_node=8\", \"scripts/train_lora.py\"]\n"
    (f,) = run(tmp_path, df)
    assert f.rule == "ML208" and f.span == Span(2, 47, 2, 70)
    assert run(tmp_path, df, profile="training") == []
    (f,) = run(tmp_path, "FROM python:3.11.9-slim\nCMD python -m mypkg.train --lr 1e-4\n")
    assert f.span == Span(2, 15, 2, 26)
    assert run(tmp_path, "FROM python:3.11.9-slim\nCMD [\"python\", \"-m\", \"mypkg.serve\"]\n") == []


def test_fixture_examples_have_no_warning_or_error():
    from pathlib import Path

    from mllint.lint import Linter, Options

    root = Path(__file__).resolve().parent.parent / "fixtures" / "examples"
    for name in ("multistage", "clean"):
        report = Linter(Options()).run([root / name / "Dockerfile"])
        assert not report.errors
        assert [f for f in report.findings if f.severity != "info"] == [], name
    # the multi-stage example has training code, notebooks and tests beside it: .dockerignore keeps them out
    assert (root / "multistage" / "train.py").is_file() and (root / "multistage" / "notebooks").is_dir()


def test_jupyter_config_without_token(tmp_path):
    df = "FROM python:3.11.9-slim\nRUN echo \"c.ServerApp.token = ''\" >> /etc/jupyter/jupyter_server_config.py\n"
    (f,) = run(tmp_path, df)
    assert f.rule == "ML204" and f.span == Span(2, 11, 2, 33)


def test_dev_tool_in_a_builder_whose_environment_ships(tmp_path):
    df = ("FROM python:3.11.9-slim AS build\n"
          "RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir fastapi==0.111.0 ipdb==0.13.13\n"
          "FROM python:3.11.9-slim AS tests\n"
          "RUN pip install --no-cache-dir pytest==8.2.0\n"
          "FROM python:3.11.9-slim\n"
          "COPY --from=build /opt/venv /opt/venv\n"
          "COPY --from=tests /tmp/report.xml /srv/\n")
    (f,) = run(tmp_path, df)
    assert f.rule == "ML201" and f.span == Span(2, 91, 2, 104)
    assert "stage `build`, whose environment the shipped stage copies (`COPY --from` on line 6)" in f.message
