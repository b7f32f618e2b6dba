"""Tests for mllint.dockerfile.parser and mllint.dockerfile.expand."""

from __future__ import annotations

import pytest

from mllint.dockerfile.expand import expand
from mllint.dockerfile.parser import parse_dockerfile
from mllint.errors import ParseError
from mllint.model import Span, Variable


def parse(text: str):
    return parse_dockerfile(text, "Dockerfile")


def span_of(inst, token: str, nth: int = 0) -> Span:
    """Span in the file of the ``nth`` occurrence of ``token`` in the instruction's text."""
    start = -1
    for _ in range(nth + 1):
        start = inst.text.index(token, start + 1)
    return inst.source.span(start, start + len(token))


def text_at(df, span: Span) -> str:
    assert span.line == span.end_line
    return df.lines[span.line - 1][span.column - 1 : span.end_column - 1]


def assert_source_exact(df):
    """Every character of every text and heredoc body is where its source map says."""
    for inst in df.instructions:
        for offset, ch in enumerate(inst.text):
            line, col = inst.source.position(offset)
            assert df.lines[line - 1][col - 1] == ch, (inst.keyword, offset)
        for doc in inst.heredocs:
            for offset, ch in enumerate(doc.body):
                line, col = doc.source.position(offset)
                physical = df.lines[line - 1]
                assert (physical[col - 1] if col <= len(physical) else "\n") == ch


# --------------------------------------------------------------------------- continuations


CONTINUED = (
    "FROM python:3.11\n"
    "RUN pip install \\\n"
    "        torch \\\n"
    "    # a comment inside the continuation\n"
    "\n"
    "        numpy==1.26\n"
    "CMD python\n"
)


def test_continuation_joins_pieces_without_escape_and_newline():
    run = parse(CONTINUED).instructions[1]
    assert run.keyword == "RUN"
    assert run.text == "RUN pip install         torch         numpy==1.26"
    assert run.args == "pip install         torch         numpy==1.26"


def test_token_on_continuation_line_has_exact_position():
    df = parse(CONTINUED)
    run = df.instructions[1]
    assert span_of(run, "torch") == Span(3, 9, 3, 14)
    assert span_of(run, "numpy==1.26") == Span(6, 9, 6, 20)
    assert span_of(run, "pip") == Span(2, 5, 2, 8)
    assert run.span == Span(2, 1, 6, 20)
    assert_source_exact(df)


def test_comment_and_blank_lines_inside_continuation_do_not_end_it():
    df = parse(CONTINUED)
    assert [i.keyword for i in df.instructions] == ["FROM", "RUN", "CMD"]
    assert df.instructions[2].span.line == 7
    assert "comment" not in df.instructions[1].text


def test_buildkit_join_example():
    run = parse("FROM a\nRUN a \\\n    b\n").instructions[1]
    assert run.text == "RUN a     b"
    assert span_of(run, "b") == Span(3, 5, 3, 6)


def test_escaped_escape_is_not_a_continuation():
    df = parse("FROM a\nRUN echo a\\\\\nRUN b\n")
    assert [i.text for i in df.instructions[1:]] == ["RUN echo a\\\\", "RUN b"]


def test_trailing_blanks_after_the_escape_still_continue():
    run = parse("FROM a\nRUN a \\  \t\n  b\n").instructions[1]
    assert run.text == "RUN a   b"


def test_indented_instruction_and_lower_case_keyword():
    df = parse("FROM a\n   run  echo hi   \n")
    run = df.instructions[1]
    assert run.keyword == "RUN"
    assert run.text == "run  echo hi"
    assert run.args_offset == 5
    assert run.span.column == 4
    assert span_of(run, "hi") == Span(2, 14, 2, 16)


def test_escape_directive_backtick():
    df = parse("# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir c:\\ `\n    && echo done\n")
    assert df.escape == "`"
    assert df.directives["escape"] == "`"
    run = df.instructions[1]
    assert run.text == "RUN dir c:\\     && echo done"
    assert span_of(run, "done") == Span(4, 13, 4, 17)


def test_directives_are_case_insensitive_and_whitespace_tolerant():
    df = parse("#  Syntax = docker/dockerfile:1.7 \n# CHECK=skip=JSONArgsRecommended\nFROM a\n")
    assert dict(df.directives) == {"syntax": "docker/dockerfile:1.7", "check": "skip=JSONArgsRecommended"}


