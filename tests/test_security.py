"""Security checks, and the promise that a secret value reaches no output format."""

import json

from mllint import cli
from mllint.model import Span
from mllint.rules import match_ids

from .conftest import invoke, lint, write_context

SECURITY = frozenset(match_ids(["ML5"], what="test"))
HF = "hf_" + "Zq8LmN3pR7sT1vW5xY9aB2cD4eF6gH0jK2"  # a fixture token, not a real one
SK = "sk-" + "proj-4fJ9kL2mN8pQ1rS5tU7vW3xY6zA0bC"


def run(tmp_path, files, **options):
    options.setdefault("select", SECURITY)
    findings, errors = lint(tmp_path, files, **options)
    assert not errors
    return [(f.rule, f.span) for f in findings], findings


def test_secret_arg_env_by_name_and_by_shape(tmp_path):
    df = ("ARG WANDB_API_KEY\n"
          "FROM python:3.11.9-slim\n"
          f"ENV HF_TOKEN={HF} MODEL=bert\n"
          f"ENV SETTINGS_BLOB={SK}\n"
          "ENV AWS_ACCESS_KEY_ID_FILE=/run/secrets/aws HF_HOME=/models OPENAI_API_KEY=\n"
          "USER 1000\n")
    got, findings = run(tmp_path, df)
    assert got == [("ML501", Span(1, 5, 1, 18)), ("ML501", Span(3, 5, 3, 13)), ("ML501", Span(4, 5, 4, 18))]
    assert all(f.severity == "error" and f.category == "security" for f in findings)
    assert "Hugging Face token" in findings[1].message and "--mount=type=secret" in findings[1].message
    assert "OpenAI API key" in findings[2].message
    for f in findings:
        assert HF not in f.message + f.snippet and SK not in f.message + f.snippet
    assert findings[1].snippet == "ENV HF_TOKEN=*** MODEL=bert"


def test_secret_on_run_line(tmp_path):
    df = ("FROM python:3.11.9-slim\n"
          f"RUN huggingface-cli login --token {HF}\n"
          "RUN pip install --no-cache-dir --index-url https://ci:s3cr3tpassw0rd@pypi.example.com/simple x==1\n"
          "RUN --mount=type=secret,id=hf,env=HF_TOKEN huggingface-cli login --token \"$HF_TOKEN\"\n"
          "USER 1000\n")
    got, findings = run(tmp_path, df)
    assert got == [("ML502", Span(2, 35, 2, 72)), ("ML502", Span(3, 44, 3, 93))]
    assert findings[0].snippet == "RUN huggingface-cli login --token ***"
    assert "s3cr3tpassw0rd" not in findings[1].snippet + findings[1].message


def test_secret_redacted_from_other_rules_even_when_security_is_not_selected(tmp_path):
    df = f"FROM python:3.11.9-slim\nRUN pip install https://x:{HF}@example.com/pkg.tar.gz\n"
    findings, _ = lint(tmp_path, df, select=frozenset(match_ids(["ML1"], what="test")))
    assert findings and all(HF not in f.snippet + f.message for f in findings)


def test_secret_value_in_no_output_format(tmp_path):
    files = {"Dockerfile": f"FROM python:3.11.9-slim\nARG HF_TOKEN={HF}\nENV OPENAI_API_KEY={SK}\n"
                           f"RUN wandb login {HF[3:]}\nCOPY . /app\n",
             ".dockerignore": ".git\n", "serve.py": "x"}
    df = write_context(tmp_path, files)
    outputs = []
    formats = ("text", "json") + tuple(f for f in getattr(cli, "REPORT_FORMATS", ()) if f not in ("text", "json"))
    for fmt in formats:
        result = invoke(["--format", fmt, "--color", "never", str(df)])
        outputs.append(result.output)
        out_file = tmp_path / f"report.{fmt}"
        invoke(["--format", fmt, "-o", str(out_file), str(df)])
        outputs.append(out_file.read_text())
    rich = invoke(["--color", "always", str(df)])
    outputs.append(rich.output)
    baseline = tmp_path / "baseline.json"
    invoke(["--write-baseline", str(baseline), str(df)])
    if baseline.exists():
        outputs.append(baseline.read_text())
    data = json.loads(outputs[2])
    assert {f["rule"] for f in data["findings"]} >= {"ML501", "ML502"}
    for text in outputs:
        assert "ML501" in text
        assert HF not in text and SK not in text and HF[3:] not in text


