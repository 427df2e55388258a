"""The [events] section: defaults, values, and errors that name the file and key."""

from pathlib import Path

import pytest

from crackdown.config import ConfigError, load_config
from tests.conftest import REPO


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_and_the_shipped_config(tmp_path):
    events = load_config(write(tmp_path, "")).events
    assert (events.quiet_days, events.min_posts, events.known_names) == (3, 5, ())
    shipped = load_config(REPO / "config.toml").events
    assert "Aukey|傲基" in shipped.known_names and shipped.quiet_days == 3


def test_values_are_read(tmp_path):
    events = load_config(write(tmp_path, '[events]\nquiet_days = 5\nmin_posts = 8\n'
                                         'known_names = ["Aukey|傲基", "FTC"]\n')).events
    assert (events.quiet_days, events.min_posts, events.known_names) == (5, 8, ("Aukey|傲基", "FTC"))


@pytest.mark.parametrize("text, key, problem", [
    ("quiet_days = 0", "events.quiet_days", "between 1 and 60"),
    ("quiet_days = 2.5", "events.quiet_days", "whole number"),
    ("min_posts = 0", "events.min_posts", ">= 1"),
    ('known_names = "Aukey"', "events.known_names", "list of strings"),
    ('known_names = ["Aukey|"]', "events.known_names", "empty name"),
    ("quiet = 3", "events.quiet", "unknown key; allowed here: known_names, min_posts, quiet_days"),
])
def test_errors_name_the_file_and_key(tmp_path, text, key, problem):
    path = write(tmp_path, f"[events]\n{text}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.key == key and problem in err.value.problem and str(path) in str(err.value)
