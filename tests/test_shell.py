"""Splitting RUN shell text into simple commands, with exact positions."""

import shlex
import textwrap

import pytest

from mllint.dockerfile.parser import parse_dockerfile
from mllint.dockerfile.shell import (
    Command, commands_of, shell_invocation, split_commands, unwrap,
)
from mllint.model import SourceMap, Span


def split(text: str, line: int = 1, column: int = 1) -> tuple[Command, ...]:
    return split_commands(text, SourceMap.single(line, column))


def argvs(commands) -> list[list[str]]:
    return [[w.value for w in c.argv] for c in commands]


def run_commands(dockerfile: str, index: int = 0) -> tuple[Command, ...]:
    """Commands of the index-th RUN of a Dockerfile."""
    parsed = parse_dockerfile(textwrap.dedent(dockerfile).lstrip("\n"), "Dockerfile")
    runs = [i for i in parsed.instructions if i.keyword == "RUN"]
    return commands_of(runs[index], parsed.escape)


# --------------------------------------------------------------------------- separators


def test_splits_on_every_list_operator_and_newline():
    commands = split("a 1 && b 2 || c; d & e\nf | g")
    assert argvs(commands) == [["a", "1"], ["b", "2"], ["c"], ["d"], ["e"], ["f"], ["g"]]


def test_word_and_command_spans_on_one_line():
    (first, second) = split("pip install x && echo hi", line=7, column=5)
    assert first.argv[0].span == Span(7, 5, 7, 8)
    assert first.argv[2].span == Span(7, 17, 7, 18)
    assert first.span == Span(7, 5, 7, 18)
    assert second.span == Span(7, 22, 7, 29)


def test_positions_follow_a_multi_segment_source_map():
    # "pip install " is on line 3 from column 5, "torch numpy" on line 4 from column 7
    source = SourceMap((0, 12), (3, 4), (5, 7))
    (command,) = split_commands("pip install torch numpy", source)
    spans = [w.span for w in command.argv]
    assert spans == [Span(3, 5, 3, 8), Span(3, 9, 3, 16), Span(4, 7, 4, 12), Span(4, 13, 4, 18)]
    assert command.span == Span(3, 5, 4, 18)


def test_positions_on_dockerfile_continuation_lines():
    commands = run_commands("""
        FROM python:3.11
        RUN pip install \\
              torch==2.3.1 \\
            && echo done
    """)
    assert argvs(commands) == [["pip", "install", "torch==2.3.1"], ["echo", "done"]]
    assert commands[0].argv[0].span == Span(2, 5, 2, 8)
    assert commands[0].argv[2].span == Span(3, 7, 3, 19)
    assert commands[1].argv[0].span == Span(4, 8, 4, 12)


def test_comment_runs_to_end_of_line_only_at_word_start():
    commands = split("echo a#b # rm -rf /\necho c")
    assert argvs(commands) == [["echo", "a#b"], ["echo", "c"]]


# --------------------------------------------------------------------------- quoting


def test_quotes_and_escapes_are_removed_from_value_but_kept_in_raw():
    (command,) = split(r"""echo 'a b' "c \"d\" \$e \\f \g" h\ i""")
    values = [w.value for w in command.argv]
    assert values == ["echo", "a b", 'c "d" $e \\f \\g', "h i"]
    assert command.argv[1].raw == "'a b'"
    assert command.argv[3].raw == r"h\ i"


def test_quoted_and_single_quoted_flags():
    (command,) = split("""x plain 'all' "dq" mix'ed' '$a'b""")
    flags = [(w.value, w.quoted, w.single_quoted) for w in command.argv[1:]]
    assert flags == [
        ("plain", False, False),
        ("all", True, True),
        ("dq", True, False),
        ("mixed", True, False),
        ("$ab", True, False),
    ]


def test_variables_and_substitutions_stay_verbatim_inside_words():
    (command,) = split("""echo ${VAR:-x} "$(date; echo ")")" `id -u` $((1 + 2))""")
    assert [w.value for w in command.argv[1:]] == ["${VAR:-x}", '$(date; echo ")")', "`id -u`", "$((1 + 2))"]


def test_semicolons_inside_command_substitution_do_not_split():
    commands = split("X=$(a; b && c) && pip install $(cat reqs | tr '\\n' ' ')")
    assert len(commands) == 2
    assert commands[0].assignments[0][1].value == "$(a; b && c)"
    assert commands[1].argv[2].value == "$(cat reqs | tr '\\n' ' ')"


def test_case_inside_command_substitution_keeps_its_parentheses():
    url = "https://go.dev/go.linux-$(case $(uname -m) in x86_64) echo amd64 ;; esac).tgz"
    (curl, tar) = split(f"curl -o x {url} | tar x")
    assert curl.argv[-1].value == url
    assert [w.value for w in curl.piped_to] == ["tar", "x"]


