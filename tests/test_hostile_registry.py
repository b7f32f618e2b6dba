"""Hostile and failing registries: every answer ends in image facts or a clear MllintError naming
the image, within bounded time and requests.

Servers listen on 127.0.0.1 only, count their requests (each refuses past a cap, so a client loop
cannot spin), and stop by themselves (a watchdog shuts each down after WATCHDOG seconds even if a
test hangs). A real `docker-registry` with a self-signed certificate checks TLS verification; it is
skipped with the reason when the tool is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mllint.errors import MllintError
from mllint.image import registry as reg
from mllint.image.lint import inspect
from mllint.image.synth import build_oci

ROOT = Path(__file__).resolve().parent.parent
WATCHDOG = 60.0
MAX_REQUESTS = 200
SPEC = {"config": {"User": "app"}, "layers": [{"files": {"app/serve.py": "print(1)\n"}}]}


@pytest.fixture(autouse=True)
def _fast(monkeypatch, tmp_path):
    monkeypatch.setattr(reg, "BACKOFF", 0.01)
    monkeypatch.setattr(reg, "RETRY_AFTER_MAX", 0.05)
    monkeypatch.setattr(reg, "TIMEOUT", 5.0)  # loopback answers in milliseconds
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))  # anonymous: no credentials of this machine


class Server:
    """A threaded HTTP(S) server on 127.0.0.1 whose GETs go to ``handle(handler) -> None``."""

    def __init__(self, handle, tls: ssl.SSLContext | None = None):
        self.requests: list[tuple[str, dict]] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                outer.requests.append((self.path, dict(self.headers)))
                if len(outer.requests) > MAX_REQUESTS:
                    return self.send(500, b"request cap reached")
                handle(self)

            def send(self, code, body=b"", headers=(), ctype="application/json"):
                self.send_response(code)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Type", ctype)
                if not any(k.lower() == "content-length" for k, _ in headers):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None  # a client that hangs up is the point here
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.watchdog = threading.Timer(WATCHDOG, self.close)
        self.watchdog.daemon = True
        self.watchdog.start()

    def close(self):
        self.watchdog.cancel()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve():
    servers = []

    def start(handle, tls=None) -> Server:
        servers.append(Server(handle, tls))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """Blobs of a small image: {digest: bytes}, the manifest's digest, the config's and the layer's."""
    layout = build_oci(SPEC, tmp_path_factory.mktemp("img") / "oci")
    blobs = {f"sha256:{p.name}": p.read_bytes() for p in (layout / "blobs/sha256").iterdir()}
    mdigest = json.loads((layout / "index.json").read_text())["manifests"][0]["digest"]
    manifest = json.loads(blobs[mdigest])
    return blobs, mdigest, manifest["config"]["digest"], manifest["layers"][0]["digest"]


def registry_handler(image, overrides=None):
    """A well-behaved registry, except for the paths ``overrides`` answers."""
    blobs, mdigest, _, _ = image
    overrides = overrides or {}

    def handle(h):
        for prefix, answer in overrides.items():
            if h.path.startswith(prefix):
                if answer(h) is not False:
                    return
        if h.path == "/v2/":
            return h.send(200, b"{}")
        if h.path.startswith("/v2/team/model/manifests/"):
            ref = h.path.rsplit("/", 1)[1]
            body = blobs[mdigest] if ref in ("1.0", mdigest) else None
            if body is None:
                return h.send(404, b'{"errors": [{"code": "MANIFEST_UNKNOWN"}]}')
            return h.send(200, body, ctype="application/vnd.oci.image.manifest.v1+json")
        if h.path.startswith("/v2/team/model/blobs/"):
            digest = h.path.rsplit("/", 1)[1]
            if digest in blobs:
                return h.send(200, blobs[digest], ctype="application/octet-stream")
        return h.send(404, b"{}")

    return handle


def _ref(server: Server, tag: str = "1.0") -> str:
    return f"docker://{server.host}/team/model:{tag}"


def test_well_behaved_baseline(serve, image):
    s = serve(registry_handler(image))
    facts = inspect(_ref(s), insecure=(s.host,))
    assert facts.user == "app" and "app/serve.py" in facts.tree


@pytest.mark.parametrize("status, headers, message", [
    (401, [], "unsupported registry authentication ''"),
    (401, [("WWW-Authenticate", 'Basic realm="x"')], "the registry wants credentials; `docker login` first"),
    (403, [], "manifest: access denied (HTTP 403)"),
    (404, [], "manifest not found in the registry"),
    (500, [], "manifest: the registry failed (HTTP 500)"),
    (418, [], "manifest: the registry answered HTTP 418"),
])
def test_error_statuses_are_clear_and_not_retried(serve, image, status, headers, message):
    s = serve(registry_handler(image, {"/v2/team/model/manifests/": lambda h: h.send(status, b"{}", headers)}))
    ref = _ref(s)
    with pytest.raises(MllintError) as err:
        inspect(ref, insecure=(s.host,))
    assert str(err.value) == f"{ref}: {message}"
    manifest_gets = [p for p, _ in s.requests if "/manifests/" in p]
    assert len(manifest_gets) <= 2  # at most one authentication round, never a retry loop


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_transient_statuses_are_retried_with_backoff_then_reported(serve, image, status):
    s = serve(registry_handler(image, {"/v2/team/model/manifests/": lambda h: h.send(
        status, b"{}", [("Retry-After", "1000")])}))  # an absurd Retry-After is capped
    started = time.monotonic()
    with pytest.raises(MllintError, match=f"HTTP {status}.*even after retries"):
        inspect(_ref(s), insecure=(s.host,))
    assert len([p for p, _ in s.requests if "/manifests/" in p]) == reg.RETRIES + 1
    assert time.monotonic() - started < 30


