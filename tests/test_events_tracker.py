"""The event tracker's rules on hand-built daily series (reports/events.py, pure): when an
episode starts, what its run-up holds, when it ends, its status each day, and false alarms."""

from datetime import date as Date
from datetime import timedelta

from reports.events import Episode, TrackParams, lead_days, quiet_level, replay, step_day

P = TrackParams(baseline_days=14, min_count=3, p_value=0.01, quiet_days=3, min_posts=5)
D0 = Date(2021, 5, 1)


def day(n: int) -> str:
    return (D0 + timedelta(days=n)).isoformat()


def series_of(counts: dict[tuple[str, str], list[int]]):
    """key → per-day counts from D0; each post from its own source ("s0", "s1", ...)."""
    return {key: {day(n): (c, tuple(f"s{i}" for i in range(c))) for n, c in enumerate(row) if c}
            for key, row in counts.items()}


def run(counts, last: int, testable_from: int = 0, params: TrackParams = P) -> list[Episode]:
    return replay(series_of(counts), D0, D0 + timedelta(days=last), params,
                  D0 + timedelta(days=testable_from))


QUIET = [0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0]      # 14 days, 4 posts: 0.29/day


def test_an_episode_starts_on_the_first_surge_and_ends_on_the_third_quiet_day():
    key = ("review_abuse", "amazon")
    #  day:          14 15 16 17 18 19 20 21 22 23
    counts = QUIET + [1, 2, 6, 9, 5, 2, 1, 0, 1, 0]
    [ep] = run({key: counts}, len(counts) - 1)
    assert ep.start_day == day(16)                     # 6 posts against 0.43/day: the flag
    assert quiet_level(ep.baseline_mean) == 1
    # run-up: days 15, 14, then across the two empty days 13-12 to day 11's post and day 8's;
    # three empty days (5-7) end it (under a post a day, any post is above the usual range)
    assert ep.first_day == day(8)
    assert [r[1] for r in ep.daily if r[0] < ep.start_day] == [1, 0, 0, 1, 0, 0, 1, 2]
    assert ep.last_active_day == day(19)               # 2 posts is still above the usual 1
    assert ep.end_day == day(22)                       # 1, 0, 1: the third quiet day
    assert ep.posts() == 5 + 6 + 9 + 5 + 2 + 1 + 0 + 1 and ep.posts(from_start=True) == 24
    assert ep.sources() == 9                           # s0..s8 on the 9-post day


def test_status_each_day_and_the_end():
    key = ("store_closure", "amazon")
    counts = QUIET + [6, 9, 4, 3, 1, 0, 0, 7]
    eps = run({key: counts}, len(counts) - 1)
    first = eps[0]
    assert first.start_day == day(14)
    assert [first.status(day(n)) for n in range(14, 18)] == ["rising", "rising", "fading", "fading"]
    assert first.status(day(15)) == "rising" and first.peak() == (day(15), 9)
    assert first.last_active_day == day(17)            # 3 posts > level 1
    assert first.end_day == day(20)                    # 1, 0, 0: third quiet day
    assert first.status(day(20)) == "over" and first.active_days() == 4
    # the 7 posts two weeks later start a new episode only if the test fires against a
    # baseline that now holds the wave: 7 against ~1.7/day does
    assert len(eps) == 2 and eps[1].start_day == day(21)
    # and its run-up never reaches back into the finished episode
    assert eps[1].first_day == day(21)


def test_peak_status_when_a_day_stays_above_half_the_high():
    key = ("verification", "amazon")
    [ep] = run({key: QUIET + [8, 5, 3]}, 16)
    assert [ep.status(day(n)) for n in (14, 15, 16)] == ["rising", "peak", "fading"]


def test_a_gap_shorter_than_quiet_days_does_not_end_an_episode_nor_cut_its_run_up():
    key = ("review_abuse", "amazon")
    counts = [0] * 10 + [1, 0, 0, 2] + [6, 0, 0, 4, 0, 0, 0]
    [ep] = run({key: counts}, len(counts) - 1)
    assert ep.first_day == day(10)                     # run-up crosses the two empty days
    assert ep.last_active_day == day(17)               # the two quiet days did not end it
    assert ep.end_day == day(20)


def test_two_marketplaces_at_once_are_two_episodes_with_the_false_alarm_budget_shared():
    amazon, walmart = ("store_closure", "amazon"), ("store_closure", "walmart")
    eps = run({amazon: QUIET + [7, 6], walmart: [0] * 14 + [5, 4]}, 15)
    assert {(e.marketplace, e.start_day) for e in eps} == {("amazon", day(14)), ("walmart", day(14))}
    # 3 posts on a baseline of 0.29/day: p = 0.003 alone, but not with three marketplaces tested
    p3 = run({amazon: QUIET + [3]}, 14)
    shared = run({amazon: QUIET + [3], ("store_closure", "ebay"): [0] * 14 + [1],
                  ("store_closure", "etsy"): [0] * 14 + [1]}, 14)
    assert len(p3) == 1 and not [e for e in shared if e.marketplace == "amazon"]


def test_no_episode_starts_before_enough_history():
    key = ("funds_hold", "shopify")
    assert run({key: [0, 0, 4, 5, 1]}, 4, testable_from=7) == []
    assert [e.start_day for e in run({key: [0, 0, 4, 5, 1]}, 4, testable_from=0)] == [day(2)]


def test_stepping_day_by_day_with_catch_up_equals_one_replay():
    """The incremental path (state kept between calls, as the archive keeps it) and the replay
    agree: catching up three missed days gives the same episodes as stepping daily."""
    key = ("review_abuse", "amazon")
    series = series_of({key: QUIET + [1, 6, 9, 2, 1, 0, 0]})
    open_events, floor, seen = {}, {}, {}
    for n in range(21):
        for ep in step_day(open_events, series, D0 + timedelta(days=n), P, floor):
            seen[id(ep)] = ep
    [stepped] = seen.values()
    [replayed] = replay(series, D0, D0 + timedelta(days=20), P)
    assert stepped.daily == replayed.daily and stepped.end_day == replayed.end_day == day(20)


def test_false_alarms_are_one_day_flags_under_min_posts():
    key = ("counterfeit_ip", "amazon")
    [blip] = run({key: [0] * 14 + [3, 0, 0, 0]}, 17)
    assert blip.active_days() == 1 and blip.is_false_alarm(P)
    [big] = run({key: [0] * 14 + [6, 0, 0, 0]}, 17)
    assert not big.is_false_alarm(P)                   # one day, but six posts
    [long] = run({key: [0] * 14 + [3, 2, 0, 0, 0]}, 18)
    assert long.active_days() == 2 and not long.is_false_alarm(P)


def test_lead_days_sign():
    assert lead_days("2021-05-07", "2021-05-13T18:00:00+00:00") == 6
    assert lead_days("2021-05-07", "2021-05-02T09:40:00+00:00") == -5
    assert lead_days("2021-05-07", None) is None


def test_on_a_busy_topic_the_run_up_is_the_days_above_the_usual_range_not_the_background():
    key = ("review_abuse", "amazon")
    background = [14, 16, 15, 13, 17, 15, 14, 16, 15, 14, 13, 16, 15, 14]   # ~15 a day, every day
    [ep] = run({key: background + [22, 40, 30, 14, 15, 13]}, 19, testable_from=14)
    assert ep.start_day == day(15)                      # 40 against ~15.2: the flag
    assert ep.first_day == day(14)                      # 22 is above 15.2 + 3.9; 14 is not
    assert quiet_level(ep.baseline_mean) == 19
    assert ep.last_active_day == day(16) and ep.end_day == day(19)
