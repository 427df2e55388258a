"""Config validation: every error names the file and key, and the CLI exits 2 before fetching."""

from pathlib import Path

import pytest

from crackdown.config import ConfigError, load_config
from tests.conftest import REPO, run_cli

GOOD_SOURCE = '''
[[sources]]
id = "pulse"
name = "Pulse"
type = "feed"
url = "https://example.com/feed"
'''


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_is_valid_and_has_real_sources():
    config = load_config(REPO / "config.toml")
    assert len(config.sources) >= 12
    assert {s.lang for s in config.sources} >= {"en", "zh"}
    assert {s.tier for s in config.sources} == {"official", "media", "community"}
    assert {s.type for s in config.sources} >= {"feed", "reddit"}
    assert config.topic_ids()[:3] == ["review_abuse", "verification", "store_closure"]
    assert all(t.keywords_en and t.keywords_zh and t.keywords_other for t in config.topics)


def test_bad_toml_names_the_file(tmp_path):
    path = write(tmp_path, "[crawl\nuser_agent = 'x'")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value) and "invalid TOML" in str(err.value)


def test_unknown_key_is_an_error_not_a_default(tmp_path):
    path = write(tmp_path, "[crawl]\ndownload_dealy = 3\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.key == "crawl.download_dealy"
    assert "allowed here" in str(err.value) and "download_delay" in str(err.value)


def test_unknown_section(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, "[emial]\nenabled = true\n"))
    assert err.value.key == "emial"


def test_wrong_type(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, '[crawl]\ndownload_delay = "fast"\n'))
    assert err.value.key == "crawl.download_delay" and "number" in err.value.problem


def test_bool_is_not_a_number(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, "[brief]\nbaseline_days = true\n"))
    assert err.value.key == "brief.baseline_days"


def test_missing_source_id(tmp_path):
    text = '[[sources]]\nname = "Pulse"\ntype = "feed"\nurl = "https://example.com/feed"\n'
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert err.value.key == "sources[0].id" and "required" in err.value.problem


def test_duplicate_source_id(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, GOOD_SOURCE + GOOD_SOURCE))
    assert "duplicate source id 'pulse'" in str(err.value)


def source_block(**overrides: str) -> str:
    fields = {"id": '"pulse"', "name": '"Pulse"', "type": '"feed"',
              "url": '"https://example.com/feed"', **overrides}
    return "[[sources]]\n" + "".join(f"{k} = {v}\n" for k, v in fields.items())


@pytest.mark.parametrize("key,value,expected", [
    ("id", '"Bad Id"', "must match"),
    ("type", '"rss"', "not a source type"),
    ("url", '"ftp://example.com"', "http(s) URL"),
    ("tier", '"blog"', "not a tier"),
    ("marketplaces", '["amazon", "mercado"]', "unknown marketplace"),
    ("fetch_articles", '"yes"', "true or false"),
])
def test_source_field_errors_name_the_source(tmp_path, key, value, expected):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, source_block(**{key: value})))
    assert err.value.key.startswith("sources[0]") and err.value.key.endswith(key)
    assert expected in err.value.problem


@pytest.mark.parametrize("key,value", [("multilingual_max_tokens", 8),
                                       ("multilingual_window_tokens", 1024)])
def test_multilingual_lengths_are_within_what_the_encoder_reads(tmp_path, key, value):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, f"[classify]\n{key} = {value}\n"))
    assert err.value.key == f"classify.{key}" and "16 to 512" in err.value.problem


@pytest.mark.parametrize("value", [-1, 17])
def test_multilingual_passages_are_none_to_sixteen(tmp_path, value):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, f"[classify]\nmultilingual_passages = {value}\n"))
    assert err.value.key == "classify.multilingual_passages" and "0 (none) to 16" in err.value.problem


def test_bad_timezone_and_email_security(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, '[brief]\ntimezone = "Mars/Olympus"\n'))
    assert err.value.key == "brief.timezone"
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, '[email]\nsecurity = "tls"\n'))
    assert err.value.key == "email.security"


def test_email_from_key_and_password_from_environment(tmp_path, monkeypatch):
    config = load_config(write(tmp_path, '[email]\nfrom = "a@b.example"\npassword_env = "X_PW"\n'))
    assert config.email.from_addr == "a@b.example"
    monkeypatch.setenv("X_PW", "s3cret")
    assert config.email.password() == "s3cret"


def test_relative_archive_path_resolves_against_config_folder(tmp_path):
    config = load_config(write(tmp_path, '[archive]\npath = "sub/a.db"\n'))
    assert config.archive.path == tmp_path / "sub" / "a.db"


def test_cli_exits_2_on_config_error_before_fetching(tmp_path):
    path = write(tmp_path, GOOD_SOURCE.replace('"feed"', '"ftp"'))
    result = run_cli("--config", str(path), "crawl")
    assert result.returncode == 2
    assert "config error" in result.stderr and "sources[0] (pulse).type" in result.stderr
    assert not (tmp_path / "data").exists()


def test_cli_missing_config_file(tmp_path):
    result = run_cli("--config", str(tmp_path / "nope.toml"), "sources")
    assert result.returncode == 2 and "file not found" in result.stderr