def test_directives_stop_at_the_first_other_line():
    df = parse("# hello\n# escape=`\nFROM a\nRUN a `\n")
    assert df.escape == "\\"
    assert dict(df.directives) == {}
    assert df.instructions[1].text == "RUN a `"


def test_repeated_directive_is_refused_like_buildkit():
    with pytest.raises(ParseError) as e:
        parse("# escape=`\n# escape=\\\nFROM a\n")
    assert str(e.value) == "Dockerfile:2: only one escape parser directive can be used"


def test_invalid_escape_token():
    with pytest.raises(ParseError, match="invalid escape token 'x'"):
        parse("# escape=x\nFROM a\n")


# --------------------------------------------------------------------------- line endings


def test_crlf_bom_and_lone_cr_give_the_same_positions_as_lf():
    lf = parse(CONTINUED)
    for variant in (CONTINUED.replace("\n", "\r\n"), "\ufeff" + CONTINUED, CONTINUED.replace("\n", "\r")):
        other = parse(variant)
        assert other.lines == lf.lines
        for a, b in zip(lf.instructions, other.instructions, strict=True):
            assert (a.text, a.span, a.source) == (b.text, b.span, b.source)
    assert lf.lines[1] == "RUN pip install \\"
    assert len(lf.lines) == 7


def test_bom_does_not_count_as_a_column():
    df = parse("\ufeffFROM a AS b\n")
    assert df.instructions[0].span == Span(1, 1, 1, 12)
    assert df.stages[0].base_span == Span(1, 6, 1, 7)


# --------------------------------------------------------------------------- flags and JSON


def test_flags_with_values_and_spans():
    df = parse(
        "FROM --platform=$BUILDPLATFORM python:3.11 AS build\n"
        "RUN --mount=type=cache,target=/root/.cache \\\n"
        "    --network=none pip install torch\n"
        "COPY --from=build --chown=1000:1000 --link /a /b\n"
    )
    assert df.stages[0].platform == "$BUILDPLATFORM"
    run = df.instructions[1]
    assert [(f.name, f.value) for f in run.flags] == [("mount", "type=cache,target=/root/.cache"), ("network", "none")]
    assert run.flags[0].span == Span(2, 5, 2, 43)
    assert run.flags[1].span == Span(3, 5, 3, 19)
    assert run.args == "pip install torch"
    assert span_of(run, "pip") == Span(3, 20, 3, 23)
    copy = df.instructions[2]
    assert [(f.name, f.value) for f in copy.flags] == [("from", "build"), ("chown", "1000:1000"), ("link", None)]
    assert copy.flag("link").span == Span(4, 37, 4, 43)
    assert copy.flag("chmod") is None
    assert copy.args == "/a /b"


def test_quoted_flag_value_and_double_dash_end_flags():
    run = parse('FROM a\nRUN --mount=type=bind,target="/a b" -- --not-a-flag\n').instructions[1]
    assert [(f.name, f.value) for f in run.flags] == [("mount", "type=bind,target=/a b")]
    assert run.flags[0].span == Span(2, 5, 2, 36)
    assert run.args == "--not-a-flag"


def test_json_form_with_spans():
    df = parse('FROM a\nCMD ["python", "-m", "app.main"]\n')
    cmd = df.instructions[1]
    assert [w.value for w in cmd.json_args] == ["python", "-m", "app.main"]
    assert [w.raw for w in cmd.json_args] == ['"python"', '"-m"', '"app.main"']
    assert cmd.json_args[2].span == Span(2, 22, 2, 32)
    assert all(w.quoted and not w.single_quoted for w in cmd.json_args)


def test_json_escapes_and_continuation_lines():
    df = parse('FROM a\nENTRYPOINT ["echo", \\\n  "a\\"b\\u00e9"]\n')
    word = df.instructions[1].json_args[1]
    assert word.value == 'a"bé'
    assert word.raw == '"a\\"b\\u00e9"'
    assert word.span == Span(3, 3, 3, 15)
    assert text_at(df, word.span) == word.raw


def test_json_after_flags_and_trailing_text_like_buildkit():
    df = parse('FROM a\nCOPY --chown=1:1 ["a b", "/dst/"]\nCMD ["a"] ignored\nSHELL ["bash", "-c"]\n')
    assert [w.value for w in df.instructions[1].json_args] == ["a b", "/dst/"]
    assert [w.value for w in df.instructions[2].json_args] == ["a"]
    assert [w.value for w in df.instructions[3].json_args] == ["bash", "-c"]


