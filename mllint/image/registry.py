"""``docker://REGISTRY/REPO:TAG|@DIGEST``: the OCI distribution API, with only the standard library.

Manifest lists and OCI indexes pick ``--platform`` (default: this machine's); token auth follows
the ``WWW-Authenticate`` challenge; credentials (and credential helpers) come from the Docker
config the way the docker SDK reads them; redirects to blob storage never carry the
Authorization header to another host; ``--insecure-registry HOST`` talks plain http to HOST.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import ssl
import threading
import urllib.parse

from ..errors import MllintError
from ..record import field, record
from .sources import (
    INDEX_TYPES,
    JSON_MAX,
    MANIFEST_TYPES,
    Image,
    _json,
    _layers_of,
    _pick_manifest,
    scan_parallel,
)

DOCKER_HUB = "registry-1.docker.io"
ACCEPT = ", ".join(MANIFEST_TYPES + INDEX_TYPES)
TIMEOUT = 60  # seconds without a byte from the server (connect, headers, each read)
RETRIES = 3  # GETs answered 429/502/503/504 or reset before any answer are tried again, this many times
BACKOFF = 1.0  # seconds before the first retry, doubled each time (Retry-After is honoured up to RETRY_AFTER_MAX)
RETRY_AFTER_MAX = 30.0
_RETRY_STATUS = (429, 502, 503, 504)
_STATUS_WORDS = {401: "not authorized; `docker login` first", 403: "access denied (HTTP 403)",
                 404: "not found in the registry", 429: "rate limited by the registry (HTTP 429), even after retries"}


@record
class Ref:
    registry: str  # host[:port] to connect to
    auth_host: str  # the name credentials are stored under
    repository: str
    reference: str  # tag or digest


def parse(text: str, where: str) -> Ref:
    rest, at, digest = text.partition("@")
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    else:
        registry, path = "docker.io", rest
    tag = None
    colon = path.rfind(":")
    if colon > path.rfind("/"):
        path, tag = path[:colon], path[colon + 1:]
    if not path or not re.fullmatch(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*",
                                    path):
        raise MllintError("not a valid repository name", where)
    if at and not re.fullmatch(r"[a-z0-9]+:[a-f0-9]{32,}", digest):
        raise MllintError("not a valid digest", where)
    if registry in ("docker.io", "index.docker.io", "registry-1.docker.io"):
        host = DOCKER_HUB
        auth_host = "https://index.docker.io/v1/"
        if "/" not in path:
            path = "library/" + path
    else:
        host = auth_host = registry
    return Ref(host, auth_host, path, digest if at else (tag or "latest"))


def _credentials(auth_host: str) -> tuple[str, str] | None:
    """Username and password (or identity token) from the Docker config, helpers included."""
    try:
        from docker import auth as dauth
    except ImportError:
        return None
    try:
        config = dauth.load_config()
        found = dauth.resolve_authconfig(config, auth_host)
    except Exception:  # a broken config or helper: go on anonymously
        return None
    if not found:
        return None
    user, password = found.get("username") or found.get("Username"), found.get("password") or found.get("Password")
    token = found.get("identitytoken") or found.get("IdentityToken")
    if token:
        return ("<token>", token)
    if user and password:
        return (user, password)
    return None


@record
class Client:
    ref: Ref
    insecure: bool
    where: str
    token: str | None = None
    basic: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    scheme: str | None = None  # https, or http for an --insecure-registry host that does not speak TLS

    def _conn(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        if scheme == "http":
            return http.client.HTTPConnection(netloc, timeout=TIMEOUT)
        context = ssl.create_default_context()
        if self.insecure and netloc == self.ref.registry:  # --insecure-registry: TLS without verification
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(netloc, timeout=TIMEOUT, context=context)

    def base(self) -> str:
        if self.scheme is None:
            self.scheme = self._probe() if self.insecure else "https"
        return f"{self.scheme}://{self.ref.registry}"

    def _probe(self) -> str:
        """As Docker does for an insecure registry: TLS (unverified) when the host speaks it, else http."""
        conn = self._conn("https", self.ref.registry)
        try:
            conn.connect()
            return "https"
        except (ssl.SSLError, ConnectionResetError, http.client.HTTPException):
            return "http"
        except OSError:
            return "http"  # unreachable either way: the request says so
        finally:
            conn.close()

    def _auth_header(self) -> dict:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.basic:
            return {"Authorization": f"Basic {self.basic}"}
        return {}

    def request(self, path: str, accept: str | None = None) -> http.client.HTTPResponse:
        """GET base+path, authenticating on a 401 challenge and following redirects; the
        Authorization header goes only to the registry's own host."""
        for attempt in range(2):
            url = self.base() + path
            headers = {"User-Agent": "mllint", **self._auth_header()}
            if accept:
                headers["Accept"] = accept
            resp = self._follow(url, headers)
            if resp.status == 401 and attempt == 0:
                challenge = resp.getheader("WWW-Authenticate", "")
                resp.read()
                resp.close()
                self._authenticate(challenge)
                continue
            return resp
        return resp

    def _follow(self, url: str, headers: dict) -> http.client.HTTPResponse:
        origin = urllib.parse.urlsplit(url).netloc
        for _ in range(10):
            parts = urllib.parse.urlsplit(url)
            if parts.scheme not in ("http", "https"):
                raise MllintError(f"refusing a redirect to {parts.scheme}:", self.where)
            send = dict(headers)
            if parts.netloc != origin:
                send.pop("Authorization", None)  # never leak the registry token to blob storage
            resp = self._get(parts, send)
            if resp.status in (301, 302, 303, 307, 308):
                location = resp.getheader("Location")
                resp.read(1 << 16)
                resp.close()
                if not location:
                    raise MllintError("a redirect without Location", self.where)
                new = urllib.parse.urljoin(url, location)
                if parts.scheme == "https" and urllib.parse.urlsplit(new).scheme == "http":
                    raise MllintError(f"refusing a redirect from https to plain http ({_host(new)})", self.where)
                url = new
                continue
            return resp
        raise MllintError("too many redirects", self.where)

    def _get(self, parts: urllib.parse.SplitResult, headers: dict) -> http.client.HTTPResponse:
        """One GET; a GET is safe to repeat, so a reset connection, 429 and 502/503/504 are retried
        with exponential backoff (Retry-After honoured, capped). Timeouts are not retried: a server
        that accepts and never answers costs TIMEOUT once, not RETRIES times."""
        import time

        target = parts.path + (f"?{parts.query}" if parts.query else "")
        delay = BACKOFF
        for attempt in range(RETRIES + 1):
            conn = self._conn(parts.scheme, parts.netloc)
            try:
                conn.request("GET", target or "/", headers=headers)
                resp = conn.getresponse()
            except (TimeoutError, ssl.SSLError) as exc:
                conn.close()
                what = "timed out" if isinstance(exc, TimeoutError) else f"TLS failed: {_tls_reason(exc)}"
                raise MllintError(f"cannot reach the registry at {parts.netloc}: {what}", self.where) from None
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                if attempt < RETRIES and isinstance(exc, (ConnectionResetError, http.client.RemoteDisconnected,
                                                          ConnectionRefusedError)):
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise MllintError(f"cannot reach the registry at {parts.netloc}: {exc}", self.where) from None
            if resp.status in _RETRY_STATUS and attempt < RETRIES:
                wait = _retry_after(resp.getheader("Retry-After"), delay)
                resp.read(1 << 16)
                conn.close()
                time.sleep(wait)
                delay *= 2
                continue
            return resp
        return resp

    def _authenticate(self, challenge: str) -> None:
        scheme, _, params = challenge.partition(" ")
        fields = dict(re.findall(r'(\w+)="([^"]*)"', params))
        creds = _credentials(self.ref.auth_host)
        if scheme.lower() == "basic":
            if not creds:
                raise MllintError("the registry wants credentials; `docker login` first", self.where)
            self.basic = base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
            return
        if scheme.lower() != "bearer" or "realm" not in fields:
            raise MllintError(f"unsupported registry authentication {challenge!r}", self.where)
        query = {k: v for k, v in fields.items() if k in ("service", "scope")}
        if "scope" not in query:
            query["scope"] = f"repository:{self.ref.repository}:pull"
        realm = fields["realm"] + ("&" if "?" in fields["realm"] else "?") + urllib.parse.urlencode(query)
        headers = {"User-Agent": "mllint"}
        if creds:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
        parts = urllib.parse.urlsplit(realm)
        conn = self._conn(parts.scheme, parts.netloc)
        try:
            conn.request("GET", parts.path + "?" + parts.query, headers=headers)
            resp = conn.getresponse()
            body = resp.read(1 << 20)
        except (OSError, http.client.HTTPException) as exc:
            raise MllintError(f"cannot reach the token service {parts.netloc}: {exc}", self.where) from None
        finally:
            conn.close()
        if resp.status != 200:
            raise MllintError(f"the token service refused: HTTP {resp.status}", self.where)
        try:
            data = json.loads(body)
        except ValueError:
            raise MllintError("the token service sent no JSON", self.where) from None
        token = data.get("token") or data.get("access_token")
        if not token:
            raise MllintError("the token service sent no token", self.where)
        self.token = token

    def get_json(self, path: str, accept: str | None, what: str, digest: str | None = None,
                 size: int | None = None) -> dict:
        resp = self.request(path, accept)
        if resp.status != 200:
            resp.close()
            raise MllintError(f"{what}{' ' if resp.status == 404 else ': '}{status_message(resp.status)}", self.where)
        length = resp.getheader("Content-Length")
        if length and length.isdigit() and int(length) > JSON_MAX:
            resp.close()
            raise MllintError(f"{what} is too large ({length} bytes; at most {JSON_MAX})", self.where)
        body = _read_bounded(resp, JSON_MAX + 1, self.where, what)
        if len(body) > JSON_MAX:
            raise MllintError(f"{what} is too large (more than {JSON_MAX} bytes)", self.where)
        if digest and digest.startswith("sha256:") and "sha256:" + hashlib.sha256(body).hexdigest() != digest:
            raise MllintError(f"{what} {digest}: digest mismatch: the registry sent bytes hashing to "
                              f"sha256:{hashlib.sha256(body).hexdigest()}", self.where)
        if isinstance(size, int) and not isinstance(size, bool) and size != len(body):
            raise MllintError(f"{what} {digest}: size mismatch: the descriptor says {size} bytes, "
                              f"the registry sent {len(body)}", self.where)
        return _json(body, what, self.where)


