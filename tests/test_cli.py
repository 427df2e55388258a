"""The command line: every command documented and helpful; --help stays light."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from crackdown.cli import cli
from tests.conftest import REPO

COMMANDS = ["demo", "run", "crawl", "classify", "brief", "search", "predict", "eval", "label",
            "sources", "doctor"]


def test_every_design_command_exists():
    assert set(COMMANDS) <= set(cli.commands)


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_has_help_and_is_in_readme(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0 and len(cli.commands[name].help or "") > 20
    assert f"crackdown {name}" in (REPO / "README.md").read_text(encoding="utf-8")


def test_help_does_not_import_torch_or_scrapy():
    code = ("import sys; from crackdown.cli import cli\n"
            "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('torch', 'scrapy', 'sentence_transformers', 'twisted') "
            "if m in sys.modules]\nprint('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr


def test_bad_date_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli, ["--config", str(REPO / "config.toml"), "--db",
                                      str(tmp_path / "a.db"), "brief", "--date", "13/05/2021"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output
