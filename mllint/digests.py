"""`--pin-digests`: the digest a base image's tag names today, for `FROM name:tag@sha256:...`.

Where digests come from:
- ``--digests-from SOURCE`` (repeatable, no network): an OCI image layout folder or ``oci:DIR``, an
  ``oci-archive:FILE`` or a ``docker save`` tar that carries an ``index.json`` (its
  ``org.opencontainers.image.ref.name`` / ``io.containerd.image.name`` annotations name the tags),
  or ``docker-daemon`` (the engine's ``RepoDigests``; ``DOCKER_HOST`` is honoured);
- otherwise the image's registry (the one network use, only with ``--pin-digests``): the digest of
  the manifest or index the tag points at, computed from the bytes the registry sends.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from pathlib import Path

from .errors import MllintError
from .imageref import parse_image_ref

REF_NAME = "org.opencontainers.image.ref.name"
CONTAINERD_NAME = "io.containerd.image.name"


def _canonical(ref: str) -> tuple[str, str]:
    """(repository with registry, tag) in Docker's normal form: python:3.11 → docker.io/library/python, 3.11."""
    r = parse_image_ref(ref)
    registry = r.registry or "docker.io"
    if registry in ("index.docker.io", "registry-1.docker.io"):
        registry = "docker.io"
    repo = r.repository
    if registry == "docker.io" and "/" not in repo:
        repo = "library/" + repo
    return f"{registry}/{repo}".lower(), r.tag or "latest"


def _index_names(index: dict) -> list[tuple[str, str]]:
    out = []
    for m in index.get("manifests") or ():
        if not isinstance(m, dict) or not isinstance(m.get("digest"), str):
            continue
        ann = m.get("annotations") or {}
        for key in (CONTAINERD_NAME, REF_NAME):
            name = ann.get(key)
            if isinstance(name, str) and name:
                out.append((name, m["digest"]))
    return out


class LocalSource:
    """Tags → digests read once from a layout, an archive, or the daemon."""

    def __init__(self, spec: str):
        self.spec = spec
        self.names: list[tuple[str, str]] = []
        self.daemon = spec in ("docker-daemon", "daemon")
        if not self.daemon:
            self._load()

    def _load(self) -> None:
        text = self.spec
        for prefix in ("oci:", "oci-archive:", "docker-archive:"):
            if text.startswith(prefix):
                text = text[len(prefix):]
                break
        path = Path(text)
        try:
            if path.is_dir():
                index = json.loads((path / "index.json").read_text(encoding="utf-8"))
            else:
                with tarfile.open(path) as tf:
                    member = tf.extractfile("index.json")
                    if member is None:
                        raise KeyError("index.json")
                    index = json.loads(member.read(1 << 20))
        except (OSError, KeyError, ValueError, tarfile.TarError) as exc:
            raise MllintError(f"--digests-from: not an OCI layout or an archive with index.json ({exc})",
                              self.spec) from None
        self.names = _index_names(index)

    def lookup(self, ref: str) -> str | None:
        if self.daemon:
            return _daemon_digest(ref)
        repo, tag = _canonical(ref)
        tag_only = [d for name, d in self.names if ":" not in name and "/" not in name and name == tag]
        for name, digest in self.names:
            if ":" in name or "/" in name:
                if _canonical(name) == (repo, tag):
                    return digest
        return tag_only[0] if len(set(tag_only)) == 1 else None


def _daemon_digest(ref: str) -> str | None:
    try:
        import docker
    except ImportError:
        raise MllintError("reading from the Docker engine needs the 'docker' package", "docker-daemon") from None
    try:
        client = docker.from_env(timeout=60)
        try:
            data = client.api.inspect_image(ref)
        finally:
            client.close()
    except Exception:  # not in the engine, or no engine: unresolved
        return None
    repo, _ = _canonical(ref)
    for rd in data.get("RepoDigests") or ():
        name, _, digest = rd.partition("@")
        if _canonical(name + ":x")[0] == repo and digest:
            return digest
    return None


def _registry_digest(ref: str, insecure: tuple[str, ...]) -> str:
    from .image.registry import ACCEPT, Client, parse
    from .image.sources import JSON_MAX

    where = f"docker://{ref}"
    r = parse(ref, where)
    host_only = r.registry.split(":")[0]
    client = Client(r, r.registry in insecure or host_only in insecure, where)
    resp = client.request(f"/v2/{r.repository}/manifests/{r.reference}", ACCEPT)
    if resp.status != 200:
        resp.close()
        raise MllintError(f"the registry answered HTTP {resp.status}", where)
    body = resp.read(JSON_MAX + 1)
    resp.close()
    if len(body) > JSON_MAX:
        raise MllintError("manifest is too large", where)
    return "sha256:" + hashlib.sha256(body).hexdigest()


class DigestResolver:
    """Resolves each reference once; what cannot be resolved is kept in ``problems``."""

    def __init__(self, sources: tuple[str, ...] = (), insecure: tuple[str, ...] = ()):
        self.local = [LocalSource(s) for s in sources]
        self.insecure = insecure
        self.cache: dict[str, str | None] = {}
        self.problems: list[str] = []

    def resolve(self, ref: str) -> str | None:
        if ref not in self.cache:
            self.cache[ref] = self._resolve(ref)
        return self.cache[ref]

    def _resolve(self, ref: str) -> str | None:
        if self.local:
            for source in self.local:
                digest = source.lookup(ref)
                if digest:
                    return digest
            self.problems.append(f"{ref}: no digest in {', '.join(s.spec for s in self.local)}")
            return None
        try:
            return _registry_digest(ref, self.insecure)
        except MllintError as exc:
            self.problems.append(f"{ref}: {exc}")
            return None
        except OSError as exc:
            self.problems.append(f"{ref}: cannot reach the registry: {exc}")
            return None


def base_digests(target, resolver: DigestResolver) -> dict[str, str]:
    """Digest of every external, digest-less base image of the stages in use (ARG-free references)."""
    from .dockerfile.expand import expand

    out = {}
    for stage in target.dockerfile.stages:
        if stage.base_stage is not None or stage.index not in target.used_stages:
            continue
        value, unknown = expand(stage.base_raw, stage.instructions[0].variables)
        if unknown:
            continue
        ref = parse_image_ref(value)
        if ref.is_scratch or ref.digest:
            continue
        digest = resolver.resolve(value)
        if digest:
            out[value] = digest
    return out