def test_healthcheck_cmd_json():
    hc = parse('FROM a\nHEALTHCHECK --interval=5s CMD ["curl", "-f", "localhost"]\n').instructions[1]
    assert hc.flag("interval").value == "5s"
    assert [w.value for w in hc.json_args] == ["curl", "-f", "localhost"]


@pytest.mark.parametrize(
    "line",
    [
        "CMD [python, app]",  # not JSON
        "CMD ['python']",  # single quotes are not JSON
        'CMD ["a",]',
        'CMD ["unterminated"',
        "CMD python [x]",
        'WORKDIR ["/a"]',  # no exec form for WORKDIR
        "RUN [NaN]",  # valid for Python's json, not for Go's
    ],
)
def test_not_json_falls_back_to_shell_form(line):
    inst = parse(f"FROM a\n{line}\n").instructions[1]
    assert inst.json_args is None


def test_empty_json_array():
    assert parse("FROM a\nCMD []\n").instructions[1].json_args == ()


def test_json_array_of_non_strings_is_refused_like_buildkit():
    with pytest.raises(ParseError) as e:
        parse('FROM a\n\nCMD ["a", 1]\n')
    assert str(e.value).startswith("Dockerfile:3: when using JSON array syntax")


# --------------------------------------------------------------------------- heredocs


def test_heredoc_body_is_not_parsed_as_instructions():
    df = parse("FROM a\nRUN <<EOF\nFROM x\npip install torch\nEOF\nCMD run\n")
    assert [i.keyword for i in df.instructions] == ["FROM", "RUN", "CMD"]
    assert len(df.stages) == 1
    run = df.instructions[1]
    doc = run.heredocs[0]
    assert (doc.delimiter, doc.quoted, doc.strip_tabs) == ("EOF", False, False)
    assert doc.body == "FROM x\npip install torch\n"
    assert doc.span == Span(3, 1, 5, 4)
    assert run.span == Span(2, 1, 5, 4)
    assert run.text == "RUN <<EOF"
    start = doc.body.index("torch")
    assert doc.source.span(start, start + 5) == Span(4, 13, 4, 18)


def test_multiple_heredocs_are_read_in_order():
    df = parse("FROM a\nRUN <<A bash && cat <<B > /out\necho a\nA\nB-body\nB\nRUN next\n")
    run = df.instructions[1]
    assert [(d.delimiter, d.body) for d in run.heredocs] == [("A", "echo a\n"), ("B", "B-body\n")]
    assert [d.span for d in run.heredocs] == [Span(3, 1, 4, 2), Span(5, 1, 6, 2)]
    assert run.span == Span(2, 1, 6, 2)
    assert df.instructions[2].span.line == 7
    assert_source_exact(df)


def test_copy_heredocs_whose_bodies_name_each_other():
    copy = parse("FROM a\nCOPY <<X <<Y /dest\nY\nX\nX\nY\n").instructions[1]
    assert [(d.delimiter, d.body) for d in copy.heredocs] == [("X", "Y\n"), ("Y", "X\n")]


def test_strip_tabs_heredoc_columns():
    df = parse("FROM a\nRUN <<-EOF\n\t\techo one\n\tEOF not yet\n\tEOF\n")
    doc = df.instructions[1].heredocs[0]
    assert doc.strip_tabs
    assert doc.body == "echo one\nEOF not yet\n"
    start = doc.body.index("one")
    assert doc.source.span(start, start + 3) == Span(3, 8, 3, 11)
    assert doc.source.position(doc.body.index("not")) == (4, 6)
    assert doc.span == Span(3, 1, 5, 5)
    assert_source_exact(df)


def test_tabs_are_kept_without_dash():
    doc = parse("FROM a\nRUN <<EOF\n\tx\nEOF\n").instructions[1].heredocs[0]
    assert doc.body == "\tx\n"
    assert doc.source.position(1) == (3, 2)


@pytest.mark.parametrize(
    ("opener", "delimiter", "quoted"),
    [("<<'EOF'", "EOF", True), ('<<"EOF"', "EOF", True), ("<<E'O'F", "EOF", True), ("<<EOF", "EOF", False),
     ("<<-'END'", "END", True), ("2<<EOF", "EOF", False), ("<< EOF", "EOF", False)],
)  # fmt: skip
def test_heredoc_delimiters(opener, delimiter, quoted):
    doc = parse(f"FROM a\nRUN cat {opener}\n$HOME\n{delimiter}\n").instructions[1].heredocs[0]
    assert (doc.delimiter, doc.quoted, doc.body) == (delimiter, quoted, "$HOME\n")


