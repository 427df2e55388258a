"""What every `crackdown` command module shares: the lazily loaded config, exit codes, date
parsing and the one way to fail. Light imports only (click and the config), so `crackdown --help`
stays fast."""

from __future__ import annotations

import logging
import sys
from datetime import date as Date
from typing import NoReturn

import click

from crackdown.config import Config, ConfigError, load_config, resolve_config_path

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_FAILED, EXIT_LOCKED = 0, 1, 2, 3, 75


class State:
    """The group's options, handed to every command; the config is read at first use, so
    commands that need none (and `--help`) never fail on a broken config."""

    def __init__(self, config_path: str | None, db: str | None, verbosity: int):
        self.config_path, self.db, self.verbosity = config_path, db, verbosity
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            path = resolve_config_path(self.config_path)
            try:
                self._config = load_config(path).with_db(self.db)
            except ConfigError as exc:
                click.echo(f"config error: {exc}", err=True)
                sys.exit(EXIT_USAGE)
        return self._config

    @property
    def scrapy_log_level(self) -> str:
        return "INFO" if self.verbosity > 1 else ("WARNING" if self.verbosity >= 0 else "ERROR")


def parse_date(value: str | None, option: str) -> Date | None:
    if value is None:
        return None
    try:
        return Date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD", param_hint=option) from None


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def exit_with(result, command: str) -> NoReturn:
    """Log a run's messages and stats, then exit with its code (`run`, `watch`).

    Through logging, not echo: the same lines reach stderr (cron's mail) and --log-file."""
    log = logging.getLogger("crackdown.cli")
    for message in result.messages:
        log.log(logging.ERROR if result.exit_code >= EXIT_FAILED else logging.WARNING, "%s", message)
    log.info("%s finished with exit code %d: %s", command, result.exit_code, result.stats)
    sys.exit(result.exit_code)