def test_secret_files_copied_including_when_deleted_later(tmp_path):
    files = {"Dockerfile": "FROM python:3.11.9-slim\nWORKDIR /app\nCOPY . .\nCOPY id_rsa /root/.ssh/id_rsa\n"
                           "RUN rm /root/.ssh/id_rsa\nUSER 1000\n",
             ".dockerignore": ".git\n!.env.example\n", ".env": "X=1", ".env.example": "X=", "serve.py": "x",
             "id_rsa": "x"}
    got, findings = run(tmp_path, files)
    assert got == [("ML503", Span(3, 6, 3, 7)), ("ML503", Span(4, 6, 4, 12))]
    assert "`.env`, `id_rsa`" in findings[0].message and ".env.example" not in findings[0].message
    assert "does not help" in findings[1].message
    files[".dockerignore"] = ".git\n.env*\n!.env.example\nid_rsa\n"
    got, _ = run(tmp_path, files)
    assert got == []  # both left out by .dockerignore (the direct COPY of id_rsa would then fail to build)


def test_secret_file_in_builder_stage_does_not_ship(tmp_path):
    df = ("FROM python:3.11.9-slim AS build\nCOPY .netrc /root/.netrc\nRUN pip download x==1 -d /w\n"
          "FROM python:3.11.9-slim\nCOPY --from=build /w /w\nUSER 1000\n")
    assert run(tmp_path, {"Dockerfile": df, ".netrc": "machine x"})[0] == []


def test_extra_index_url_in_run_requirements_and_env(tmp_path):
    files = {"Dockerfile": "FROM python:3.11.9-slim\nENV PIP_EXTRA_INDEX_URL=https://pypi.example.com/simple\n"
                           "COPY requirements.txt .\n"
                           "RUN pip install -r requirements.txt --extra-index-url https://download.pytorch.org/whl/cu121\n"
                           "RUN uv pip install --system --index https://pypi.example.com/simple x==1\nUSER 1000\n",
             "requirements.txt": "--extra-index-url https://pypi.example.com/simple\ntorch==2.3.1\n"}
    got, findings = run(tmp_path, files)
    assert got == [("ML504", Span(2, 5, 2, 24)), ("ML504", Span(4, 55, 4, 93)), ("ML504", Span(1, 19, 1, 50))]
    assert "torchtriton" in findings[0].message


def test_tls_disabled(tmp_path):
    df = ("FROM python:3.11.9-slim\n"
          "RUN pip install --no-cache-dir --trusted-host pypi.example.com x==1\n"
          "RUN curl -fsSLk -o /tmp/a https://example.com/a-1.bin && wget --no-check-certificate https://example.com/b\n"
          "ENV GIT_SSL_NO_VERIFY=true\nUSER 1000\n")
    got, _ = run(tmp_path, df)
    assert got == [("ML505", Span(2, 32, 2, 46)), ("ML505", Span(3, 10, 3, 16)), ("ML505", Span(3, 63, 3, 85)),
                   ("ML505", Span(4, 5, 4, 22))]


def test_plain_http_download_and_checksum(tmp_path):
    df = ("FROM python:3.11.9-slim\nRUN wget -O /tmp/t.tgz http://example.com/t-1.tgz\n"
          "RUN curl -o /tmp/u http://localhost:8000/u\nUSER 1000\n")
    got, _ = run(tmp_path, df)
    assert got == [("ML506", Span(2, 24, 2, 50))]
    ok = "FROM python:3.11.9-slim\nRUN wget -O /t http://example.com/t-1.tgz && echo 'ab  /t' | sha256sum -c\nUSER 1\n"
    assert run(tmp_path, ok)[0] == []