@pytest.mark.parametrize(
    "line",
    [
        'RUN echo "<<EOF"',  # quoted
        "RUN echo '<<EOF'",
        "RUN cat<<EOF",  # not a word of its own, as in BuildKit
        "RUN cat <<<EOF",  # here-string
        'RUN ["cat", "<<EOF"]',  # exec form
        "CMD cat <<EOF",  # only RUN, COPY and ADD take heredocs
        "RUN echo it's <<EOF",  # an unterminated quote: BuildKit finds no heredoc
    ],
)
def test_not_heredocs(line):
    df = parse(f"FROM a\n{line}\nRUN x\n")
    assert df.instructions[1].heredocs == ()
    assert len(df.instructions) == 3


def test_heredoc_after_continuation_and_in_onbuild():
    df = parse("FROM a\nRUN --mount=type=cache,target=/c \\\n  python3 <<PY\nprint(1)\nPY\nONBUILD RUN <<X\nX\n")
    assert df.instructions[1].heredocs[0].body == "print(1)\n"
    assert df.instructions[1].heredocs[0].span.line == 4
    assert df.instructions[2].heredocs[0].body == ""
    assert df.instructions[2].span == Span(6, 1, 7, 2)


def test_terminator_must_match_exactly():
    doc = parse("FROM a\nRUN <<EOF\n EOF\nEOF \nEOF\n").instructions[1].heredocs[0]
    assert doc.body == " EOF\nEOF \n"


def test_unterminated_heredoc_names_the_line_it_started_on():
    with pytest.raises(ParseError) as e:
        parse("FROM a\nRUN echo \\\n  && cat <<EOF\nbody\n")
    assert str(e.value) == "Dockerfile:3: unterminated heredoc <<EOF started here"
    assert e.value.line == 3


# --------------------------------------------------------------------------- stages


MULTI = (
    "ARG CUDA=12.1\n"
    "ARG BASE=nvidia/cuda:${CUDA}-runtime\n"
    "ARG TAG\n"
    "FROM --platform=linux/amd64 ${BASE} AS Builder\n"
    "ENV PIP_NO_CACHE_DIR=1\n"
    "ARG TOKEN=secret\n"
    "FROM ${REGISTRY:-docker.io}/python:${PY:-3.11}${TAG} as runtime\n"
    "FROM builder\n"
    "FROM 0\n"
    "FROM 0abc\n"
)


def test_stages_and_base_resolution():
    df = parse(MULTI)
    s = df.stages
    assert [st.index for st in s] == [0, 1, 2, 3, 4]
    assert [st.name for st in s] == ["builder", "runtime", None, None, None]
    assert s[0].base == "nvidia/cuda:12.1-runtime"
    assert s[0].base_raw == "${BASE}"
    assert s[0].base_span == Span(4, 29, 4, 36)
    assert s[0].platform == "linux/amd64"
    assert s[1].base == "docker.io/python:3.11"
    assert s[1].base_stage is None
    assert (s[2].base, s[2].base_stage) == ("builder", 0)
    assert (s[3].base, s[3].base_stage) == ("0", 0)
    assert s[4].base_stage is None
    assert [i.keyword for i in s[0].instructions] == ["FROM", "ENV", "ARG"]
    assert [i.stage for i in df.instructions] == [-1, -1, -1, 0, 0, 0, 1, 2, 3, 4]
    assert [i.text for i in df.global_args] == ["ARG CUDA=12.1", "ARG BASE=nvidia/cuda:${CUDA}-runtime", "ARG TAG"]
    assert df.stage_named("BUILDER") is s[0]


def test_global_args_are_visible_to_from_only():
    df = parse(MULTI)
    from_line = df.instructions[3]
    assert from_line.variables["CUDA"].value == "12.1"
    assert from_line.variables["TAG"].value is None
    env = df.instructions[4]
    assert "CUDA" not in env.variables
    assert env.variables.get("BASE") is None