def status_message(status: int) -> str:
    if status in _STATUS_WORDS:
        return _STATUS_WORDS[status]
    if status >= 500:
        return f"the registry failed (HTTP {status}), even after retries" if status in _RETRY_STATUS else \
            f"the registry failed (HTTP {status})"
    return f"the registry answered HTTP {status}"


def _read_bounded(resp, limit: int, where: str, what: str) -> bytes:
    """At most ``limit`` bytes, within a total deadline: a server trickling a byte at a time
    cannot hold mllint for ever."""
    import time

    deadline = time.monotonic() + 5 * TIMEOUT
    parts, got = [], 0
    try:
        while got < limit:
            data = resp.read1(min(1 << 16, limit - got)) if hasattr(resp, "read1") else resp.read(limit - got)
            if not data:
                break
            parts.append(data)
            got += len(data)
            if time.monotonic() > deadline:
                raise MllintError(f"{what}: the registry is sending too slowly", where)
    except (OSError, http.client.HTTPException) as exc:
        raise MllintError(f"{what}: the connection failed: {exc}", where) from None
    finally:
        resp.close()
    return b"".join(parts)


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc


def _tls_reason(exc: ssl.SSLError) -> str:
    reason = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or str(exc)
    return f"{reason} (use --insecure-registry HOST for a registry with a self-signed certificate)"