def test_a_transient_failure_then_success(serve, image):
    answers = iter([503, 429])

    def flaky(h):
        code = next(answers, None)
        if code is None:
            return False  # fall through: the real answer
        h.send(code, b"{}", [("Retry-After", "0")])

    s = serve(registry_handler(image, {"/v2/team/model/manifests/": flaky}))
    assert "app/serve.py" in inspect(_ref(s), insecure=(s.host,)).tree


def test_a_server_that_accepts_and_never_answers(monkeypatch):
    monkeypatch.setattr(reg, "TIMEOUT", 1.0)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    host = f"127.0.0.1:{sock.getsockname()[1]}"
    accepted = []
    stop = threading.Event()

    def accept():  # accept, read nothing, answer nothing; stops by itself
        sock.settimeout(0.2)
        deadline = time.monotonic() + WATCHDOG
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                accepted.append(sock.accept()[0])
            except OSError:
                pass

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        started = time.monotonic()
        with pytest.raises(MllintError, match="cannot reach the registry at .*timed out"):
            inspect(f"docker://{host}/team/model:1.0", insecure=(host,))
        assert time.monotonic() - started < 20  # one TIMEOUT per phase, no retries of a timeout
    finally:
        stop.set()
        t.join()
        for c in accepted:
            c.close()
        sock.close()


def test_redirects_keep_credentials_home_and_are_bounded(serve, image, tmp_path, monkeypatch):
    blobs, _, _, layer = image
    storage = serve(lambda h: h.send(200, blobs[h.path.rsplit("/", 1)[1]], ctype="application/octet-stream"))

    def auth(h):
        if h.headers.get("Authorization") != "Basic " + __import__("base64").b64encode(b"u:p").decode():
            h.send(401, b"{}", [("WWW-Authenticate", 'Basic realm="r"')])
            return None
        return False

    def to_storage(h):
        if h.path.endswith(layer):
            h.send(307, headers=[("Location", f"http://{storage.host}/store/{layer}")])
            return None
        return False

    s = serve(registry_handler(image, {"/v2/": auth, "/v2/team/model/blobs/": to_storage}))
    (tmp_path / "config.json").write_text(json.dumps(
        {"auths": {s.host: {"auth": __import__("base64").b64encode(b"u:p").decode()}}}))
    assert "app/serve.py" in inspect(_ref(s), insecure=(s.host,)).tree
    assert storage.requests and all("Authorization" not in h for _, h in storage.requests)

    loop = serve(registry_handler(image, {"/v2/team/model/manifests/": lambda h: h.send(
        302, headers=[("Location", h.path)])}))
    with pytest.raises(MllintError, match="too many redirects"):
        inspect(_ref(loop), insecure=(loop.host,))
    assert len(loop.requests) <= 12
    other = serve(registry_handler(image, {"/v2/team/model/manifests/": lambda h: h.send(
        302, headers=[("Location", "file:///etc/passwd")])}))
    with pytest.raises(MllintError, match="refusing a redirect to file:"):
        inspect(_ref(other), insecure=(other.host,))


def test_oversized_manifests_are_refused(serve, image):
    big = b"{" + b" " * (9 << 20) + b"}"
    s = serve(registry_handler(image, {"/v2/team/model/manifests/": lambda h: h.send(200, big)}))
    with pytest.raises(MllintError, match=r"manifest is too large \(9437186 bytes"):
        inspect(_ref(s), insecure=(s.host,))

    def lying_length(h):  # no Content-Length up front: a stream that does not stop
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Connection", "close")
        h.end_headers()
        try:
            for _ in range(20):
                h.wfile.write(b" " * (1 << 20))
        except OSError:
            pass
        h.close_connection = True

    s2 = serve(registry_handler(image, {"/v2/team/model/manifests/": lying_length}))
    with pytest.raises(MllintError, match="manifest is too large"):
        inspect(_ref(s2), insecure=(s2.host,))


