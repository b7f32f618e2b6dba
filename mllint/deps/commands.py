"""Recognise what one shell command installs or fetches.

``recognise`` looks through wrappers (``sudo``, ``env X=1``, ``xargs``…) and
``python -m``, then parses the arguments of pip, uv, the conda family, apt,
apk, dnf/yum, poetry, pipenv and pdm, ``git clone``/``checkout``, curl/wget and
``huggingface-cli download`` with a getopt-style grammar per tool, so options
that take a value never pass for packages.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping

from mllint.deps.specs import (
    PackageSpec,
    os_package_pinned,
    parse_conda_spec,
    parse_pip_spec,
)
from mllint.dockerfile.expand import expand
from mllint.dockerfile.shell import SHELLS, Command, basename, unwrap
from mllint.model import Span, Variable, Word

from ..record import field, record

# --------------------------------------------------------------------------- results


@record(frozen=True, slots=True)
class PackageRef:
    manager: str
    word: Word
    text: str  # after variable expansion
    spec: PackageSpec
    unresolved: tuple[str, ...]  # variables used without a known value
    span: Span


@record(frozen=True, slots=True)
class Install:
    manager: str  # pip, uv, conda, mamba, micromamba, apt-get, apt, apk, dnf, yum, microdnf, poetry, pipenv, pdm
    subcommand: str  # install, sync, add, create, env-create, env-update, tool-install
    command: Command
    packages: tuple[PackageRef, ...]
    requirement_files: tuple[Word, ...]  # -r FILE; conda --file with a spec list
    constraint_files: tuple[Word, ...]
    env_files: tuple[Word, ...]  # conda environment.yml files
    projects: tuple[Word, ...]  # local projects: ".", "-e .", "./pkg"
    index_urls: tuple[Word, ...]  # --index-url; conda channels; apk repositories
    extra_index_urls: tuple[Word, ...]  # --extra-index-url, uv --index
    options: frozenset[str]  # long option names seen: "--no-cache-dir", "--yes", "--upgrade"…
    span: Span


@record(frozen=True, slots=True)
class GitClone:
    command: Command
    url: Word
    branch: str | None  # --branch / -b, expanded
    depth: int | None
    span: Span


@record(frozen=True, slots=True)
class GitCheckout:
    command: Command
    ref: Word
    span: Span


@record(frozen=True, slots=True)
class Fetch:
    command: Command
    tool: str  # "curl" | "wget"
    url: Word | None
    piped_to_shell: bool  # curl … | sh, wget -O- … | python3
    output: Word | None  # -o / -O FILE, or a > redirect
    span: Span


@record(frozen=True, slots=True)
class HubDownload:
    command: Command
    tool: str  # "huggingface-cli" | "hf"
    repo: Word
    revision: str | None
    span: Span


Action = Install | GitClone | GitCheckout | Fetch | HubDownload


# --------------------------------------------------------------------------- option grammar


@record(frozen=True)
class _Grammar:
    takes_value: frozenset[str]  # canonical names of the options that consume a value
    aliases: Mapping[str, str] = field(default_factory=dict)  # "-U" -> "--upgrade"

    def canonical(self, name: str) -> str:
        return self.aliases.get(name, name)

    def extend(self, takes_value: set[str], aliases: Mapping[str, str]) -> "_Grammar":
        return _Grammar(self.takes_value | takes_value, {**self.aliases, **aliases})


@record
class _Args:
    options: set[str] = field(default_factory=set)
    values: dict[str, list[Word]] = field(default_factory=lambda: defaultdict(list))
    operands: list[Word] = field(default_factory=list)

    def last(self, option: str) -> Word | None:
        found = self.values.get(option)
        return found[-1] if found else None


def _parse(words: tuple[Word, ...], grammar: _Grammar) -> _Args:
    """getopt-style: ``-yq`` clusters, ``-rFILE``, ``--opt=value``, ``--opt value``, ``--``."""
    args = _Args()
    k = 0
    while k < len(words):
        word, value = words[k], words[k].value
        k += 1
        if value == "--":
            args.operands.extend(words[k:])
            break
        if value.startswith("--"):
            written, eq, _ = value.partition("=")
            name = grammar.canonical(written)
            args.options.add(name)
            if eq:
                args.values[name].append(_tail(word, len(written) + 1))
            elif name in grammar.takes_value and k < len(words):
                args.values[name].append(words[k])
                k += 1
        elif value.startswith("-") and len(value) > 1:
            k = _short_cluster(words, k, grammar, args)
        else:
            args.operands.append(word)
    return args


def _short_cluster(words: tuple[Word, ...], k: int, grammar: _Grammar, args: _Args) -> int:
    """Options of ``words[k - 1]`` such as ``-fsSL`` or ``-qO-``; returns the next index to read."""
    word = words[k - 1]
    value = word.value
    for j in range(1, len(value)):
        name = grammar.canonical("-" + value[j])
        args.options.add(name)
        if name in grammar.takes_value:
            if j + 1 < len(value):
                args.values[name].append(_tail(word, j + 1))
            elif k < len(words):
                args.values[name].append(words[k])
                k += 1
            break
    return k


def _tail(word: Word, start: int) -> Word:
    """The part of ``word`` from value offset ``start``: ``URL`` of ``--index-url=URL``."""
    value = word.value[start:]
    span = word.span
    if word.raw[:start] != word.value[:start]:
        return Word(value, value, span, word.quoted, False)
    raw = word.raw[start:]
    if span.line == span.end_line:
        span = Span(span.line, span.column + start, span.end_line, span.end_column)
    single = len(raw) >= 2 and raw[0] == "'" and raw.find("'", 1) == len(raw) - 1
    return Word(value, raw, span, word.quoted, single)


def _grammar(takes_value: str, aliases: str = "") -> _Grammar:
    """Build a grammar from ``"--a --b"`` and ``"-x=--long -y=--yes"``."""
    pairs = dict(pair.split("=", 1) for pair in aliases.split())
    return _Grammar(frozenset(takes_value.split()), pairs)


_PIP = _grammar(
    "--requirement --constraint --editable --index-url --extra-index-url --find-links --target --prefix --root"
    " --trusted-host --platform --python-version --implementation --abi --only-binary --no-binary --src"
    " --upgrade-strategy --progress-bar --log --log-file --cache-dir --cert --client-cert --proxy --retries"
    " --timeout --exists-action --global-option --install-option --build-option --config-settings --report"
    " --python --root-user-action --use-feature --use-deprecated --keyring-provider --group",
    "-r=--requirement -c=--constraint -e=--editable -i=--index-url -f=--find-links -t=--target -U=--upgrade"
    " -q=--quiet -v=--verbose -I=--ignore-installed -C=--config-settings --no-cache=--no-cache-dir"
    " --index=--index-url",
)
_UV = _PIP.extend(
    {"--torch-backend", "--index", "--default-index", "--index-strategy", "--extra", "--only-group",
     "--no-group", "--package", "--resolution", "--prerelease", "--python-platform", "--directory",
     "--project", "--with", "--exclude-newer", "--link-mode", "--refresh-package", "--reinstall-package",
     "--upgrade-package", "--no-binary-package", "--no-build-package", "--config-file", "--color",
     "--optional", "--rev", "--tag", "--branch", "--marker", "--overrides", "--build-constraints"},
    {"-p": "--python", "-P": "--upgrade-package", "-m": "--marker", "-b": "--build-constraints",
     "--index": "--index"},
)
_CONDA = _grammar(
    "--channel --name --prefix --file --solver --repodata-fn --platform --subdir --root-prefix --rc-file --clone"
    " --category --log-level",
    "-c=--channel -n=--name -p=--prefix -f=--file -y=--yes -q=--quiet -v=--verbose -d=--dry-run"
    " -r=--root-prefix -S=--satisfied-skip-solve",
)
_APT = _grammar(
    "--option --target-release --config-file --host-architecture",
    "-o=--option -t=--target-release -c=--config-file -a=--host-architecture -y=--yes --assume-yes=--yes"
    " -q=--quiet -f=--fix-broken -m=--fix-missing -s=--simulate -d=--download-only",
)
_APK = _grammar(
    "--virtual --repository --root --arch --keys-dir --repositories-file --cache-dir --timeout",
    "-t=--virtual -X=--repository -p=--root -U=--update-cache -u=--upgrade -q=--quiet -v=--verbose"
    " -l=--latest -s=--simulate -i=--interactive",
)
_DNF = _grammar(
    "--setopt --enablerepo --disablerepo --repo --repoid --installroot --releasever --exclude --config"
    " --forcearch --debuglevel --errorlevel --repofrompath --downloaddir --destdir --rpmverbosity",
    "-x=--exclude -c=--config -d=--debuglevel -e=--errorlevel -y=--yes --assumeyes=--yes -q=--quiet",
)
_POETRY = _grammar("--only --with --without --extras --directory --project", "-E=--extras -C=--directory"
                   " -P=--project -n=--no-interaction -q=--quiet -v=--verbose")
_PIPENV = _grammar("--python --pypi-mirror --requirements --categories --extra-pip-args",
                   "-r=--requirements -d=--dev -v=--verbose -q=--quiet")
_PDM = _grammar("--group --project --lockfile --venv", "-G=--group -p=--project -L=--lockfile -d=--dev"
                " -v=--verbose -q=--quiet")
_GIT = _grammar(
    "-C --config --git-dir --work-tree --namespace --exec-path --branch --depth --origin --jobs --reference"
    " --shallow-since --shallow-exclude --upload-pack --separate-git-dir --template --filter --server-option"
    " --orphan --conflict --force-branch",
    "-c=--config -b=--branch -o=--origin -j=--jobs -u=--upload-pack -q=--quiet -B=--force-branch"
    " -f=--force",
)
_CURL = _grammar(
    "--output --header --data --data-raw --data-binary --data-urlencode --user --user-agent --referer --proxy"
    " --request --upload-file --write-out --max-time --retry --retry-delay --retry-max-time --connect-timeout"
    " --continue-at --cookie --cookie-jar --form --range --time-cond --cert --cacert --capath --key --url"
    " --proto --proto-redir --config --output-dir --limit-rate --speed-limit --speed-time --resolve"
    " --interface --max-filesize --max-redirs --dns-servers --ciphers --tls-max --ftp-port --quote"
    " --oauth2-bearer --unix-socket --netrc-file --connect-to --expect100-timeout",
    "-o=--output -H=--header -d=--data -u=--user -A=--user-agent -e=--referer -x=--proxy -X=--request"
    " -T=--upload-file -w=--write-out -m=--max-time -C=--continue-at -b=--cookie -c=--cookie-jar -F=--form"
    " -r=--range -z=--time-cond -E=--cert -K=--config -Y=--speed-limit -y=--speed-time -P=--ftp-port"
    " -Q=--quote -L=--location -k=--insecure -f=--fail -s=--silent -S=--show-error -O=--remote-name",
)
_WGET = _grammar(
    "--output-document --output-file --append-output --directory-prefix --execute --tries --timeout --wait"
    " --user-agent --header --user --password --input-file --base --post-data --post-file --quota --level"
    " --accept --reject --domains --limit-rate -n",
    "-O=--output-document -o=--output-file -a=--append-output -P=--directory-prefix -e=--execute -t=--tries"
    " -T=--timeout -w=--wait -U=--user-agent -i=--input-file -B=--base -Q=--quota -l=--level -A=--accept"
    " -R=--reject -D=--domains -q=--quiet -c=--continue",
)
_HUB = _grammar(
    "--revision --repo-type --local-dir --cache-dir --token --max-workers --local-dir-use-symlinks --include"
    " --exclude"
)
# uv's --default-index replaces the default index, its --index adds one (pip has neither)
_PYTHON_INDEXES = {
    "index_options": ("--index-url", "--default-index"),
    "extra_options": ("--extra-index-url", "--index"),
}
_PYTHON_VALUE_OPTIONS = frozenset({"-X", "-W", "--check-hash-based-pycs"})

_PIP_NAME = re.compile(r"pip(\d+(\.\d+)*)?$")
_PYTHON_NAME = re.compile(r"(python|pypy)(\d+(\.\d+)*)?$|py$")
_INTERPRETERS = re.compile(r"(python|pypy)(\d+(\.\d+)*)?$|perl$|ruby$|node$")
_EXTRAS = re.compile(r"\[[^\]]*\]$")
_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip", ".egg")
_ENV_FILE = re.compile(r"\.ya?ml$", re.IGNORECASE)
_OS_VERSION = {  # name, then what follows: apt "=1.2-3" or "/release", apk "=1.2-r0" "~1.2", rpm "-1.2.3-4.el9"
    "apt": re.compile(r"^(?P<name>[^=/]+)(?:=(?P<version>.*)|/.*)?$"),
    "apk": re.compile(r"^(?P<name>[^=<>~@]+)(?:@[^=<>~]*)?(?:[=<>~]+(?P<version>.*))?$"),
    "rpm": re.compile(r"^(?P<name>.+?)(?:-(?P<version>\d.*)|\s*[<>=].*)?$"),
}


# --------------------------------------------------------------------------- entry point


def recognise(cmd: Command, variables: Mapping[str, Variable]) -> Action | None:
    """What ``cmd`` installs or fetches, or ``None`` when it does neither."""
    argv = unwrap(cmd.argv)
    if not argv:
        return None
    name = basename(_expand(argv[0], variables)[0])  # pip${PYTHON_VERSION}, ${PIP}
    if _PYTHON_NAME.match(name):
        module = _python_module(argv)
        if module is None:
            return None
        name, args = module
    else:
        args = argv[1:]
    handler = _HANDLERS.get("pip" if _PIP_NAME.match(name) else name)
    return handler(name, cmd, args, variables) if handler else None


def _python_module(argv: tuple[Word, ...]) -> tuple[str, tuple[Word, ...]] | None:
    """``python3 -m pip install x`` -> ("pip", (install, x)); ``None`` for a script or ``-c``."""
    k = 1
    while k < len(argv):
        value = argv[k].value
        if value == "-m":
            return (argv[k + 1].value, argv[k + 2 :]) if k + 1 < len(argv) else None
        if value.startswith("-m"):
            return value[2:], argv[k + 1 :]
        if not value.startswith("-") or value == "-c" or value == "-":
            return None
        k += 2 if value in _PYTHON_VALUE_OPTIONS else 1
    return None


# --------------------------------------------------------------------------- Python managers


class _Collector:
    """Builds an :class:`Install` from parsed arguments."""

    def __init__(self, manager: str, subcommand: str, cmd: Command, args: _Args, variables: Mapping[str, Variable]):
        self.manager = manager
        self.subcommand = subcommand
        self.cmd = cmd
        self.args = args
        self.variables = variables
        self.packages: list[PackageRef] = []
        self.projects: list[Word] = []
        self.requirement_files: list[Word] = list(args.values.get("--requirement", ()))
        self.env_files: list[Word] = []

    def add_pip_operands(self, words: list[Word]) -> None:
        for word in words:
            if _is_project(word.value):
                self.projects.append(word)
            else:
                self.packages.extend(_refs(self.manager, word, self.variables, parse_pip_spec))

    def add_specs(self, words: list[Word], parse: Callable[[str], PackageSpec]) -> None:
        for word in words:
            self.packages.extend(_refs(self.manager, word, self.variables, parse))

    def install(self, index_options: tuple[str, ...] = ("--index-url",),
                extra_options: tuple[str, ...] = ("--extra-index-url",)) -> Install:
        values = self.args.values
        return Install(
            manager=self.manager,
            subcommand=self.subcommand,
            command=self.cmd,
            packages=tuple(self.packages),
            requirement_files=tuple(self.requirement_files),
            constraint_files=tuple(values.get("--constraint", ())),
            env_files=tuple(self.env_files),
            projects=tuple(self.projects),
            index_urls=tuple(w for option in index_options for w in values.get(option, ())),
            extra_index_urls=tuple(w for option in extra_options for w in values.get(option, ())),
            options=frozenset(self.args.options),
            span=self.cmd.span,
        )


def _pip(name: str, cmd: Command, words: tuple[Word, ...], variables: Mapping[str, Variable]) -> Install | None:
    args = _parse(words, _PIP)
    if not args.operands or args.operands[0].value != "install":
        return None
    return _pip_install("pip", "install", cmd, args, args.operands[1:], variables)


def _pip_install(manager: str, subcommand: str, cmd: Command, args: _Args, operands: list[Word],
                 variables: Mapping[str, Variable]) -> Install:
    collect = _Collector(manager, subcommand, cmd, args, variables)
    collect.add_pip_operands(args.values.get("--editable", []))
    collect.add_pip_operands(operands)
    return collect.install(**_PYTHON_INDEXES)


def _uv(name: str, cmd: Command, words: tuple[Word, ...], variables: Mapping[str, Variable]) -> Install | None:
    args = _parse(words, _UV)
    verbs = [w.value for w in args.operands[:2]]
    if verbs == ["pip", "install"] or verbs[:1] == ["add"]:
        subcommand, skip = ("install", 2) if verbs[0] == "pip" else ("add", 1)
        return _pip_install("uv", subcommand, cmd, args, args.operands[skip:], variables)
    if verbs == ["tool", "install"]:
        return _pip_install("uv", "tool-install", cmd, args, args.operands[2:], variables)
    if verbs == ["pip", "sync"]:
        collect = _Collector("uv", "sync", cmd, args, variables)
        collect.requirement_files += args.operands[2:]
        return collect.install(**_PYTHON_INDEXES)
    if verbs[:1] == ["sync"]:
        return _Collector("uv", "sync", cmd, args, variables).install(**_PYTHON_INDEXES)
    return None


def _lock_based(grammar: _Grammar, subcommands: frozenset[str]):
    """poetry, pipenv and pdm: ``install``/``sync`` from a lock file, ``add``/``install`` with packages."""

    def handler(name: str, cmd: Command, words: tuple[Word, ...], variables: Mapping[str, Variable]) -> Install | None:
        args = _parse(words, grammar)
        if not args.operands or args.operands[0].value not in subcommands:
            return None
        collect = _Collector(name, args.operands[0].value, cmd, args, variables)
        collect.requirement_files += args.values.get("--requirements", [])
        collect.add_pip_operands(args.operands[1:])
        return collect.install(index_options=("--index-url", "--pypi-mirror"))

    return handler


# --------------------------------------------------------------------------- conda family


def _conda(name: str, cmd: Command, words: tuple[Word, ...], variables: Mapping[str, Variable]) -> Install | None:
    args = _parse(words, _CONDA)
    verbs = [w.value for w in args.operands[:2]]
    if verbs[:1] in (["install"], ["create"]):
        subcommand, specs = verbs[0], args.operands[1:]
    elif verbs in (["env", "create"], ["env", "update"]):
        subcommand, specs = "env-" + verbs[1], []
    else:
        return None
    collect = _Collector(name, subcommand, cmd, args, variables)
    for file in args.values.get("--file", []):
        (collect.env_files if _ENV_FILE.search(file.value) else collect.requirement_files).append(file)
    collect.add_specs(specs, parse_conda_spec)
    return collect.install(index_options=("--channel",), extra_options=())


# --------------------------------------------------------------------------- system packages


def _system(grammar: _Grammar, verb: str, family: str, index_options: tuple[str, ...] = ()):
    """apt-get/apt, apk and dnf/yum/microdnf; ``family`` picks how a package names its version."""

    def handler(name: str, cmd: Command, words: tuple[Word, ...], variables: Mapping[str, Variable]) -> Install | None:
        args = _parse(words, grammar)
        if not args.operands or args.operands[0].value != verb:
            return None
        collect = _Collector(name, verb, cmd, args, variables)
        collect.add_specs(args.operands[1:], lambda text: parse_os_spec(name, family, text))
        return collect.install(index_options=index_options, extra_options=())

    return handler


def parse_os_spec(manager: str, family: str, text: str) -> PackageSpec:
    """``curl=7.88.1-10`` (apt), ``curl=8.5.0-r0`` (apk), ``python3-3.11.2`` (rpm), ``./x.deb``.

    Whether it is pinned is :func:`os_package_pinned`'s call; this adds the name and version.
    """
    pinned = os_package_pinned(manager, text)
    if text.endswith((".deb", ".rpm", ".apk")) or text.startswith(("/", "./", "../")):
        return PackageSpec(text, None, "path", pinned, url=text)
    m = _OS_VERSION[family].match(text)
    version = m.group("version") if m else None
    name = m.group("name") if m else text
    return PackageSpec(text, name.lower(), "name", pinned, version=version if pinned else None,
                       specifier=text[len(name):])


# --------------------------------------------------------------------------- git, downloads


def _git(name: str, cmd: Command, words: tuple[Word, ...], variables: Mapping[str, Variable]) -> Action | None:
    args = _parse(words, _GIT)
    verb = args.operands[0].value if args.operands else None
    if verb == "clone" and len(args.operands) > 1:
        branch = args.last("--branch")
        depth = args.last("--depth")
        return GitClone(cmd, args.operands[1], _expanded(branch, variables), _int(depth), cmd.span)
    if verb == "checkout" and len(args.operands) > 1:
        return GitCheckout(cmd, args.operands[1], cmd.span)
    return None


def _fetch(name: str, cmd: Command, words: tuple[Word, ...], variables: Mapping[str, Variable]) -> Fetch:
    args = _parse(words, _CURL if name == "curl" else _WGET)
    url = args.last("--url") or (args.operands[0] if args.operands else None)
    output = args.last("--output") or args.last("--output-document") or _stdout_target(cmd)
    return Fetch(cmd, name, url, _pipes_to_interpreter(cmd), output, cmd.span)


def _stdout_target(cmd: Command) -> Word | None:
    for redirect in cmd.redirects:
        if redirect.op in (">", ">>", "1>", "1>>", ">|", "&>") and redirect.target is not None:
            return redirect.target
    return None


def _pipes_to_interpreter(cmd: Command) -> bool:
    program = unwrap(cmd.piped_to or ())
    if not program:
        return False
    name = basename(program[0].value)
    return name in SHELLS or bool(_INTERPRETERS.match(name))


def _hub(name: str, cmd: Command, words: tuple[Word, ...], variables: Mapping[str, Variable]) -> HubDownload | None:
    args = _parse(words, _HUB)
    if len(args.operands) < 2 or args.operands[0].value != "download":
        return None
    revision = _expanded(args.last("--revision"), variables)
    return HubDownload(cmd, name, args.operands[1], revision, cmd.span)


# --------------------------------------------------------------------------- helpers


def _refs(manager: str, word: Word, variables: Mapping[str, Variable],
          parse: Callable[[str], PackageSpec]) -> list[PackageRef]:
    """The packages one word names: an unquoted ``$PKGS`` may expand to several, or to none."""
    text, unresolved = _expand(word, variables)
    texts = [text] if word.quoted else text.split()
    if not texts and unresolved:
        texts = [text]  # keep the word, so that its unknown variables can be reported
    return [PackageRef(manager, word, t, parse(t), unresolved, word.span) for t in texts]


def _expand(word: Word, variables: Mapping[str, Variable]) -> tuple[str, tuple[str, ...]]:
    """The word as the shell passes it on, ARG/ENV values substituted, quotes removed."""
    return expand(word.raw.replace("\\\n", ""), variables, unquote=True)


def _expanded(word: Word | None, variables: Mapping[str, Variable]) -> str | None:
    return None if word is None else _expand(word, variables)[0]


def _int(word: Word | None) -> int | None:
    ok = word is not None and word.value.isascii() and word.value.isdigit() and len(word.value) < 10
    return int(word.value) if ok else None


def _is_project(text: str) -> bool:
    """A local project directory, as opposed to a package, archive or URL: ``.``, ``./pkg[dev]``."""
    path = _EXTRAS.sub("", text)
    if path.endswith(_ARCHIVES):
        return False
    return path in (".", "..") or path.startswith(("./", "../", "/", "~"))


_HANDLERS: dict[str, Callable[..., Action | None]] = {
    "pip": _pip,
    "uv": _uv,
    "conda": _conda,
    "mamba": _conda,
    "micromamba": _conda,
    "apt-get": _system(_APT, "install", "apt"),
    "apt": _system(_APT, "install", "apt"),
    "apk": _system(_APK, "add", "apk", index_options=("--repository",)),
    "dnf": _system(_DNF, "install", "rpm"),
    "yum": _system(_DNF, "install", "rpm"),
    "microdnf": _system(_DNF, "install", "rpm"),
    "poetry": _lock_based(_POETRY, frozenset({"install", "sync"})),
    "pipenv": _lock_based(_PIPENV, frozenset({"install", "sync"})),
    "pdm": _lock_based(_PDM, frozenset({"install", "sync", "add"})),
    "git": _git,
    "curl": _fetch,
    "wget": _fetch,
    "huggingface-cli": _hub,
    "hf": _hub,
}