def test_backslash_newline_joins_lines_inside_and_between_words():
    source = SourceMap((0, 16), (1, 2), (1, 1))
    (command,) = split_commands("pip install ab\\\ncd \\\n e", source)
    assert [w.value for w in command.argv] == ["pip", "install", "abcd", "e"]


def test_unterminated_quotes_run_to_the_end_without_raising():
    assert argvs(split("echo 'abc && rm -rf /")) == [["echo", "abc && rm -rf /"]]
    assert argvs(split('echo "abc; x')) == [["echo", "abc; x"]]
    assert argvs(split("echo $(foo; bar")) == [["echo", "$(foo; bar"]]
    assert argvs(split("echo ${x; y")) == [["echo", "${x; y"]]
    assert argvs(split("echo `x; y")) == [["echo", "`x; y"]]
    assert argvs(split("echo x\\")) == [["echo", "x\\"]]


def test_backtick_escape_directive():
    (command,) = split_commands(r"copy C:\dir\file `&`& x", SourceMap.single(1, 1), escape="`")
    assert [w.value for w in command.argv] == ["copy", r"C:\dir\file", "&&", "x"]


# --------------------------------------------------------------------------- redirects


def test_unquoted_comparison_is_a_redirect_as_in_the_shell():
    (command,) = split("pip install torch>=2.0", line=1, column=5)
    assert [w.value for w in command.argv] == ["pip", "install", "torch"]
    (redirect,) = command.redirects
    assert redirect.op == ">"
    assert redirect.target.value == "=2.0"
    assert redirect.target.span == Span(1, 23, 1, 27)
    assert redirect.span == Span(1, 22, 1, 27)


def test_quoted_comparison_is_a_word():
    (command,) = split("""pip install "torch>=2.0" 'numpy<2'""")
    assert [w.value for w in command.argv[2:]] == ["torch>=2.0", "numpy<2"]
    assert command.redirects == ()


def test_redirect_operators_and_fd_prefixes():
    (command,) = split("cmd 2>/dev/null >/dev/null 2>&1 &> log >> out < in <<< word 1>&- x")
    ops = [(r.op, r.target.value if r.target else None) for r in command.redirects]
    assert ops == [
        ("2>", "/dev/null"), (">", "/dev/null"), ("2>&1", None), ("&>", "log"), (">>", "out"),
        ("<", "in"), ("<<<", "word"), ("1>&-", None),
    ]
    assert [w.value for w in command.argv] == ["cmd", "x"]


def test_digits_not_touching_a_redirect_stay_words():
    (command,) = split("head -n 2 > out")
    assert [w.value for w in command.argv] == ["head", "-n", "2"]
    assert command.redirects[0].op == ">"


def test_heredoc_bodies_inside_shell_text_are_not_commands():
    commands = split("cat <<EOF > /etc/x\nrm -rf /\nEOF\ncat <<-'T'\n\tpip install no\n\tT\necho done")
    assert argvs(commands) == [["cat"], ["cat"], ["echo", "done"]]
    assert [(r.op, r.target.value) for r in commands[0].redirects] == [("<<", "EOF"), (">", "/etc/x")]
    assert commands[1].redirects[0].op == "<<-"


# --------------------------------------------------------------------------- structure


def test_assignments_before_the_command():
    (command,) = split('DEBIAN_FRONTEND=noninteractive A="x y" apt-get install -y B=1')
    assert [(name, word.value) for name, word in command.assignments] == [
        ("DEBIAN_FRONTEND", "noninteractive"), ("A", "x y"),
    ]
    assert command.assignments[1][1].raw == '"x y"'
    assert command.assignments[0][1].span == Span(1, 17, 1, 31)
    assert [w.value for w in command.argv] == ["apt-get", "install", "-y", "B=1"]


def test_assignment_only_command_is_kept():
    (command,) = split("ARCH=$(uname -m)")
    assert command.argv == ()
    assert command.assignments[0][0] == "ARCH"


def test_control_flow_keywords_are_skipped():
    text = """
        if [ -f x ]; then pip install y; elif true; then :; else apt-get update; fi
        for p in a b; do pip install "$p"; done
        while read -r line; do echo "$line"; done < file
        until false; do break; done
    """
    commands = split(textwrap.dedent(text))
    assert argvs(commands) == [
        ["[", "-f", "x", "]"], ["pip", "install", "y"], ["true"], [":"], ["apt-get", "update"],
        ["pip", "install", "$p"],
        ["read", "-r", "line"], ["echo", "$line"], [],
        ["false"], ["break"],
    ]
    # the redirect of the loop stays, as a command of its own without words
    assert [(r.op, r.target.value) for r in commands[8].redirects] == [("<", "file")]