def test_stage_arg_inherits_global_default():
    df = parse("ARG PY=3.11\nARG NONE\nFROM python:${PY}\nARG PY\nARG NONE\nARG OTHER=x\nRUN echo $PY\n")
    run = df.instructions[-1]
    assert run.variables["PY"] == Variable("PY", "3.11", "arg", Span(4, 5, 4, 7))
    assert run.variables["NONE"].value is None
    assert run.variables["OTHER"].value == "x"
    assert df.stages[0].base == "python:3.11"


def test_env_is_inherited_from_a_base_stage_but_arg_is_not():
    df = parse(
        "FROM python AS base\nENV A=1\nARG B=2\nENV C=$B\n"
        "FROM base AS child\nRUN x\n"
        "FROM python\nRUN y\n"
    )
    child_run = df.stages[1].instructions[1]
    assert {k: v.value for k, v in child_run.variables.items()} == {"A": "1", "C": "2"}
    assert child_run.variables["A"].span == Span(2, 5, 2, 8)
    assert dict(df.stages[2].instructions[1].variables) == {}


def test_env_forms_quotes_and_expansion():
    df = parse(
        "FROM a\n"
        "ENV A=1 B=\"x y\" C='$A' D=${A}0\n"
        "ENV LEGACY hello  big world\n"
        "ENV E=$A F=\"$B\" A=2 G=$A\n"
        "RUN x\n"
    )
    v = df.instructions[-1].variables
    assert {k: v[k].value for k in v} == {
        "A": "2", "B": "x y", "C": "$A", "LEGACY": "hello  big world",
        # one ENV's values all see the scope before it: D does not see A=1 on its own line
        "D": "0", "E": "1", "F": "x y", "G": "1",
    }  # fmt: skip
    assert v["B"].span == Span(2, 9, 2, 16)
    assert v["LEGACY"].span == Span(3, 5, 3, 28)
    assert all(var.kind == "env" for var in v.values())


def test_env_wins_over_arg_of_the_same_name():
    df = parse("FROM a\nENV V=env\nARG V=arg\nRUN x\n")
    assert df.instructions[-1].variables["V"].value == "env"
    assert df.instructions[-1].variables["V"].kind == "env"


def test_variables_are_what_the_instruction_sees():
    df = parse("FROM a\nARG A=1\nARG A=2 B=$A\nRUN x\nRUN y\n")
    first, second, run_x, run_y = df.instructions[1:]
    assert dict(first.variables) == {}
    assert second.variables["A"].value == "1"
    assert run_x.variables["B"].value == "1"  # stage ARG values see the scope before the line
    assert run_x.variables["A"].value == "2"
    assert run_x.variables is run_y.variables  # unchanged scopes are shared, not copied
    with pytest.raises(TypeError):
        run_x.variables["Z"] = Variable("Z", "1", "arg", Span.point(1, 1))


def test_global_args_see_earlier_ones_on_the_same_line():
    df = parse("ARG A=1 B=${A}2\nFROM img:$B\n")
    assert df.stages[0].base == "img:12"


# --------------------------------------------------------------------------- pragmas


def test_pragmas():
    df = parse(
        "# mllint: ignore-file=ML900\n"
        "FROM a\n"
        "# mllint: ignore=ml101,ML102\n"
        "# plain comment keeps the run going\n"
        "#mllint:ignore = ML103 , ML104\n"
        "RUN a\n"
        "# mllint: ignore=ML200\n"
        "\n"
        "RUN b\n"
        "RUN c \\\n"
        "  # mllint: ignore=ML300\n"
        "  d\n"
        "RUN e\n"
        "  # MLLINT: IGNORE-FILE = ml901, ml902\n"
    )
    runs = [i for i in df.instructions if i.keyword == "RUN"]
    assert runs[0].ignores == {"ML101", "ML102", "ML103", "ML104"}
    assert runs[1].ignores == frozenset()  # the blank line detached ML200
    assert runs[2].ignores == {"ML300"}
    assert runs[3].ignores == frozenset()
    assert df.file_ignores == {"ML900", "ML901", "ML902"}


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# c\nRUN x\nFROM a\n", "Dockerfile:2: RUN before the first FROM (only ARG may come before it)"),
        ("ARG A\n\nARG B\n", "Dockerfile:1: no FROM instruction: a Dockerfile needs at least one stage"),
        ("FROM a b\n", "Dockerfile:1: FROM requires either one or three arguments"),
        ("FROM a\nENV ONLY\n", "Dockerfile:2: ENV must have two arguments"),
        ("FROM a\nRUN x\n\\\n", "Dockerfile:3: line continuation with no instruction after it"),
    ],
)
def test_errors_name_path_and_line(text, message):
    with pytest.raises(ParseError) as e:
        parse(text)
    assert str(e.value) == message


