"""Security and supply chain: secrets in the Dockerfile or copied in, dependency confusion, TLS
verification turned off, unverified downloads executed, root and world-writable files.

Secret values never reach a report: every finding lists the values it is about in
``Finding.secrets``, and :func:`target_secrets` (registered with the engine) lists every secret
value of the target so the engine redacts them from all findings' messages and snippets."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from .. import knowledge
from ..deps.commands import Fetch, Install
from ..dockerfile.expand import expand
from ..engine import check, secret_source
from ..findings import Finding
from ..model import Instruction, Span
from ..target import Target
from ._common import (
    PIP_LIKE,
    arg_words,
    artifact_folder_stop,
    assignments,
    copies,
    expanded,
    program,
    shipped_root_stage,
    shipped_steps,
    shown,
    used_steps,
)

_URL_CREDENTIALS = re.compile(r"\b([a-z][a-z0-9+.-]*://)([^/\s:@'\"]+):([^/\s@'\"]+)@")
_MIN_SECRET = 6
_TOKEN_OPTIONS = frozenset({"--token", "--password", "--api-key", "--key", "-p", "--access-token", "--secret"})
_LOGIN = frozenset({"huggingface-cli", "hf", "wandb", "docker", "podman", "gh", "ngc", "helm", "npm", "twine",
                    "kaggle", "aws", "az", "skopeo", "buildah", "comet", "mlflow"})


def _literal(value: str) -> bool:
    """A value written in the Dockerfile, not a `$VAR` reference or a placeholder."""
    stripped = value.strip()
    return (len(stripped) >= _MIN_SECRET and "$" not in stripped and not knowledge.placeholder(stripped)
            and not (stripped.startswith("<") and stripped.endswith(">")))


def _shape(value: str, name: str = "") -> tuple[str, str] | None:
    """(what, matched text) when ``value`` contains a known secret shape."""
    if not knowledge.any_secret_shape().search(value):
        return None
    for what, regex, context in knowledge.secret_shapes():
        if context and not any(c in name.upper() for c in context):
            continue
        m = regex.search(value)
        if m:
            return what, m.group()
    return None


def _declarations(t: Target, everywhere: bool = False) -> tuple[tuple[Instruction, str, Span, object], ...]:
    """ARG/ENV declarations of the stages in use (or all), computed once: three checks read them."""
    return t.once(("declarations", everywhere), lambda t: tuple(
        (ins, name, name_span, word) for ins in t.dockerfile.instructions
        if ins.keyword in ("ARG", "ENV") and (everywhere or t.in_use(ins))
        for name, name_span, word in assignments(ins)))


def _arg_env_hits(t: Target, everywhere: bool = False):
    """(instruction, name, name span, value word, what, secret value or None) for secrets in ARG/ENV."""
    for ins, name, name_span, word in _declarations(t, everywhere):
        value = word.value if word is not None else None
        row = knowledge.secret_name(name)
        if row is not None and row.get("value_must_have_credentials"):
            m = _URL_CREDENTIALS.search(value or "")
            if not m or not _literal(m.group(3)):
                continue
            yield ins, name, name_span, word, row["what"], m.group(3)
            continue
        if row is not None:
            if ins.keyword == "ENV" and (value is None or not value.strip()):
                continue  # ENV X= clears it
            secret = value if value is not None and _literal(value) else None
            if value is not None and not secret and ins.keyword == "ENV" and "$" not in value:
                continue  # ENV HF_TOKEN=changeme: a placeholder
            yield ins, name, name_span, word, row["what"], secret
            continue
        if value:
            shape = _shape(value, name)
            if shape:
                yield ins, name, name_span, word, shape[0], shape[1]


def _run_hits(t: Target, everywhere: bool = False):
    """(span, what, secret value) for secrets written on RUN command lines."""
    for step in t.steps:
        if not (everywhere or t.in_use(step.instruction)):
            continue
        cmd = step.command
        prog, args = program(step)
        seen: set[tuple[int, int]] = set()
        for word in cmd.argv:
            m = _URL_CREDENTIALS.search(word.value)
            if m and _literal(m.group(3)):
                seen.add((word.span.line, word.span.column))
                yield word.span, "credentials in a URL", m.group(3)
                continue
            shape = _shape(word.value)
            if shape and _literal(shape[1]):
                seen.add((word.span.line, word.span.column))
                yield word.span, shape[0], shape[1]
        if prog in _LOGIN:
            values = [a.value for a in args]
            for k, a in enumerate(args):
                opt, eq, inline = a.value.partition("=")
                if opt in _TOKEN_OPTIONS:
                    if eq:
                        secret, span = inline, a.span
                    elif k + 1 < len(args):
                        secret, span = args[k + 1].value, args[k + 1].span
                    else:
                        continue
                    if _literal(secret) and (span.line, span.column) not in seen:
                        yield span, f"a `{prog}` credential", secret
            if prog == "wandb" and values[:1] == ["login"]:
                ops = [a for a in args[1:] if not a.value.startswith("-")]
                if ops and _literal(ops[0].value) and (ops[0].span.line, ops[0].span.column) not in seen:
                    yield ops[0].span, "a W&B API key", ops[0].value
        for name, word in cmd.assignments:
            row = knowledge.secret_name(name)
            if row is None or row.get("value_must_have_credentials"):
                continue  # PIP_EXTRA_INDEX_URL=...: a secret only with credentials (found above)
            if _literal(word.value) and (word.span.line, word.span.column) not in seen:
                yield word.span, f"`{name}`", word.value


def _dep_file_hits(t: Target):
    """(path, span, secret) for credentials in the index URLs of requirement files."""
    for dep in t.dep_files:
        if dep.kind != "requirements":
            continue
        model = dep.model
        for url, span in tuple(model.index_urls) + tuple(model.extra_index_urls) + tuple(model.find_links):
            m = _URL_CREDENTIALS.search(url)
            if m and _literal(m.group(3)):
                yield dep.display, span, m.group(3)


@secret_source
def target_secrets(t: Target) -> Iterator[str]:
    """Every secret value of the target, in any stage, for the engine to redact from all outputs."""
    for _, _, secret in _dep_file_hits(t):
        yield secret
    if not getattr(t, "dockerfile", None) or not t.dockerfile.stages:
        return
    for hit in _arg_env_hits(t, everywhere=True):
        if hit[5]:
            yield hit[5]
            if hit[3] is not None and hit[3].value != hit[5] and _literal(hit[3].value):
                yield hit[3].value
    for _, _, secret in _run_hits(t, everywhere=True):
        yield secret


@check("ML501")
def secrets_in_arg_env(t: Target) -> Iterator[Finding]:
    for ins, name, name_span, word, what, secret in _arg_env_hits(t):
        how = ("its value is stored in the image config and `docker history` of every copy of the image"
               if ins.keyword == "ENV" else
               "build arguments are recorded in the image history and in the build cache")
        value = " (value redacted)" if secret else ""
        yield Finding("ML501", t.dockerfile.path, name_span,
                      f"{ins.keyword} `{name}` holds a secret ({what}){value}: {how}, so anyone who can pull "
                      f"the image can read it and use your model hub / cloud account. Pass it with "
                      f"`RUN --mount=type=secret,id={name.lower()},env={name}` (BuildKit) and at run time "
                      f"from the orchestrator's secret store.",
                      secrets=(secret,) if secret else ())


@check("ML502")
def secrets_on_command_line(t: Target) -> Iterator[Finding]:
    for span, what, secret in _run_hits(t):
        yield Finding("ML502", t.dockerfile.path, span,
                      f"this RUN line contains {what} (redacted): the command line is stored in the image "
                      f"history and the build log, readable by anyone with the image. Use "
                      f"`RUN --mount=type=secret,id=token,env=HF_TOKEN ...` and read it from the environment.",
                      secrets=(secret,))
    for path, span, secret in _dep_file_hits(t):
        yield Finding("ML502", path, span,
                      "this index URL carries credentials (redacted): the requirement file is copied into the "
                      "image and its layers, and pip prints the URL in build logs. Keep the credentials out "
                      "of the file: use a keyring, `PIP_INDEX_URL` from `RUN --mount=type=secret`, or a .netrc "
                      "mounted as a secret.",
                      secrets=(secret,))


# --------------------------------------------------------------------------- secret files


def _rm_later(t: Target, ins: Instruction, dest: str) -> bool:
    for _, step in shipped_steps(t):
        if step.instruction.span.line <= ins.span.line:
            continue
        prog, args = program(step)
        if prog == "rm" and any(posixpath.basename(a.value.rstrip("/")) == posixpath.basename(dest.rstrip("/"))
                                or dest.startswith(posixpath.normpath(posixpath.join(t.workdir(step.instruction), a.value)))
                                for a in args if not a.value.startswith("-")):
            return True
    return False


@check("ML503")
def secret_files(t: Target) -> Iterator[Finding]:
    path = t.dockerfile.path
    ctx = t.build_context
    for cp in copies(t):
        for word in cp.sources:
            src = expanded(word, cp.ins)
            if src.startswith(("http://", "https://")) or "$" in src:
                continue
            rel = posixpath.normpath(src.lstrip("/")) if src not in ("", ".") else "."
            base = posixpath.basename(rel)
            found: list[str] = []
            if base != "." and knowledge.secret_file(base):
                if cp.from_stage is None and ctx is not None and ctx.excluded(rel):
                    continue  # .dockerignore leaves it out (the build would fail, not leak)
                found = [src]
            elif cp.from_stage is None and ctx is not None and (rel == "." or (ctx.root / rel).is_dir()):
                listing = ctx.listing(rel, artifact_folder_stop)
                found = [f for f in listing.files if knowledge.secret_file(posixpath.basename(f))]
            if not found:
                continue
            deleted = _rm_later(t, cp.ins, cp.dest)
            later = (" Deleting it in a later RUN does not help: it stays in this layer." if deleted else "")
            yield Finding("ML503", path, word.span,
                          f"`{cp.ins.keyword} {src}` copies credential files into the image "
                          f"({shown(found, len(found))}): anyone who pulls the image can read them.{later} "
                          f"Exclude them in `.dockerignore` and use `RUN --mount=type=secret` at build time.")


# --------------------------------------------------------------------------- indexes and TLS


@check("ML504")
def extra_index(t: Target) -> Iterator[Finding]:
    path = t.dockerfile.path
    for _, step in used_steps(t):
        action = step.action
        if not isinstance(action, Install) or action.manager not in PIP_LIKE:
            continue
        if action.manager == "uv" and "unsafe-best-match" not in step.instruction.text:
            continue  # uv stops at the first index that has the package
        for word in action.extra_index_urls:
            yield Finding("ML504", path, word.span, _extra_message(expanded(word, step.instruction)),
                          secrets=_url_secret(word.value))
    for dep in t.dep_files:
        if dep.kind != "requirements":
            continue
        for url, span in dep.model.extra_index_urls:
            yield Finding("ML504", dep.display, span, _extra_message(url), secrets=_url_secret(url))
    for ins, name, name_span, word in _declarations(t):
        if name == "PIP_EXTRA_INDEX_URL" and word is not None and word.value.strip():
            yield Finding("ML504", path, name_span, _extra_message(word.value), secrets=_url_secret(word.value))
    seen = set()
    for _, step in used_steps(t):  # RUN PIP_EXTRA_INDEX_URL=... pip install
        for name, word in step.command.assignments:
            key = (word.span.line, word.span.column)
            if name == "PIP_EXTRA_INDEX_URL" and word.value.strip() and key not in seen:
                seen.add(key)
                yield Finding("ML504", path, word.span, _extra_message(word.value), secrets=_url_secret(word.value))


def _url_secret(url: str) -> tuple[str, ...]:
    m = _URL_CREDENTIALS.search(url)
    return (m.group(3),) if m else ()


def _extra_message(url: str) -> str:
    m = _URL_CREDENTIALS.search(url)
    if m:
        url = url.replace(m.group(0), f"{m.group(1)}***@")
    return (f"`--extra-index-url {url}`: pip takes the highest version of a name across all indexes, so "
            f"anyone who publishes that name on PyPI wins (dependency confusion, as in PyTorch's "
            f"`torchtriton` compromise of December 2022). Use a single `--index-url` that proxies PyPI, "
            f"or uv with its default first-index strategy, and pin with hashes.")


_INSECURE_OPTIONS = {
    "--trusted-host": "pip accepts any certificate (or plain http) from this host",
    "--no-check-certificate": "wget accepts any certificate",
    "--insecure": "curl accepts any certificate",
    "--allow-unauthenticated": "apt installs unsigned packages",
    "--allow-untrusted": "apk installs unsigned packages",
    "--nogpgcheck": "the package signatures are not checked",
    "--force-yes": "apt installs unauthenticated packages",
}
_INSECURE_ENV = {"PIP_TRUSTED_HOST": None, "GIT_SSL_NO_VERIFY": "truthy", "PYTHONHTTPSVERIFY": "0",
                 "CURL_CA_BUNDLE": "", "REQUESTS_CA_BUNDLE": "", "NODE_TLS_REJECT_UNAUTHORIZED": "0"}


@check("ML505")
def tls_disabled(t: Target) -> Iterator[Finding]:
    path = t.dockerfile.path
    for _, step in used_steps(t):
        prog, args = program(step)
        for a in args:
            opt = a.value.split("=", 1)[0]
            why = _INSECURE_OPTIONS.get(opt)
            if opt == "-k" and prog == "curl" or (prog == "curl" and re.fullmatch(r"-[a-zA-Z]*k[a-zA-Z]*", a.value)):
                why = _INSECURE_OPTIONS["--insecure"]
            if why:
                yield Finding("ML505", path, a.span,
                              f"`{a.value}`: {why}, so a network attacker or a hijacked mirror can swap the "
                              f"wheels, models or binaries that ship in this image. Remove it and fix the "
                              f"certificate chain (install the CA with `ca-certificates`).")
        if prog == "git" and any(a.value.lower() in ("http.sslverify", "http.sslverify=false") for a in args) \
                and any(a.value.lower() == "false" for a in args):
            yield Finding("ML505", path, step.command.span,
                          "`git config http.sslVerify false` turns off TLS verification for every clone: "
                          "a network attacker can swap the code that ships. Remove it and fix the CA bundle.")
    for ins, name, name_span, word in _declarations(t):
        if name in _INSECURE_ENV and word is not None:
            value = word.value.strip().lower()
            expected = _INSECURE_ENV[name]
            if (expected is None and value) or (expected == "truthy" and value in ("1", "true", "yes")) or \
                    (expected is not None and expected != "truthy" and value == expected and
                     (expected != "" or word.span.end_column > word.span.column)):
                if expected == "" and value:
                    continue
                yield Finding("ML505", path, name_span,
                              f"{ins.keyword} `{name}={word.value}` turns off TLS verification: a network "
                              f"attacker can swap what is downloaded into the image. Remove it.")


@check("ML506")
def plain_http(t: Target) -> Iterator[Finding]:
    path = t.dockerfile.path
    for _, step in used_steps(t):
        action = step.action
        ins = step.instruction
        urls = []
        if isinstance(action, Fetch) and action.url is not None:
            urls = [action.url]
        elif isinstance(action, Install):
            urls = list(action.index_urls) + list(action.extra_index_urls)
        for word in urls:
            url = expanded(word, ins)
            if not url.startswith("http://") or re.match(r"http://(localhost|127\.|0\.0\.0\.0|\[::1\])", url):
                continue
            if re.search(r"\b(sha(1|224|256|384|512)sum|md5sum|gpg\s+--verify|--checksum|--hash)\b", ins.text):
                continue
            yield Finding("ML506", path, word.span,
                          f"`{url}` is downloaded over plain http without a checksum: anyone on the path "
                          f"can replace it with code that then runs in your image. Use https and verify a "
                          f"pinned sha256 (`echo '<sha256>  file' | sha256sum -c`).",
                          secrets=_url_secret(url))
    for cp in copies(t, shipped_only=False):
        if cp.ins.keyword == "ADD" and cp.ins.flag("checksum") is None:
            for word in cp.sources:
                url = expanded(word, cp.ins)
                if url.startswith("http://"):
                    yield Finding("ML506", path, word.span,
                                  f"`ADD {url}` downloads over plain http without `--checksum`: anyone on the "
                                  f"path can replace it. Use https and `ADD --checksum=sha256:...`.")


@check("ML507")
def piped_to_shell(t: Target) -> Iterator[Finding]:
    path = t.dockerfile.path
    for _, step in used_steps(t):
        action = step.action
        if isinstance(action, Fetch) and action.piped_to_shell and action.url is not None:
            target = step.command.piped_to or ()
            name = posixpath.basename(target[0].value) if target else "a shell"
            yield Finding("ML507", path, action.url.span,
                          f"`{action.tool} {expanded(action.url, step.instruction)} | {name}` runs a script "
                          f"straight from the network, unverified: a compromised or hijacked server runs "
                          f"code in your build with root rights. Download it, check a pinned sha256, then "
                          f"run it (or install the tool from a package manager with a pinned version).",
                          secrets=_url_secret(action.url.value))


# --------------------------------------------------------------------------- users and permissions

_ROOT = frozenset({"root", "0", "root:root", "0:0", "root:0", "0:root"})


@check("ML508")
def root_user(t: Target) -> Iterator[Finding]:
    if t.profile == "dev" or not t.dockerfile.stages:
        return
    last = None
    for ins in t.dockerfile.instructions:
        if ins.stage >= 0 and t.ships(ins) and ins.keyword == "USER":
            last = ins
    path = t.dockerfile.path
    if last is None:
        root = shipped_root_stage(t)
        if expand(root.base_raw, root.instructions[0].variables)[1] or not root.base:
            return  # FROM $BASE_IMAGE with no default: that image may well set a USER
        stage = t.dockerfile.stages[t.target_stage]
        frm = stage.instructions[0]
        first_line = frm.text.split("\n", 1)[0]
        yield Finding("ML508", path, frm.source.span(0, len(first_line.rstrip())),
                      "the shipped stage never sets USER, so the model server runs as root: a bug in the "
                      "server, a pickle-based model file or a malicious request gets root in the container "
                      "(and on the host after a breakout). Add `RUN useradd -r -u 10001 app` and "
                      "`USER 10001` before CMD.")
        return
    user = expanded(arg_words(last)[0], last) if arg_words(last) else ""
    if user.lower() in _ROOT:
        word = arg_words(last)[0]
        yield Finding("ML508", path, word.span,
                      f"the shipped stage ends with `USER {user}`, so the model server runs as root: a bug, a "
                      f"pickle-based model file or a malicious request gets root in the container. Switch "
                      f"to an unprivileged user (`USER 10001`) after the steps that need root.")


_WORLD_OCTAL = re.compile(r"^0*[0-7]?[0-7][0-7]([2367])$")
_WORLD_SYMBOLIC = re.compile(r"(^|,)(a|o|ugo|[ug]*o[ug]*)?[+=][rwxXst]*w")


@check("ML509")
def world_writable(t: Target) -> Iterator[Finding]:
    path = t.dockerfile.path
    for _, step in shipped_steps(t):
        prog, args = program(step)
        if prog != "chmod":
            continue
        modes = [a for a in args if not a.value.startswith("-") or re.match(r"^-[rwxXst]+$", a.value)]
        if not modes:
            continue
        mode = modes[0]
        value = mode.value
        octal = re.fullmatch(r"0*([0-7]{3,4})", value)
        world = False
        if octal:
            digits = octal.group(1)
            sticky = len(digits) == 4 and digits[0] in "1357"
            world = int(digits[-1]) & 2 and not sticky
        elif _WORLD_SYMBOLIC.search(value) and not value.startswith("+"):
            world = bool(re.search(r"(^|,)[ugo]*[ao][ugo]*[+=]", value) or value.startswith(("a+", "a=")))
        if world:
            yield Finding("ML509", path, mode.span,
                          f"`chmod {value}` makes files world-writable: any process in the container (a "
                          f"compromised request handler, a tokenizer plugin) can replace code or model files "
                          f"that the server then loads. Give ownership to the app user (`COPY --chown`) and "
                          f"use 755/644.")