def test_case_patterns_are_skipped():
    text = 'case "$(uname -m)" in\n  x86_64|amd64) A=1 ;;\n  (aarch64) pip install b ;;\n  *) echo c\nesac; echo d'
    commands = split(text)
    assert argvs(commands) == [[], ["pip", "install", "b"], ["echo", "c"], ["echo", "d"]]
    assert commands[0].assignments[0][0] == "A"


def test_subshells_groups_and_functions_are_entered():
    commands = split("(cd /x && make) ; { pip install a; } ; f() { echo f; } ; function g { echo g; }")
    assert argvs(commands) == [["cd", "/x"], ["make"], ["pip", "install", "a"], ["echo", "f"], ["echo", "g"]]


def test_double_bracket_test_keeps_its_operators():
    commands = split('[[ -n "$X" && $a < 3 ]] && pip install z')
    assert argvs(commands) == [["[[", "-n", "$X", "&&", "$a", "<", "3", "]]"], ["pip", "install", "z"]]
    assert commands[0].span == Span(1, 1, 1, 24)


def test_pipeline_neighbours():
    (curl, bash, after) = split("curl -fsSL https://x/install.sh | bash -s -- -y && echo ok")
    assert [w.value for w in curl.piped_to] == ["bash", "-s", "--", "-y"]
    assert curl.piped_from is None
    assert [w.value for w in bash.piped_from] == ["curl", "-fsSL", "https://x/install.sh"]
    assert bash.piped_to is None
    assert after.piped_from is None and after.piped_to is None


def test_three_stage_pipeline():
    (a, b, c) = split("a | b |& c")
    assert [w.value for w in b.piped_from] == ["a"]
    assert [w.value for w in b.piped_to] == ["c"]


# --------------------------------------------------------------------------- sh -c


def test_sh_c_single_quoted_string_has_exact_positions():
    commands = split("sh -c 'pip install a && echo b'", line=4, column=5)
    assert argvs(commands) == [["sh", "-c", "pip install a && echo b"], ["pip", "install", "a"], ["echo", "b"]]
    assert [c.nested for c in commands] == [False, True, True]
    assert commands[1].argv[0].span == Span(4, 12, 4, 15)
    assert commands[2].argv[1].span == Span(4, 34, 4, 35)


@pytest.mark.parametrize("prefix", [
    "bash -c", "bash -lc", "/bin/sh -ec", "sh -euo pipefail -c", "sudo -u root bash -c",
])
def test_shell_c_variants(prefix):
    commands = split(f'{prefix} "pip install x"')
    assert argvs(commands)[-1] == ["pip", "install", "x"]
    assert commands[-1].nested
    inner = commands[-1].argv[0]
    assert inner.span == Span(1, len(prefix) + 3, 1, len(prefix) + 6)


def test_sh_c_string_with_escapes_falls_back_to_the_word_span():
    commands = split(r'bash -c "pip install \"x\" && echo y"')
    word_span = commands[0].argv[2].span
    assert argvs(commands)[1:] == [["pip", "install", "x"], ["echo", "y"]]
    assert all(w.span == word_span for c in commands[1:] for w in c.argv)
    assert commands[1].span == word_span


def test_sh_c_inside_dockerfile_continuation_maps_to_the_right_line():
    commands = run_commands("""
        FROM x
        RUN sh -c 'pip install \\
           z'
    """)
    assert argvs(commands)[1] == ["pip", "install", "z"]
    assert commands[1].argv[2].span == Span(3, 4, 3, 5)


def _wrap(command: str, times: int) -> str:
    for _ in range(times):
        command = "sh -c " + shlex.quote(command)
    return command


def test_nested_sh_c_is_followed_up_to_a_limit():
    shallow = split(_wrap("pip install x", 4))
    assert argvs(shallow)[-1] == ["pip", "install", "x"]
    deep = split(_wrap("pip install x", 6))
    assert len(deep) == 5
    assert all(c.argv[0].value == "sh" for c in deep)


def test_shell_invocation_modes():
    def how(text):
        return shell_invocation(split(text)[0].argv)

    assert how("sh -c 'x'") == ("c", 2)
    assert how("bash -o pipefail -c 'x'") == ("c", 4)
    assert how("bash") == ("stdin", None)
    assert how("sh -s -- -y") == ("stdin", None)
    assert how("bash -") == ("stdin", None)
    assert how("bash script.sh") == ("file", 1)
    assert how("python3 x.py") is None


def test_unwrap_skips_wrappers_and_their_options():
    (command,) = split("sudo -E -u root env -i A=1 nice -n 5 timeout -s KILL 60 xargs -n1 -I {} pip install")
    assert [w.value for w in unwrap(command.argv)] == ["pip", "install"]
    (lookup,) = split("command -v pip")
    assert [w.value for w in unwrap(lookup.argv)] == ["command", "-v", "pip"]


