"""Every image source, on one fixture image built by real tools, gives the same facts and findings.

The fixture is built by fixtures/images/build_fixture.py with umoci + skopeo; `docker://` reads it
from a real `docker-registry` on 127.0.0.1; `docker-daemon:` reads it through Podman's Docker API
socket (`podman system service`); the end-to-end test builds an image with `podman build
--isolation chroot` from a busybox-static base. Each part skips, saying why, when its tool is
missing (.ci/run installs them all).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from mllint.image.lint import inspect, lint_image
from mllint.lint import Options

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "images"


def _need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (Debian: apt-get install {' '.join(missing)})")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, what: str, proc: subprocess.Popen, log: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    pytest.skip(f"{what} did not start here: {log.read_text(errors='replace')[-500:]}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory) -> Path:
    _need("umoci", "skopeo")
    spec = importlib.util.spec_from_file_location("build_fixture", FIXTURES / "build_fixture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build(tmp_path_factory.mktemp("fixture"))


@pytest.fixture(scope="module")
def registry(fixture_dir, tmp_path_factory) -> str:
    _need("docker-registry", "skopeo")
    work = tmp_path_factory.mktemp("registry")
    port = _free_port()
    (work / "config.yml").write_text(
        "version: 0.1\nlog: {level: error}\n"
        f"storage: {{filesystem: {{rootdirectory: {work / 'data'}}}}}\n"
        f"http: {{addr: 127.0.0.1:{port}}}\n")
    log = work / "log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(["docker-registry", "serve", str(work / "config.yml")], stdout=fh, stderr=fh)
    host = f"127.0.0.1:{port}"
    _wait(lambda: urllib.request.urlopen(f"http://{host}/v2/", timeout=2).status == 200, "docker-registry",
          proc, log)
    try:
        subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", f"oci:{fixture_dir / 'oci'}:fixture",
                        f"docker://{host}/mllint/fixture:1"], check=True, capture_output=True)
        yield host
    finally:
        _stop(proc)


def _podman_base(work: Path) -> list[str]:
    return ["podman", "--root", str(work / "root"), "--runroot", str(work / "run"), "--storage-driver", "vfs",
            "--cgroup-manager", "cgroupfs", "--events-backend", "file"]


@pytest.fixture(scope="module")
def podman(fixture_dir, tmp_path_factory):
    """Podman's Docker-compatible API on a unix socket; yields (DOCKER_HOST, podman argv prefix)."""
    _need("podman")
    work = Path(tmp_path_factory.mktemp("podman"))
    base = _podman_base(work)
    sock = work / "api.sock"
    log = work / "log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen([*base, "system", "service", "--time=0", f"unix://{sock}"], stdout=fh, stderr=fh)
    _wait(sock.exists, "podman system service", proc, log)
    try:
        loaded = subprocess.run([*base, "load", "-q", "-i", str(fixture_dir / "image.tar")], capture_output=True)
        if loaded.returncode:
            pytest.skip(f"podman load failed here: {loaded.stderr.decode(errors='replace')[-300:]}")
        yield f"unix://{sock}", base
    finally:
        _stop(proc)


def _findings(ref: str, **kwargs):
    report = lint_image(ref, Options(), **kwargs)
    return [(f.rule, f.path.replace(ref, "REF"), f.span.line, f.message.replace(ref, "REF")) for f in report.findings]


def _optional(request, name: str):
    """A tool-backed fixture, or None when its tool is missing here (the file sources still run)."""
    try:
        return request.getfixturevalue(name)
    except pytest.skip.Exception:
        return None


def test_every_source_gives_the_same_facts_and_findings(fixture_dir, request, monkeypatch):
    registry, podman = _optional(request, "registry"), _optional(request, "podman")
    refs = [f"oci:{fixture_dir / 'oci'}:fixture",
            f"oci:{fixture_dir / 'oci-zstd'}",
            f"oci-archive:{fixture_dir / 'image-oci.tar'}",
            f"docker-archive:{fixture_dir / 'image.tar'}",
            f"docker-archive:{fixture_dir / 'image.tar'}:mllint/fixture:1",
            str(fixture_dir / "image.tar")]
    if registry:
        refs.append(f"docker://{registry}/mllint/fixture:1")
    if podman:
        monkeypatch.setenv("DOCKER_HOST", podman[0])
        refs += ["docker-daemon:mllint/fixture:1", "mllint/fixture:1"]
    insecure = (registry,) if registry else ()
    summaries = {ref: inspect(ref, insecure=insecure).summary() for ref in refs}
    first = summaries[refs[0]]
    for ref, summary in summaries.items():
        assert summary == first, ref
    # what the fixture holds (fixtures/images/build_fixture.py)
    assert [layer["base"] for layer in first["layers"]] == [True, True, False, False, False]
    assert first["wasted_base"] == 40000 and first["wasted_own"] == 40000 + len("v: 1\n")
    assert ("torch", "2.3.1", 62000, "pip", 2) in [tuple(d) for d in first["python"]]
    assert first["torch"] == ["2.3.1+cu121", "12.1"] and first["cuda"] == "12.1.105"
    assert first["cudart"] == ["12.1.105"] and first["nvidia_wheels"] == ["nvidia-cublas-cu12"]
    assert [p[1] for p in first["packages"]] == ["gcc-12", "libc6"]
    assert first["entrypoint"] == ["python"] and first["ports"] == ["8080/tcp"] and first["user"] == ""
    findings = {ref: _findings(ref, insecure=insecure) for ref in refs}
    rules = sorted({f[0] for f in findings[refs[0]]})
    assert rules == ["ML706", "ML707", "ML708", "ML709", "ML710"]
    for ref, found in findings.items():
        assert found == findings[refs[0]], ref