def test_unknown_instruction_is_kept_for_the_linter():
    df = parse("FROM a\n{extra_content}\nRUN x\n")
    unknown = df.instructions[1]
    assert unknown.keyword == "{EXTRA_CONTENT}" and unknown.stage == 0
    assert unknown.span == Span(2, 1, 2, 16) and unknown.args == ""
    assert [i.keyword for i in df.stages[0].instructions] == ["FROM", "{EXTRA_CONTENT}", "RUN"]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n   \n", "\ufeff"])
def test_empty_file(text):
    with pytest.raises(ParseError) as e:
        parse(text)
    assert str(e.value) == "Dockerfile: no instructions"


# --------------------------------------------------------------------------- expand


def var(name, value, kind="arg"):
    return Variable(name, value, kind, Span.point(1, 1))


VARS = {"A": var("A", "1"), "E": var("E", ""), "N": var("N", None), "P": var("P", "cuda-12.1.0")}


@pytest.mark.parametrize(
    ("text", "expanded", "missing"),
    [
        ("$A-${A}", "1-1", ()),
        ("${X:-dflt}/${X-d2}", "dflt/d2", ()),
        ("${E:-dflt}|${E-d2}", "dflt|", ()),
        ("${A:+set}|${E:+set}|${E+set}", "set||set", ()),
        ("${X:+set}", "", ("X",)),
        ("$X and ${N} and $A", " and  and 1", ("X", "N")),
        ("${N:-${A}x}", "1x", ()),
        ("${P#*-}|${P##*.}|${P%.*}|${P%%.*}", "12.1.0|0|cuda-12.1|cuda-12", ()),
        ("${A/1/2}", "${A/1/2}", ("A",)),  # unsupported: left as written
        ("cost $5", "cost ", ("5",)),
        ("a$", "a$", ()),
    ],
)
def test_expand(text, expanded, missing):
    assert expand(text, VARS) == (expanded, missing)


def test_expand_quotes():
    text = """'$A' "$A \\"q\\"" \\$A"""
    assert expand(text, VARS) == ("""'$A' "1 \\"q\\"" \\$A""", ())
    assert expand(text, VARS, unquote=True) == ('$A 1 "q" $A', ())
    assert expand("`$A", VARS, escape="`", unquote=True) == ("$A", ())


# --------------------------------------------------------------------------- whole file and scale


def test_lines_and_a_realistic_file_map_exactly():
    text = (
        "# syntax=docker/dockerfile:1\n"
        "ARG TORCH=2.3.0\n"
        "FROM nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04 AS base\r\n"
        "ARG TORCH\n"
        "ENV PYTHONDONTWRITEBYTECODE=1 \\\n"
        "    PIP_NO_CACHE_DIR=1\n"
        "RUN --mount=type=cache,target=/root/.cache/pip \\\n"
        "    pip install torch==${TORCH} \\\n"
        "\t\t--index-url https://download.pytorch.org/whl/cu121\n"
        "COPY --chmod=755 <<-'EOF' /entry.sh\n"
        "\t#!/bin/sh\n"
        "\texec python -m app \"$@\"\n"
        "\tEOF\n"
        'ENTRYPOINT ["/entry.sh"]\n'
    )
    df = parse(text)
    assert df.lines[2] == "FROM nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04 AS base"
    assert len(df.lines) == 14
    assert_source_exact(df)
    run = df.instructions[4]
    assert span_of(run, "--index-url") == Span(9, 3, 9, 14)
    assert run.variables["TORCH"].value == "2.3.0"
    assert df.instructions[5].heredocs[0].body == '#!/bin/sh\nexec python -m app "$@"\n'
    assert df.instructions[6].json_args[0].span == Span(14, 13, 14, 24)


def test_two_hundred_thousand_continuation_lines():
    n = 200_000
    text = "FROM a\nRUN set -e \\\n" + "    && pip install pkg \\\n" * n + "    && echo last\n"
    df = parse(text)
    run = df.instructions[1]
    assert len(run.source.starts) == n + 2
    assert span_of(run, "last") == Span(n + 3, 13, n + 3, 17)
    assert span_of(run, "pkg", nth=n - 1) == Span(n + 2, 20, n + 2, 23)