def test_digests_and_sizes_that_do_not_match_are_refused(serve, image):
    blobs, mdigest, cdigest, layer = image
    other = json.dumps({"schemaVersion": 2, "layers": [], "config": {}}).encode()
    s = serve(registry_handler(image, {f"/v2/team/model/manifests/{mdigest}": lambda h: h.send(200, other)}))
    ref = f"docker://{s.host}/team/model@{mdigest}"
    with pytest.raises(MllintError, match=f"manifest {mdigest}: digest mismatch"):
        inspect(ref, insecure=(s.host,))
    s2 = serve(registry_handler(image, {f"/v2/team/model/blobs/{cdigest}": lambda h: h.send(200, b"{}")}))
    with pytest.raises(MllintError, match=f"config {cdigest}: digest mismatch"):
        inspect(_ref(s2), insecure=(s2.host,))
    s3 = serve(registry_handler(image, {f"/v2/team/model/blobs/{layer}": lambda h: h.send(
        200, blobs[layer] + b"\0" * 1024)}))
    with pytest.raises(MllintError, match=f"layer 1.*(size|digest) mismatch.*{layer}"):
        inspect(_ref(s3), insecure=(s3.host,))


def test_truncated_and_random_blobs(serve, image):
    blobs, _, _, layer = image
    def truncated(h):  # says N bytes, sends N/2, hangs up
        h.send(200, blobs[layer][: len(blobs[layer]) // 2], headers=[("Content-Length", str(len(blobs[layer])))])
        h.close_connection = True

    s = serve(registry_handler(image, {f"/v2/team/model/blobs/{layer}": truncated}))
    with pytest.raises(MllintError, match="layer 1"):
        inspect(_ref(s), insecure=(s.host,))
    s2 = serve(registry_handler(image, {f"/v2/team/model/blobs/{layer}": lambda h: h.send(200, os.urandom(5000))}))
    with pytest.raises(MllintError, match="layer 1"):
        inspect(_ref(s2), insecure=(s2.host,))


def test_cli_exits_2_without_traceback(serve, image):
    s = serve(registry_handler(image, {"/v2/team/model/manifests/": lambda h: h.send(403, b"{}")}))
    proc = subprocess.run([sys.executable, "-m", "mllint", "image", _ref(s), "--insecure-registry", s.host],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2 and "access denied (HTTP 403)" in proc.stderr and "Traceback" not in proc.stderr


# --- TLS ---------------------------------------------------------------------------------------

def _self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        import datetime

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        if not shutil.which("openssl"):
            pytest.skip("needs the cryptography package or the openssl command to make a certificate")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        return cert, key
    import ipaddress

    pk = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    c = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(pk.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
         .not_valid_after(now + datetime.timedelta(days=1))
         .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
         .sign(pk, hashes.SHA256()))
    cert.write_bytes(c.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(pk.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))
    return cert, key


def test_tls_is_verified_unless_insecure_registry_names_the_host(serve, image, tmp_path):
    cert, key = _self_signed(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    s = serve(registry_handler(image), tls=ctx)
    ref = _ref(s)
    with pytest.raises(MllintError, match="TLS failed: .*certificate.*--insecure-registry"):
        inspect(ref)
    with pytest.raises(MllintError, match="TLS failed"):
        inspect(ref, insecure=("127.0.0.1:1",))  # another host named: still verified
    facts = inspect(ref, insecure=(s.host,))  # TLS without verification, as Docker does
    assert "app/serve.py" in facts.tree
    assert all(p.startswith("/v2/") for p, _ in s.requests)


def _free_port() -> int:
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        return sk.getsockname()[1]


def test_real_registry_with_a_self_signed_certificate(tmp_path, image):
    for tool in ("docker-registry", "skopeo"):
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool} (Debian: apt-get install {tool})")
    cert, key = _self_signed(tmp_path)
    port = _free_port()
    host = f"127.0.0.1:{port}"
    (tmp_path / "config.yml").write_text(
        "version: 0.1\nlog: {level: error}\n"
        f"storage: {{filesystem: {{rootdirectory: {tmp_path / 'data'}}}}}\n"
        f"http: {{addr: {host}, tls: {{certificate: {cert}, key: {key}}}}}\n")
    log = open(tmp_path / "log", "wb")
    proc = subprocess.Popen(["docker-registry", "serve", str(tmp_path / "config.yml")], stdout=log, stderr=log)
    try:
        insecure_ctx = ssl.create_default_context()
        insecure_ctx.check_hostname, insecure_ctx.verify_mode = False, ssl.CERT_NONE
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"https://{host}/v2/", timeout=2, context=insecure_ctx)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.skip(f"docker-registry did not start: {(tmp_path / 'log').read_text()[-300:]}")
                time.sleep(0.1)
        layout = build_oci(SPEC, tmp_path / "oci")
        subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", f"oci:{layout}:latest",
                        f"docker://{host}/team/model:1.0"], check=True, capture_output=True, timeout=60)
        with pytest.raises(MllintError, match="TLS failed"):
            inspect(f"docker://{host}/team/model:1.0")
        assert "app/serve.py" in inspect(f"docker://{host}/team/model:1.0", insecure=(host,)).tree
        with pytest.raises(MllintError, match="manifest not found in the registry"):
            inspect(f"docker://{host}/team/model:2.0", insecure=(host,))
        with pytest.raises(MllintError, match="manifest not found in the registry"):
            inspect(f"docker://{host}/team/nothing:1", insecure=(host,))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