def test_registry_by_digest_and_errors(fixture_dir, registry):
    digest = subprocess.run(["skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}",
                             f"docker://{registry}/mllint/fixture:1"], check=True, capture_output=True,
                            text=True).stdout.strip()
    by_digest = inspect(f"docker://{registry}/mllint/fixture@{digest}", insecure=(registry,))
    assert by_digest.summary() == inspect(f"oci:{fixture_dir / 'oci'}:fixture").summary()
    from mllint.errors import MllintError

    with pytest.raises(MllintError, match="manifest not found"):
        inspect(f"docker://{registry}/mllint/missing:1", insecure=(registry,))
    with pytest.raises(MllintError, match=f"docker://{registry}/mllint/fixture:1: cannot reach the registry"):
        inspect(f"docker://{registry}/mllint/fixture:1")  # https to a plain-http registry


def test_dockerfile_maps_layers_to_lines(fixture_dir):
    ref = f"docker-archive:{fixture_dir / 'image.tar'}"
    found = _findings(ref, dockerfile=FIXTURES / "Dockerfile")
    by_rule = {rule: (path, line) for rule, path, line, _ in found}
    assert by_rule["ML706"][1] in (0, 4) and by_rule["ML707"][1] == 5 and by_rule["ML708"][1] == 5
    assert by_rule["ML710"][1] == 4
    assert all(path.endswith("Dockerfile") or path == "REF" for path, _ in by_rule.values())


def test_podman_build_end_to_end(podman, tmp_path, monkeypatch):
    """Build a real image with `podman build --isolation chroot` on a busybox-static base, then lint it."""
    busybox = shutil.which("busybox") or "/bin/busybox"
    if not os.path.exists(busybox):
        pytest.skip("needs busybox-static (apt-get install busybox-static)")
    host, base = podman
    (tmp_path / "base").mkdir()
    shutil.copy(busybox, tmp_path / "base" / "busybox")
    (tmp_path / "base" / "Containerfile").write_text(
        'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n')
    app = tmp_path / "app"
    app.mkdir()
    (app / "serve.py").write_text("print('hi')\n")
    (app / ".env").write_text("TOKEN=x\n")
    dockerfile = app / "Dockerfile"
    dockerfile.write_text(
        "FROM localhost/mllint-busybox:e2e\n"
        "RUN mkdir -p /root/.cache/pip /app && head -c 30000 /dev/urandom > /root/.cache/pip/wheel.bin\n"
        "COPY . /app\n"
        "WORKDIR /app\n"
        "RUN head -c 20000 /dev/urandom > /app/tmp.bin && rm /app/tmp.bin && rm /app/serve.py\n"
        'CMD ["sh"]\n')
    for tag, folder in (("localhost/mllint-busybox:e2e", tmp_path / "base"), ("localhost/mllint-app:e2e", app)):
        built = subprocess.run([*base, "build", "-q", "--isolation", "chroot", "-t", tag, str(folder)],
                               capture_output=True, text=True)
        if built.returncode:
            pytest.skip(f"podman build does not work here: {built.stderr[-400:]}")
    monkeypatch.setenv("DOCKER_HOST", host)
    ref = "docker-daemon:localhost/mllint-app:e2e"
    facts = inspect(ref)
    assert [layer.base for layer in facts.layers] == [True, True, False, False, False]
    assert "bin/sh" in facts.tree and "app/serve.py" not in facts.tree
    found = _findings(ref, dockerfile=dockerfile)
    lines = {(rule, line) for rule, _, line, _ in found}
    assert ("ML705", 2) in lines  # the pip cache, on the RUN that left it
    assert ("ML708", 3) in lines  # .env, on the COPY
    assert ("ML709", 1) in lines  # root: no USER, on the FROM
