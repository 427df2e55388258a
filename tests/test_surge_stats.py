"""The surge test shared by the brief and `crackdown timeline`, and the layering that lets both use it."""

import math
import subprocess
import sys

import pytest

from crackdown.surge_stats import poisson_tail, surge_test
from tests.conftest import REPO


def test_poisson_tail_matches_the_closed_form():
    assert poisson_tail(0, 2.0) == 1.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - math.exp(-2.0))
    # P(X >= 3 | 0.5) = 1 - e^-0.5 (1 + 0.5 + 0.125)
    assert poisson_tail(3, 0.5) == pytest.approx(1 - math.exp(-0.5) * 1.625)
    assert 0.0 <= poisson_tail(60, 0.1) < 1e-15   # rounding never makes it negative


def test_a_spike_over_an_empty_baseline_is_a_surge():
    test = surge_test(3, [0] * 14)
    assert test.is_surge and test.baseline_mean == 0.0
    assert test.ratio == 42.0        # against one post in the whole window, not a division by zero
    assert test.p_value < 1e-3


def test_below_min_count_or_within_the_usual_rate_is_not():
    assert not surge_test(2, [0] * 14).is_surge                 # rare, but only two posts
    assert surge_test(2, [0] * 14, min_count=2).is_surge
    busy = surge_test(12, [10] * 14)                            # busy, but busy every day
    assert not busy.is_surge and busy.baseline_mean == 10.0 and busy.ratio == 1.2
    assert not surge_test(5, [1] * 14, p_value=1e-9).is_surge   # the threshold is the caller's


def test_archive_layer_does_not_import_reports():
    code = ("import pkgutil, sys, importlib, crackdown.archive as a\n"
            "for m in pkgutil.iter_modules(a.__path__):\n"
            "    importlib.import_module('crackdown.archive.' + m.name)\n"
            "print('REPORTS', sorted(m for m in sys.modules if m.split('.')[0] == 'reports'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert "REPORTS []" in out.stdout, out.stdout + out.stderr