# --------------------------------------------------------------------------- instructions


def test_exec_form_is_one_command_and_sh_c_is_split():
    commands = run_commands("""
        FROM x
        RUN ["/bin/bash", "-c", "pip install x && echo y"]
    """)
    assert argvs(commands) == [["/bin/bash", "-c", "pip install x && echo y"], ["pip", "install", "x"], ["echo", "y"]]
    assert commands[0].span == Span(2, 6, 2, 50)
    assert commands[1].argv[0].span == Span(2, 26, 2, 29)
    assert commands[2].nested


def test_exec_form_without_shell():
    commands = run_commands("""
        FROM x
        RUN ["pip", "install", "torch"]
    """)
    assert argvs(commands) == [["pip", "install", "torch"]]


def test_bare_heredoc_body_is_the_script_with_exact_positions():
    commands = run_commands("""
        FROM x
        RUN <<EOF
        pip install a \\
           b
        if true; then
          apt-get install -y c
        fi
        EOF
    """)
    assert argvs(commands) == [["pip", "install", "a", "b"], ["true"], ["apt-get", "install", "-y", "c"]]
    assert commands[0].argv[3].span == Span(4, 4, 4, 5)
    assert commands[2].argv[0].span == Span(6, 3, 6, 10)
    assert not any(c.nested for c in commands)


def test_heredoc_fed_to_a_shell_is_split_and_the_marker_is_no_argument():
    commands = run_commands("""
        FROM x
        RUN bash -ex <<"SH" && echo after
          pip install d
        SH
    """)
    assert argvs(commands) == [["bash", "-ex"], ["pip", "install", "d"], ["echo", "after"]]
    assert commands[0].redirects[0].op == "<<"
    assert commands[0].redirects[0].target.value == "SH"
    assert commands[1].nested
    assert commands[1].argv[2].span == Span(3, 15, 3, 16)


def test_heredoc_fed_to_another_program_is_not_shell():
    commands = run_commands("""
        FROM x
        RUN python3 <<PY
        import os; os.system("pip install x")
        PY
    """)
    assert argvs(commands) == [["python3"]]


def test_bare_heredoc_with_a_non_shell_shebang_is_not_shell():
    commands = run_commands("""
        FROM x
        RUN <<EOF
        #!/usr/bin/env python3
        print(1)
        EOF
    """)
    assert commands == ()


def test_several_heredocs_are_matched_in_order():
    commands = run_commands("""
        FROM x
        RUN cat <<A > /a && sh <<B
        pip install not-a-command
        A
        pip install b
        B
    """)
    assert argvs(commands) == [["cat"], ["sh"], ["pip", "install", "b"]]
    assert commands[2].argv[2].span == Span(5, 13, 5, 14)


def test_heredoc_marker_inside_a_quoted_sh_c_string_takes_no_dockerfile_heredoc():
    commands = run_commands("""
        FROM x
        RUN bash -c 'cat <<X > /f' && sh <<EOF
        pip install q
        EOF
    """)
    assert argvs(commands) == [["bash", "-c", "cat <<X > /f"], ["cat"], ["sh"], ["pip", "install", "q"]]
    assert commands[3].argv[2].span == Span(3, 13, 3, 14)


# --------------------------------------------------------------------------- pathological input


def test_ten_megabyte_word():
    big = "a" * 10_000_000
    (command,) = split(f"pip install {big} && x")[:1]
    assert len(command.argv[2].value) == 10_000_000


def test_ten_megabyte_quoted_and_escaped_words():
    big = "b" * 5_000_000
    commands = split(f"echo '{big}' \"{big}\\\"\" && y")
    assert len(commands[0].argv[1].value) == 5_000_000
    assert len(commands[0].argv[2].value) == 5_000_001
    assert argvs(commands)[1] == ["y"]


def test_deeply_nested_command_substitutions():
    text = "echo " + "$(" * 5000 + "x" + ")" * 5000 + " && y"
    commands = split(text)
    assert argvs(commands)[1] == ["y"]
    assert len(commands[0].argv[1].value) == 15_001


def test_deeply_nested_unterminated_substitutions_and_subshells():
    assert len(split("echo " + "$(" * 5000)[0].argv[1].value) == 10_000
    assert argvs(split("(" * 5000 + "pip install x" + ")" * 5000)) == [["pip", "install", "x"]]
    assert argvs(split("{ " * 5000 + "y")) == [["y"]]


def test_nul_bytes_and_control_characters():
    commands = split("echo a\x00b && c\x00 '\x00'")
    assert argvs(commands) == [["echo", "a\x00b"], ["c\x00", "\x00"]]


def test_many_commands():
    commands = split("a;" * 20_000)
    assert len(commands) == 20_000
