"""The registry client against a small in-process registry: token auth from the WWW-Authenticate
challenge with credentials from the Docker config, a manifest list, and blob redirects to another
host that must not receive the Authorization header."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mllint.errors import MllintError
from mllint.image.lint import inspect
from mllint.image.synth import build_oci

SPEC = {"config": {"User": "app"},
        "layers": [{"created_by": "RUN x", "files": {"app/serve.py": "print(1)\n", "root/.cache/pip/a": 3000}}]}


class _Server:
    def __init__(self, handler):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fake_registry(tmp_path):
    layout = build_oci(SPEC, tmp_path / "oci")
    blobs = {f"sha256:{p.name}": p.read_bytes() for p in (layout / "blobs/sha256").iterdir()}
    manifest_desc = json.loads((layout / "index.json").read_text())["manifests"][0]
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [dict(manifest_desc, platform={"os": "linux", "architecture": "s390x"}),
                           dict(manifest_desc, platform={"os": "linux", "architecture": "amd64"})]}
    index_bytes = json.dumps(index).encode()
    seen: dict[str, list] = {"token": [], "registry": [], "storage": []}
    state = {}

    class Storage(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            seen["storage"].append(dict(self.headers))
            digest = self.path.rsplit("/", 1)[1]
            body = blobs[digest]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    storage = _Server(Storage)

    class Registry(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def _send(self, code, body=b"", ctype="application/json", headers=()):
            self.send_response(code)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path.startswith("/token"):
                seen["token"].append((self.path, self.headers.get("Authorization")))
                if self.headers.get("Authorization") != "Basic " + base64.b64encode(b"alice:s3cret").decode():
                    return self._send(401, b"{}")
                return self._send(200, json.dumps({"token": "T0KEN"}).encode())
            seen["registry"].append((self.path, self.headers.get("Authorization")))
            if self.headers.get("Authorization") != "Bearer T0KEN":
                realm = f"http://{state['host']}/token"
                return self._send(401, b"{}", headers=[(
                    "WWW-Authenticate",
                    f'Bearer realm="{realm}",service="fake",scope="repository:team/model:pull"')])
            if self.path == "/v2/team/model/manifests/1.0":
                return self._send(200, index_bytes, index["mediaType"])
            if self.path.startswith("/v2/team/model/manifests/"):
                digest = self.path.rsplit("/", 1)[1]
                return self._send(200, blobs[digest], manifest_desc["mediaType"])
            if self.path.startswith("/v2/team/model/blobs/"):
                digest = self.path.rsplit("/", 1)[1]
                if digest == json.loads(blobs[manifest_desc["digest"]])["config"]["digest"]:
                    return self._send(200, blobs[digest])
                return self._send(307, headers=[("Location", f"http://{storage.host}/store/{digest}")])
            return self._send(404, b"{}")

    registry = _Server(Registry)
    state["host"] = registry.host
    config_dir = tmp_path / "docker-config"
    config_dir.mkdir()
    (config_dir / "config.json").write_text(json.dumps(
        {"auths": {registry.host: {"auth": base64.b64encode(b"alice:s3cret").decode()}}}))
    try:
        yield registry.host, seen, config_dir
    finally:
        registry.close()
        storage.close()


def test_token_auth_platform_and_redirect_without_authorization(fake_registry, monkeypatch):
    host, seen, config_dir = fake_registry
    monkeypatch.setenv("DOCKER_CONFIG", str(config_dir))
    facts = inspect(f"docker://{host}/team/model:1.0", platform="linux/amd64", insecure=(host,))
    assert facts.user == "app" and "root/.cache/pip/a" in facts.tree
    assert seen["token"] and all("scope=repository%3Ateam%2Fmodel%3Apull" in p for p, _ in seen["token"])
    assert seen["storage"], "the layer was fetched from the redirect target"
    assert all("Authorization" not in h for h in seen["storage"]), "the token leaked to blob storage"


def test_missing_credentials_is_an_error_naming_the_image(fake_registry, monkeypatch, tmp_path):
    host, _, _ = fake_registry
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))  # no config.json: anonymous
    ref = f"docker://{host}/team/model:1.0"
    with pytest.raises(MllintError) as err:
        inspect(ref, insecure=(host,))
    assert str(err.value).startswith(ref + ": ") and "token service refused" in str(err.value)


def test_platform_not_in_the_list(fake_registry, monkeypatch):
    host, _, config_dir = fake_registry
    monkeypatch.setenv("DOCKER_CONFIG", str(config_dir))
    with pytest.raises(MllintError, match="no image for platform linux/arm64 .*linux/amd64, linux/s390x"):
        inspect(f"docker://{host}/team/model:1.0", platform="linux/arm64", insecure=(host,))


def test_docker_hub_names_are_expanded():
    from mllint.image.registry import parse

    ref = parse("python:3.11-slim", "x")
    assert (ref.registry, ref.repository, ref.reference) == ("registry-1.docker.io", "library/python", "3.11-slim")
    ref = parse("ghcr.io/org/img@sha256:" + "a" * 64, "x")
    assert (ref.registry, ref.repository, ref.reference) == ("ghcr.io", "org/img", "sha256:" + "a" * 64)
