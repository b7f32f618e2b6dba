"""Many files are linted by forked workers; the report must be exactly the serial one."""

from mllint.lint import PARALLEL_MIN_FILES, Linter, Options

DIGEST = "sha256:" + "ab" * 32


def _write(tmp_path, count):
    paths = []
    for i in range(count):
        folder = tmp_path / f"svc{i:02d}"
        folder.mkdir()
        (folder / "requirements.txt").write_text(f"torch>=2.{i}\nnumpy=={i}.0\n")
        (folder / "Dockerfile").write_text(
            f"FROM python:3.11.{i}\nCOPY requirements.txt .\nRUN pip install -r requirements.txt einops\n"
            + ("RUN <<EOF\n" if i == 7 else "")  # one broken file: an error, the others go on
        )
        paths.append(folder / "Dockerfile")
    return paths


def test_parallel_report_equals_serial(tmp_path, monkeypatch):
    paths = _write(tmp_path, 2 * PARALLEL_MIN_FILES + 3)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    parallel = Linter(Options()).run(paths)
    monkeypatch.setenv("MLLINT_DEBUG", "1")  # forces the serial path
    serial = Linter(Options()).run(paths)
    assert parallel.findings == serial.findings and len(parallel.findings) > 3 * len(paths)
    assert parallel.errors == serial.errors and len(serial.errors) == 1 and "svc07" in serial.errors[0]
    assert (parallel.files, parallel.failing) == (serial.files, serial.failing)