def test_remote_script_piped_in_any_used_stage(tmp_path):
    df = ("FROM python:3.11.9-slim AS tools\nRUN curl -fsSL https://astral.sh/uv/0.4.18/install.sh | sh\n"
          "FROM python:3.11.9-slim\nCOPY --from=tools /root/.local/bin/uv /usr/local/bin/uv\nUSER 1000\n")
    got, findings = run(tmp_path, df)
    assert got == [("ML507", Span(2, 16, 2, 54))] and "| sh`" in findings[0].message


def test_root_user_is_about_the_shipped_stage(tmp_path):
    got, _ = run(tmp_path, "FROM python:3.11.9-slim AS build\nUSER 1000\nFROM python:3.11.9-slim AS app\nCMD [\"x\"]\n")
    assert got == [("ML508", Span(3, 1, 3, 31))]
    got, _ = run(tmp_path, "FROM python:3.11.9-slim AS base\nUSER 1000\nFROM base\nCMD [\"x\"]\n")
    assert got == []  # the USER of the stage it builds FROM ships
    got, _ = run(tmp_path, "FROM python:3.11.9-slim\nUSER 1000\nRUN id\nUSER root\n")
    assert got == [("ML508", Span(4, 6, 4, 10))]
    assert run(tmp_path, "FROM python:3.11.9-slim\n", profile="dev")[0] == []


def test_world_writable(tmp_path):
    df = ("FROM python:3.11.9-slim\nRUN chmod -R 777 /app && chmod 1777 /scratch && chmod o+w /m && chmod 755 /x "
          "&& chmod u+w /y\nUSER 1000\n")
    got, _ = run(tmp_path, df)
    assert got == [("ML509", Span(2, 14, 2, 17)), ("ML509", Span(2, 55, 2, 58))]


def test_credentials_in_requirement_file_are_reported_and_redacted(tmp_path):
    files = {"Dockerfile": "FROM python:3.11.9-slim\nCOPY requirements.txt .\n"
                           "RUN pip install --no-cache-dir -r requirements.txt\nUSER 1000\n",
             "requirements.txt": "--extra-index-url https://ci:Pa55w0rdXYZ@pypi.example.com/simple\nmypkg==1.0\n"}
    got, findings = run(tmp_path, files)
    assert [(r, s.line) for r, s in got] == [("ML502", 1), ("ML504", 1)]
    assert got[0][1] == Span(1, 19, 1, 65)
    for f in findings:
        assert "Pa55w0rdXYZ" not in f.message + f.snippet
    assert findings[0].snippet == "--extra-index-url https://ci:***@pypi.example.com/simple"


def test_secret_in_an_unused_stage_is_still_redacted(tmp_path):
    df = (f"FROM python:3.11.9-slim AS scratchpad\nENV HF_TOKEN={HF}\nFROOM x {HF}\n"
          "FROM python:3.11.9-slim\nUSER 1000\n")
    findings, _ = lint(tmp_path, df)
    assert [f.rule for f in findings if f.rule.startswith("ML5")] == []  # the stage does not ship or feed it
    assert any(f.rule == "ML601" for f in findings)
    assert all(HF not in f.snippet + f.message for f in findings)


def test_cli_profile_option(tmp_path):
    df = write_context(tmp_path, "FROM python:3.11.9-slim\nCMD [\"python\", \"train.py\"]\n")
    serving = invoke(["--format", "json", "--select", "ML208,ML508", str(df)])
    assert [f["rule"] for f in json.loads(serving.output)["findings"]] == ["ML508", "ML208"]
    training = invoke(["--format", "json", "--select", "ML208,ML508", "--profile", "training", str(df)])
    assert [f["rule"] for f in json.loads(training.output)["findings"]] == ["ML508"]
    dev = invoke(["--format", "json", "--select", "ML208,ML508", "--profile", "dev", str(df)])
    assert json.loads(dev.output)["findings"] == []
    assert invoke(["--profile", "prod", str(df)]).exit_code == 2


def test_root_user_not_guessed_for_an_unknown_base_image(tmp_path):
    assert run(tmp_path, "ARG BASE_IMAGE\nFROM $BASE_IMAGE\nCMD [\"x\"]\n")[0] == []
    got, _ = run(tmp_path, "ARG BASE_IMAGE=python:3.11.9-slim\nFROM $BASE_IMAGE\nCMD [\"x\"]\n")
    assert [r for r, _ in got] == ["ML508"]