def _retry_after(value: str | None, default: float) -> float:
    try:
        return min(max(float(value), 0.0), RETRY_AFTER_MAX) if value else default
    except ValueError:
        return default


class _Body:
    def __init__(self, resp):
        self.resp = resp

    def read(self, n: int) -> bytes:
        try:
            return self.resp.read(n)
        except (OSError, http.client.HTTPException) as exc:  # a truncated body, a reset, a stalled server
            raise MllintError(f"the blob download failed: {exc.__class__.__name__}: {exc}") from None

    def close(self) -> None:
        self.resp.close()


def load_registry(text: str, platform: str | None, insecure: tuple[str, ...], where: str) -> Image:
    ref = parse(text, where)
    host_only = ref.registry.split(":")[0]
    client = Client(ref, ref.registry in insecure or host_only in insecure, where)
    repo = ref.repository
    first = client.get_json(f"/v2/{repo}/manifests/{ref.reference}", ACCEPT, "manifest",
                            ref.reference if ref.reference.startswith("sha256:") else None)
    manifest = _pick_manifest(first, platform, None, where,
                              lambda d: client.get_json(f"/v2/{repo}/manifests/{d.get('digest')}", ACCEPT,
                                                        "manifest", d.get("digest"), d.get("size")))
    cfg_desc, blobs = _layers_of(manifest, where)
    config = client.get_json(f"/v2/{repo}/blobs/{cfg_desc.get('digest')}", None, "config", cfg_desc.get("digest"),
                             cfg_desc.get("size"))

    def opener(digest: str):
        def open_():
            resp = client.request(f"/v2/{repo}/blobs/{digest}")
            if resp.status != 200:
                resp.close()
                raise MllintError(f"blob {digest}: {status_message(resp.status)}", where)
            return _Body(resp), None

        return open_

    scans = scan_parallel([opener(b.digest) for b in blobs], blobs, where)
    return Image(where, config, scans)
