"""Every `--help` ends with a runnable-looking example: `hinge --help` and each subcommand's.

Subcommands are found by walking the real parser, so a new subcommand is covered as soon
as it is registered.
"""
from __future__ import annotations

import argparse
import re

import pytest

from hinge.cli import _build_parser, main

EXAMPLE = re.compile(r"^examples?:\n((?:[ \t]+\S.*\n?)+)", re.MULTILINE)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.setdefault(sub.prog, sub)  # aliases share a parser
    return found


SUBCOMMANDS = _subparsers(_build_parser())


def _example_lines(help_text: str) -> list[str]:
    match = EXAMPLE.search(help_text)
    assert match, f"no 'example:' section in:\n{help_text}"
    return [line.strip() for line in match.group(1).splitlines() if line.strip()]


def test_there_are_subcommands_to_check():
    # Guards the walk itself: if argparse internals changed, the test below would pass vacuously.
    assert {"hinge analyse", "hinge simulate", "hinge report"} <= set(SUBCOMMANDS)


def test_top_level_help_shows_an_example(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    lines = _example_lines(capsys.readouterr().out)
    assert lines[0].startswith("hinge ")


@pytest.mark.parametrize("prog", sorted(SUBCOMMANDS))
def test_every_subcommand_help_shows_an_example_of_itself(prog, capsys):
    with pytest.raises(SystemExit) as stop:
        main(prog.split()[1:] + ["--help"])
    assert stop.value.code == 0
    lines = _example_lines(capsys.readouterr().out)
    # The example uses the subcommand it documents, not just any command.
    assert any(line.startswith(prog + " ") for line in lines), (prog, lines)
