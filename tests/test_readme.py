"""The README cannot drift: its TOML validates, its command lines parse, its links resolve.

- Every ```toml block is loaded by the configuration loader. A block that shows only some
  sections gets the one thing a file must have, an inventory, from the environment; paths
  under /etc/netagent/ move to a temporary directory where each `*_file` gets a
  placeholder. A block meant as a bad example is preceded by `<!-- invalid -->`.
- Every `netagent …` line of a code block names commands that exist, and options those
  commands take (resolved on the CLI's own command tree, as `--help` would).
- Every relative link, and every `*.md` file named, exists in the repository.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer

from netagent.agent.cli import main
from netagent.agent.config import ConfigError, load_config
from tests.config_world import no_system_config  # noqa: F401 (autouse fixture)

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>\w*)\n(?P<body>.*?)^(?P=indent)```", re.M | re.S)
INVALID_MARK = "<!-- invalid -->"


def blocks(lang: str) -> list[tuple[int, str, bool]]:
    """(line, text, marked invalid) of every fenced block in that language."""
    text = README.read_text()
    out = []
    for m in FENCE.finditer(text):
        if m.group("lang") != lang:
            continue
        before = text[: m.start()].rstrip().splitlines()
        marked = bool(before) and before[-1].strip() == INVALID_MARK
        body = "\n".join(ln.removeprefix(m.group("indent")) for ln in m.group("body").splitlines())
        out.append((text.count("\n", 0, m.start()) + 1, body, marked))
    return out


TOML_BLOCKS = blocks("toml")


def test_the_readme_has_toml_blocks() -> None:
    assert len(TOML_BLOCKS) >= 2


@pytest.mark.parametrize(
    ("line", "body", "invalid"), TOML_BLOCKS, ids=[f"README.md:{b[0]}" for b in TOML_BLOCKS]
)
def test_every_toml_block_is_a_valid_configuration(
    tmp_path: Path, line: int, body: str, invalid: bool
) -> None:
    etc = tmp_path / "etc" / "netagent"
    etc.mkdir(parents=True)
    body = body.replace("/etc/netagent/", f"{etc}/")
    for secret in re.findall(r'_file\s*=\s*"([^"]+)"', body):
        Path(secret).parent.mkdir(parents=True, exist_ok=True)
        Path(secret).write_text("placeholder-secret-1234\n")
        Path(secret).chmod(0o600)
    path = tmp_path / f"README-{line}.toml"
    path.write_text(body)
    try:
        agent = tomllib.loads(body).get("agent", {})
    except tomllib.TOMLDecodeError:
        agent = {}
    named = isinstance(agent, dict) and ("inventory" in agent or "source" in agent)
    env = {} if named else {"NETAGENT_AGENT__INVENTORY": str(tmp_path / "inventory")}
    if invalid:
        with pytest.raises(ConfigError):
            load_config(path, env=env)
        return
    try:
        load_config(path, env=env)
    except ConfigError as e:
        pytest.fail(
            f"README.md:{line}: the TOML block does not validate:\n" + "\n".join(e.problems)
        )


def command_lines() -> list[tuple[int, list[str]]]:
    """(README line, argv after `netagent`) of every netagent command shown in code."""
    main._register()
    top = set(typer.main.get_command(main.app).commands)  # type: ignore[attr-defined]
    out = []
    for start, body, _ in blocks("sh") + blocks(""):
        for n, raw in enumerate(body.splitlines(), start + 1):
            code = raw.split(" #", 1)[0].split(" > ", 1)[0].split(" | ", 1)[0]
            # The command itself: at the start of the line (after `$ ` or `sudo `), or
            # a path to it; not the user or the unit of the same name.
            for m in re.finditer(r"(?:^\s*(?:\$\s+)?(?:sudo\s+)?|/bin/)netagent\s+(.*)$", code):
                try:
                    words = shlex.split(m.group(1).replace("…", "X"))
                except ValueError:
                    continue
                if words and (words[0] in top or words[0].startswith("-")):
                    out.append((n, words))
    return out


COMMAND_LINES = command_lines()


def test_the_readme_shows_commands() -> None:
    assert len(COMMAND_LINES) >= 10


def _resolve(words: list[str]) -> tuple[list[Any], list[str]]:
    """The chain of commands the words name, and the words left (options, arguments)."""
    node: Any = typer.main.get_command(main.app)
    chain = [node]
    rest = list(words)
    while rest and rest[0] in (getattr(node, "commands", None) or {}):
        node = node.commands[rest.pop(0)]
        chain.append(node)
    return chain, rest


@pytest.mark.parametrize(
    ("line", "words"), COMMAND_LINES, ids=[f"README.md:{n}" for n, _ in COMMAND_LINES]
)
def test_every_command_line_parses(line: int, words: list[str]) -> None:
    chain, rest = _resolve(words)
    leaf = chain[-1]
    assert (
        not getattr(leaf, "commands", None)
        or getattr(leaf, "invoke_without_command", False)
        or not rest
    ), f"README.md:{line}: `netagent {' '.join(words)}`: no such command"
    # Options belong to the command they follow (the root's -v before a subcommand).
    known = {opt for node in chain for p in node.params for opt in (*p.opts, *p.secondary_opts)}
    known |= {"--help"}
    unknown = [
        w.split("=", 1)[0]
        for w in rest
        if w.startswith("-") and w != "-" and w.split("=", 1)[0] not in known
    ]
    assert unknown == [], f"README.md:{line}: `netagent {' '.join(words)}`: no option {unknown}"


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
MD_NAME = re.compile(r"(?<![\w/.-])([\w./-]+\.md)\b")


def test_no_link_to_a_missing_file() -> None:
    text = README.read_text()
    missing = [
        target
        for target in LINK.findall(text)
        if "://" not in target and not target.startswith("mailto:") and not (ROOT / target).exists()
    ]
    named = {name for name in MD_NAME.findall(text) if "://" not in name}
    missing += [
        name
        for name in sorted(named)
        if not (ROOT / name).exists() and not list(ROOT.rglob(Path(name).name))
    ]
    assert missing == []
