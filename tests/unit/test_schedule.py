"""Tests for crongate.schedule: Convex's validation, normalisation, descriptions and fire times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from crongate.schedule import (
    InvalidSchedule,
    Schedule,
    check_registration,
    parse_cron,
    schedule_from_job,
    schedule_from_registry,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def cron(text: str) -> Schedule:
    return schedule_from_job("cron", text)


# ---------------------------------------------------------------------------------------------
# Cron strings: each operator and each range edge, valid and invalid
# ---------------------------------------------------------------------------------------------

# (cron string, accepted by Convex, fragment of the message for a rejected one)
CRON_TABLE = [
    # fields and separators
    ("* * * * *", True, None),
    ("0 0 * * *", True, None),
    ("0  0 * *\t*", True, None),
    ("*/5 * * * * *", False, "found 6"),
    ("0 0 * *", False, "found 4"),
    ("", False, "empty"),
    (" 0 0 * * *", False, "whitespace"),
    ("0 0 * * * ", False, "whitespace"),
    ("@daily", False, "macros"),
    ("@hourly", False, "macros"),
    ("0 0 ? * MON", False, "'?' is not supported"),
    ("0 0 * * ?", False, "'?' is not supported"),
    # minute edges
    ("0 * * * *", True, None),
    ("59 * * * *", True, None),
    ("60 * * * *", False, "60 is out of range 0-59"),
    ("-1 * * * *", False, "expected a minute value"),
    ("256 * * * *", False, "256 is out of range"),
    ("007 * * * *", True, None),
    # hour edges
    ("0 23 * * *", True, None),
    ("0 24 * * *", False, "24 is out of range 0-23"),
    # day-of-month edges
    ("0 0 1 * *", True, None),
    ("0 0 31 * *", True, None),
    ("0 0 0 * *", False, "0 is out of range 1-31"),
    ("0 0 32 * *", False, "32 is out of range 1-31"),
    # month edges and names
    ("0 0 1 1 *", True, None),
    ("0 0 1 12 *", True, None),
    ("0 0 1 0 *", False, "0 is out of range 1-12"),
    ("0 0 1 13 *", False, "13 is out of range 1-12"),
    ("0 0 1 JAN *", True, None),
    ("0 0 1 dec *", True, None),
    ("0 0 1 Jan-Mar *", True, None),
    ("0 0 1 JANUARY *", False, "unexpected 'UARY'"),
    ("0 0 1 FOO *", False, "expected a month value"),
    # day-of-week edges and names
    ("0 0 * * 0", True, None),
    ("0 0 * * 6", True, None),
    ("0 0 * * 7", False, "7 is out of range 0-6"),
    ("0 0 * * SUN", True, None),
    ("0 0 * * sat", True, None),
    ("0 0 * * MON-FRI", True, None),
    ("0 0 * * mon,wed,FRI", True, None),
    ("0 0 * * MONDAY", False, "unexpected 'DAY'"),
    ("0 0 * * 1-7", False, "7 is out of range 0-6"),
    # operators: ranges, steps and lists
    ("0-59 * * * *", True, None),
    ("10-20 * * * *", True, None),
    ("50-10 * * * *", True, None),
    ("*/15 * * * *", True, None),
    ("*/59 * * * *", True, None),
    ("*/60 * * * *", False, "step 60 is out of range 1-59"),
    ("*/0 * * * *", False, "step 0 is out of range"),
    ("0/0 * * * *", False, "step 0 is out of range"),
    ("*/ * * * *", False, "expected a step number"),
    ("5/15 * * * *", True, None),
    ("10-40/10 * * * *", True, None),
    ("0 */23 * * *", True, None),
    ("0 */24 * * *", False, "step 24 is out of range 1-23"),
    ("0 0 */30 * *", True, None),
    ("0 0 */31 * *", False, "step 31 is out of range 1-30"),
    ("0 0 1 */11 *", True, None),
    ("0 0 1 */12 *", False, "step 12 is out of range 1-11"),
    ("0 0 * * */6", True, None),
    ("0 0 * * */7", False, "step 7 is out of range 1-6"),
    ("0,15,30,45 * * * *", True, None),
    ("0,10-20,*/30 * * * *", True, None),
    ("5,* * * * *", True, None),
    ("*,5 * * * *", False, "unexpected ',5'"),
    ("0, * * * *", False, "expected a minute value"),
    ("1-2-3 * * * *", False, "unexpected '-3'"),
    # day-of-month specials
    ("0 0 L * *", True, None),
    ("0 0 LW * *", True, None),
    ("0 0 L-3 * *", True, None),
    ("0 0 L-30 * *", True, None),
    ("0 0 L-31 * *", False, "from 1 to 30"),
    ("0 0 L-0 * *", False, "from 1 to 30"),
    ("0 0 L-2W * *", True, None),
    ("0 0 15W * *", True, None),
    ("0 0 1W * *", True, None),
    ("0 0 15W,20 * *", False, "unexpected ',20'"),
    ("0 0 L,15 * *", False, "unexpected ',15'"),
    ("0 0 l * *", False, "expected a day-of-month value"),
    # day-of-week specials
    ("0 0 * * 5L", True, None),
    ("0 0 * * FRIL", True, None),
    ("0 0 * * L", True, None),
    ("0 0 * * MON#2", True, None),
    ("0 0 * * 1#5", True, None),
    ("0 0 * * 1#6", False, "from 1 to 5"),
    ("0 0 * * 1#0", False, "from 1 to 5"),
    ("0 0 * * 1#2,3", False, "unexpected ',3'"),
    # expressions that never fire
    ("0 0 30 2 *", False, 'The cron spec "0 0 30 2 *" will never match any time'),
    ("0 0 31 4,6,9,11 *", False, "will never match any time"),
    ("0 0 31 2,4 *", False, "will never match any time"),
    ("0 0 L-29 2 *", False, "will never match any time"),
    ("0 0 29 2 *", True, None),
    ("0 0 30,31 2 MON", True, None),
    ("0 0 31 1,4 *", True, None),
    ("0 0 31W 2 *", False, "never fires: Convex accepts it at push"),
]


@pytest.mark.parametrize("text, accepted, fragment", CRON_TABLE, ids=[row[0] or "empty" for row in CRON_TABLE])
def test_cron_table(text: str, accepted: bool, fragment: str | None) -> None:
    problems = check_registration("cron", text)
    if accepted:
        assert problems == []
        return
    assert len(problems) == 1
    assert problems[0].rule == "invalid-schedule"
    assert fragment in problems[0].message
    assert problems[0].hint


def test_cron_table_size() -> None:
    assert len(CRON_TABLE) >= 60


def test_cron_parse_failure_quotes_convex() -> None:
    problem = check_registration("cron", "0 0 * * 7")[0]
    assert problem.message.startswith('Failed to parse cron expression "0 0 * * 7"')
    assert "0 or SUN for Sunday" in problem.hint


def test_cron_not_a_string() -> None:
    problems = check_registration("cron", {"minutes": 5})
    assert problems[0].rule == "invalid-schedule"
    assert "expects a cron string" in problems[0].message


def test_schedule_from_job_raises_for_invalid_cron() -> None:
    with pytest.raises(InvalidSchedule) as caught:
        cron("0 0 30 2 *")
    assert "will never match any time" in caught.value.message
    assert caught.value.hint


# ---------------------------------------------------------------------------------------------
# The other five methods
# ---------------------------------------------------------------------------------------------

# (method, schedule argument, expected rules, fragment of the first message)
REGISTRATION_TABLE = [
    ("interval", {"minutes": 5}, [], None),
    ("interval", {"seconds": 1}, [], None),
    ("interval", {"hours": 24}, [], None),
    ("interval", {"minutes": 5.0}, [], None),
    ("interval", {"minutes": 5, "seconds": 30}, ["invalid-schedule"], "Must specify one of seconds, minutes, or hours"),
    ("interval", {}, ["invalid-schedule"], "Must specify one of seconds, minutes, or hours"),
    ("interval", {"minutes": None}, ["invalid-schedule"], "Must specify one of"),
    ("interval", {"minutes": 0}, ["invalid-schedule"], "Interval must be an integer greater than 0 (minutes is 0)"),
    ("interval", {"hours": -1}, ["invalid-schedule"], "Interval must be an integer greater than 0"),
    ("interval", {"minutes": 2.5}, ["invalid-schedule"], "(minutes is 2.5)"),
    ("interval", {"minutes": "5"}, ["invalid-schedule"], '(minutes is "5")'),
    ("interval", {"minutes": True}, ["invalid-schedule"], "(minutes is true)"),
    ("interval", {"minute": 5}, ["invalid-schedule", "invalid-schedule"], 'Unknown field "minute"'),
    ("interval", None, ["invalid-schedule"], "without a schedule object"),
    ("interval", "5 minutes", ["invalid-schedule"], "expects a schedule object"),
    ("hourly", {"minuteUTC": 15}, [], None),
    ("hourly", {"minuteUTC": 0}, [], None),
    ("hourly", {"minuteUTC": 59}, [], None),
    ("hourly", {}, [], None),
    ("hourly", None, [], None),
    ("hourly", {"minuteUTC": 60}, ["invalid-schedule"], "Minute of hour must be an integer from 0 to 59 (minuteUTC is 60)"),
    ("hourly", {"minuteUTC": -1}, ["invalid-schedule"], "Minute of hour must be an integer from 0 to 59"),
    ("hourly", {"minuteUTC": 1.5}, ["invalid-schedule"], "(minuteUTC is 1.5)"),
    ("daily", {"hourUTC": 0, "minuteUTC": 0}, [], None),
    ("daily", {"hourUTC": 23, "minuteUTC": 59}, [], None),
    ("daily", {"hourUTC": 4}, [], None),
    ("daily", {"hourUTC": 24, "minuteUTC": 0}, ["invalid-schedule"], "Hour of day must be an integer from 0 to 23 (hourUTC is 24)"),
    ("daily", {"minuteUTC": 0}, ["invalid-schedule"], "(hourUTC is undefined)"),
    ("daily", {"hourUTC": "6"}, ["invalid-schedule"], '(hourUTC is "6")'),
    ("daily", {"hourUTC": 6, "minuteUtc": 0}, ["invalid-schedule"], 'Unknown field "minuteUtc"'),
    ("daily", None, ["invalid-schedule"], "Hour of day must be an integer from 0 to 23"),
    ("weekly", {"dayOfWeek": "monday", "hourUTC": 9, "minuteUTC": 30}, [], None),
    ("weekly", {"dayOfWeek": "sunday", "hourUTC": 0}, [], None),
    ("weekly", {"dayOfWeek": "Tuesday", "hourUTC": 8, "minuteUTC": 0}, ["invalid-schedule"], 'Day of week must be a string like "monday".'),
    ("weekly", {"dayOfWeek": 1, "hourUTC": 8}, ["invalid-schedule"], "(dayOfWeek is 1)"),
    ("weekly", {"dayOfWeek": "mon", "hourUTC": 8}, ["invalid-schedule"], '(dayOfWeek is "mon")'),
    ("weekly", {"hourUTC": 8}, ["invalid-schedule"], "(dayOfWeek is undefined)"),
    ("weekly", {"dayOfWeek": "friday", "hourUTC": 25, "minuteUTC": 61}, ["invalid-schedule", "invalid-schedule"], "Hour of day"),
    ("monthly", {"day": 1, "hourUTC": 2, "minuteUTC": 45}, [], None),
    ("monthly", {"day": 28, "hourUTC": 2}, [], None),
    ("monthly", {"day": 29, "hourUTC": 0}, ["schedule-skips-months"], "February outside leap years"),
    ("monthly", {"day": 30, "hourUTC": 0}, ["schedule-skips-months"], "does not run in February"),
    ("monthly", {"day": 31, "hourUTC": 0, "minuteUTC": 0}, ["schedule-skips-months"], "February, April, June, September and November"),
    ("monthly", {"day": 0, "hourUTC": 0}, ["invalid-schedule"], "Day of month must be an integer from 1 to 31 (day is 0)"),
    ("monthly", {"day": 32, "hourUTC": 0}, ["invalid-schedule"], "(day is 32)"),
    ("monthly", {"day": 15.5, "hourUTC": 0}, ["invalid-schedule"], "(day is 15.5)"),
    ("monthly", {"hourUTC": 0}, ["invalid-schedule"], "(day is undefined)"),
    ("yearly", {"day": 1}, ["invalid-schedule"], 'Unknown crons method "yearly"'),
]


@pytest.mark.parametrize(
    "kind, schedule, rules, fragment",
    REGISTRATION_TABLE,
    ids=[f"{row[0]}-{row[1]}" for row in REGISTRATION_TABLE],
)
def test_registration_table(kind: str, schedule: object, rules: list[str], fragment: str | None) -> None:
    problems = check_registration(kind, schedule)
    assert [problem.rule for problem in problems] == rules
    if fragment is not None:
        assert fragment in problems[0].message
    assert all(problem.hint for problem in problems)


def test_unknown_field_suggests_name() -> None:
    problem = check_registration("daily", {"hourUTC": 6, "minuteUtc": 0})[0]
    assert 'Did you mean "minuteUTC"?' in problem.hint


def test_lowercase_day_hint() -> None:
    problem = check_registration("weekly", {"dayOfWeek": "Tuesday", "hourUTC": 8})[0]
    assert '"tuesday"' in problem.hint


def test_fractional_interval_hint_converts() -> None:
    problem = check_registration("interval", {"minutes": 2.5})[0]
    assert "{ seconds: 150 }" in problem.hint


def test_skips_months_does_not_raise() -> None:
    schedule = schedule_from_job("monthly", {"day": 31, "hourUTC": 0, "minuteUTC": 0})
    assert schedule.describe() == "monthly on day 31 at 00:00 UTC"


def test_invalid_job_raises_with_hint() -> None:
    with pytest.raises(InvalidSchedule) as caught:
        schedule_from_job("daily", {"hourUTC": 24, "minuteUTC": 0})
    assert "hourUTC is 24" in caught.value.message
    assert "0 to 23" in caught.value.hint


def test_invalid_schedule_is_value_error() -> None:
    assert issubclass(InvalidSchedule, ValueError)


# ---------------------------------------------------------------------------------------------
# Normalisation and equivalence
# ---------------------------------------------------------------------------------------------


def job(kind: str, schedule: object) -> Schedule:
    return schedule_from_job(kind, schedule)


EQUIVALENT = [
    (job("interval", {"minutes": 5}), schedule_from_registry({"type": "minutes", "value": 5})),
    (job("interval", {"seconds": 300}), schedule_from_registry({"type": "minutes", "value": 5})),
    (job("interval", {"hours": 2}), schedule_from_registry({"type": "interval", "seconds": 7200})),
    (job("interval", {"hours": 24}), schedule_from_registry({"type": "days", "value": 1})),
    (job("interval", {"hours": 168}), schedule_from_registry({"type": "week", "value": "1"})),
    (job("daily", {"hourUTC": 6, "minuteUTC": 0}), cron("0 6 * * *")),
    (job("hourly", {"minuteUTC": 15}), cron("15 * * * *")),
    (job("weekly", {"dayOfWeek": "monday", "hourUTC": 9, "minuteUTC": 30}), cron("30 9 * * 1")),
    (job("weekly", {"dayOfWeek": "sunday", "hourUTC": 0, "minuteUTC": 0}), cron("0 0 * * SUN")),
    (job("monthly", {"day": 1, "hourUTC": 2, "minuteUTC": 45}), cron("45 2 1 * *")),
    (cron("*/15 * * * *"), cron("0,15,30,45 * * * *")),
    (cron("*/15 * * * *"), cron("0-59/15 * * * *")),
    (cron("0 12 * * MON-FRI"), cron("0 12 * * 1-5")),
    (cron("0 12 * * MON-FRI"), cron("0 12 * * 1,2,3,4,5")),
    (cron("0 0 1 JAN,JUL *"), cron("0 0 1 1,7 *")),
    (cron("0 0 * * 0-6"), cron("0 0 * * *")),
    (cron("0 0 1-31 * *"), cron("0 0 * * *")),
    (cron("0 0 */1 * 1"), cron("0 0 * * *")),
    (cron("0 0 * * */2"), cron("0 0 * * 0,2,4,6")),
    (cron("0 0 * * L"), cron("0 0 * * 6")),
    (cron("0 */6 * * *"), cron("0 0,6,12,18 * * *")),
    (cron("5,* * * * *"), cron("0,5 * * * *")),
    (cron("0 0 1 1-12/1 *"), cron("0 0 1 * *")),
]

EQUIVALENT_TIMES_ONLY = [
    (job("daily", {"hourUTC": 4}), job("daily", {"hourUTC": 4, "minuteUTC": 17})),
    (job("daily", {"hourUTC": 4}), schedule_from_registry({"type": "daily", "hourUTC": 4, "minuteUTC": 0})),
    (job("hourly", None), job("hourly", {"minuteUTC": 42})),
    (job("hourly", {}), cron("7 * * * *")),
    (job("weekly", {"dayOfWeek": "friday", "hourUTC": 22}), schedule_from_registry({"type": "weekly", "dayOfWeek": 5, "hourUTC": 22})),
    (schedule_from_registry({"type": "hours", "value": 24}), job("daily", {"hourUTC": 6})),
    (schedule_from_registry({"type": "hours", "value": 1}), job("hourly", {"minuteUTC": 15})),
    (schedule_from_registry({"type": "minutes", "value": 15}), cron("*/15 * * * *")),
    (schedule_from_registry({"type": "weeks", "value": 1}), job("weekly", {"dayOfWeek": "monday", "hourUTC": 9})),
    (cron("0 0 29 2 *"), cron("0 0 29 FEB *")),
    # April has no day 31, and the last day of January is the 31st.
    (cron("0 0 31 1,4 *"), cron("0 0 31 1 *")),
    (cron("0 0 L 1 *"), cron("0 0 31 1 *")),
    (cron("0 0 L 4,6,9,11 *"), cron("0 0 30 4,6,9,11 *")),
]

NOT_EQUIVALENT = [
    (job("interval", {"minutes": 5}), job("interval", {"minutes": 6})),
    (job("interval", {"minutes": 5}), schedule_from_registry({"type": "seconds", "value": 30})),
    (job("daily", {"hourUTC": 6, "minuteUTC": 0}), cron("0 7 * * *")),
    (job("daily", {"hourUTC": 6, "minuteUTC": 0}), cron("1 6 * * *")),
    (job("daily", {"hourUTC": 6}), cron("0,30 6 * * *")),
    (job("daily", {"hourUTC": 6}), job("daily", {"hourUTC": 7})),
    (job("weekly", {"dayOfWeek": "monday", "hourUTC": 9, "minuteUTC": 30}), cron("30 9 * * 2")),
    (job("monthly", {"day": 1, "hourUTC": 0, "minuteUTC": 0}), schedule_from_registry({"type": "days", "value": 30})),
    (job("monthly", {"day": 1, "hourUTC": 0, "minuteUTC": 0}), schedule_from_registry({"type": "days", "value": 31})),
    (schedule_from_registry({"type": "hours", "value": 24}), job("monthly", {"day": 1, "hourUTC": 6})),
    (schedule_from_registry({"type": "hours", "value": 24}), cron("0 12 * * MON-FRI")),
    (cron("0 0 * * 1"), cron("0 0 1 * 1")),
    (cron("0 0 L * *"), cron("0 0 31 * *")),
    (cron("0 0 LW * *"), cron("0 0 L * *")),
    (cron("0 0 * * 5L"), cron("0 0 * * 5#4")),
    (cron("0 0 15W * *"), cron("0 0 15 * *")),
    (cron("0 */5 * * *"), schedule_from_registry({"type": "hours", "value": 5})),
    (cron("0 0 * 1-6 *"), cron("0 0 * 1-7 *")),
]


@pytest.mark.parametrize("left, right", EQUIVALENT)
def test_equivalent_compare_equal(left: Schedule, right: Schedule) -> None:
    assert left == right
    assert hash(left) == hash(right)
    assert left.same_times(right)
    assert right.same_times(left)


@pytest.mark.parametrize("left, right", EQUIVALENT_TIMES_ONLY)
def test_equivalent_same_times(left: Schedule, right: Schedule) -> None:
    assert left.same_times(right)
    assert right.same_times(left)


@pytest.mark.parametrize("left, right", NOT_EQUIVALENT)
def test_not_equivalent(left: Schedule, right: Schedule) -> None:
    assert not left.same_times(right)
    assert not right.same_times(left)
    assert left != right


def test_chosen_minute_differs_structurally() -> None:
    assert job("daily", {"hourUTC": 4}) != job("daily", {"hourUTC": 4, "minuteUTC": 0})


def test_schedule_is_hashable_set_member() -> None:
    schedules = {job("daily", {"hourUTC": 6, "minuteUTC": 0}), cron("0 6 * * *")}
    assert len(schedules) == 1


def test_wrapping_range_matches_saffron() -> None:
    # saffron's wrap-around range also sets the value just before its start (see _expand).
    assert parse_cron("0 0 * * SAT-SUN").days.days_of_week == frozenset({5, 6, 0})
    assert parse_cron("58-1 * * * *").minutes == frozenset({57, 58, 59, 0, 1})


def test_wrapping_step_matches_saffron() -> None:
    assert parse_cron("50-10/5 * * * *").minutes == frozenset({50, 55, 0, 5, 10})
    # Day-of-month steps wrap with saffron's bounds: 20, 23, 26, 29, then day 4, not day 1.
    assert parse_cron("0 0 20-5/3 * *").days.days_of_month == frozenset({20, 23, 26, 29, 4})


def test_list_star_is_lowest_value() -> None:
    assert parse_cron("0 0 * * 3,*").days.days_of_week == frozenset({0, 3})


def test_registry_day_of_week_forms() -> None:
    by_number = schedule_from_registry({"type": "weekly", "dayOfWeek": 1, "hourUTC": 9, "minuteUTC": 30})
    by_name = schedule_from_registry({"type": "weekly", "dayOfWeek": "monday", "hourUTC": 9, "minuteUTC": 30})
    assert by_number == by_name


# ---------------------------------------------------------------------------------------------
# The registry side
# ---------------------------------------------------------------------------------------------

REGISTRY_VALID = [
    ({"type": "minutes", "value": 5}, 300),
    ({"type": "minute", "value": 5}, 300),
    ({"type": "seconds", "value": 30}, 30),
    ({"type": "hours", "value": 2.0}, 7200),
    ({"type": "days", "value": "1"}, 86400),
    ({"type": "weeks", "value": 2}, 1209600),
    ({"type": "Minutes", "value": 5}, 300),
    ({"type": "interval", "seconds": 300}, 300),
    ({"type": "interval", "seconds": "300"}, 300),
    ({"type": "interval", "minutes": 5}, 300),
]


@pytest.mark.parametrize("value, seconds", REGISTRY_VALID)
def test_registry_intervals(value: dict, seconds: int) -> None:
    schedule = schedule_from_registry(value)
    assert schedule.interval_seconds == seconds


REGISTRY_CALENDAR = [
    ({"type": "cron", "value": "0 6 * * *"}, "0 6 * * *"),
    ({"type": "cron", "cron": "0 6 * * *"}, "0 6 * * *"),
    ({"type": "cron", "cronExpr": "0 6 * * *"}, "0 6 * * *"),
    ("0 6 * * *", "0 6 * * *"),
    (" 0 6 * * * ", "0 6 * * *"),
    ({"type": "hourly", "minuteUTC": 15}, "15 * * * *"),
    ({"type": "daily", "hourUTC": "6", "minuteUTC": 0}, "0 6 * * *"),
    ({"type": "weekly", "dayOfWeek": 0, "hourUTC": 9, "minuteUTC": 30}, "30 9 * * 0"),
    ({"type": "weekly", "dayOfWeek": "Friday", "hourUTC": 9, "minuteUTC": 30}, "30 9 * * 5"),
    ({"type": "monthly", "day": 1, "hourUTC": 2, "minuteUTC": 45}, "45 2 1 * *"),
]


@pytest.mark.parametrize("value, text", REGISTRY_CALENDAR)
def test_registry_calendar_shapes(value: object, text: str) -> None:
    assert schedule_from_registry(value) == cron(text)


REGISTRY_INVALID = [
    (None, "expected an object"),
    (5, "expected an object"),
    ({"value": 5}, "unknown type None"),
    ({"type": "fortnights", "value": 1}, "unknown type 'fortnights'"),
    ({"type": "minutes", "value": 0}, "value must be an integer of at least 1"),
    ({"type": "minutes", "value": 2.5}, "got 2.5"),
    ({"type": "minutes", "value": "five"}, "got 'five'"),
    ({"type": "minutes", "value": True}, "got True"),
    ({"type": "minutes"}, "got None"),
    ({"type": "interval", "seconds": 5, "minutes": 1}, "exactly one of seconds, minutes, hours"),
    ({"type": "cron"}, "needs value, cron or cronExpr"),
    ({"type": "cron", "value": 5}, "the cron string is 5"),
    ({"type": "cron", "value": "0 0 * * 7"}, "Failed to parse cron expression"),
    ("0 0 30 2 *", "never fires"),
    ({"type": "daily", "hourUTC": 24}, "hourUTC must be an integer from 0 to 23"),
    ({"type": "daily"}, "hourUTC must be an integer"),
    ({"type": "weekly", "dayOfWeek": 7, "hourUTC": 1}, "dayOfWeek must be an integer from 0 to 6"),
    ({"type": "weekly", "dayOfWeek": "someday", "hourUTC": 1}, "dayOfWeek"),
    ({"type": "monthly", "day": 32, "hourUTC": 1}, "day must be an integer from 1 to 31"),
    ({"type": "hourly", "minuteUTC": 60}, "minuteUTC must be an integer from 0 to 59"),
]


@pytest.mark.parametrize("value, fragment", REGISTRY_INVALID)
def test_registry_invalid(value: object, fragment: str) -> None:
    with pytest.raises(InvalidSchedule) as caught:
        schedule_from_registry(value)
    assert fragment in caught.value.message
    assert caught.value.hint


# ---------------------------------------------------------------------------------------------
# Descriptions
# ---------------------------------------------------------------------------------------------

DESCRIPTIONS = [
    (job("interval", {"minutes": 5}), "every 5 minutes"),
    (job("interval", {"seconds": 30}), "every 30 seconds"),
    (job("interval", {"seconds": 1}), "every second"),
    (job("interval", {"seconds": 90}), "every 90 seconds"),
    (job("interval", {"hours": 1}), "every hour"),
    (job("interval", {"hours": 2}), "every 2 hours"),
    (schedule_from_registry({"type": "days", "value": 1}), "every day"),
    (job("hourly", {"minuteUTC": 15}), "hourly at minute 15"),
    (job("hourly", None), "hourly (minute chosen by Convex)"),
    (job("daily", {"hourUTC": 6, "minuteUTC": 0}), "daily at 06:00 UTC"),
    (job("daily", {"hourUTC": 4}), "daily at 04:xx UTC (minute chosen by Convex)"),
    (job("weekly", {"dayOfWeek": "monday", "hourUTC": 9, "minuteUTC": 30}), "weekly on Monday at 09:30 UTC"),
    (job("weekly", {"dayOfWeek": "friday", "hourUTC": 22}), "weekly on Friday at 22:xx UTC (minute chosen by Convex)"),
    (job("monthly", {"day": 1, "hourUTC": 2, "minuteUTC": 45}), "monthly on day 1 at 02:45 UTC"),
    (job("monthly", {"day": 15, "hourUTC": 12}), "monthly on day 15 at 12:xx UTC (minute chosen by Convex)"),
    (cron("*/15 * * * *"), "every 15 minutes"),
    (cron("* * * * *"), "every minute"),
    (cron("0 6 * * *"), "daily at 06:00 UTC"),
    (cron("0 * * * *"), "hourly at minute 0"),
    (cron("0 */2 * * *"), "every 2 hours at minute 0"),
    (cron("0 12 * * MON-FRI"), "cron 0 12 * * MON-FRI (at 12:00 UTC, Monday to Friday)"),
    (cron("0 0 L * *"), "cron 0 0 L * * (at 00:00 UTC, on the last day of the month)"),
    (cron("30 8 * * 1#2"), "cron 30 8 * * 1#2 (at 08:30 UTC, on the second Monday of the month)"),
    (cron("0 9 1,15 * *"), "cron 0 9 1,15 * * (at 09:00 UTC, on days 1 and 15)"),
    (cron("0 0 1 1 *"), "cron 0 0 1 1 * (at 00:00 UTC, on day 1, in January)"),
    (cron("0,30 9-17 * * *"), "at minutes 0,30 past hours 9-17 UTC"),
    (cron("0,30 9-17 * * 1-5"), "cron 0,30 9-17 * * 1-5 (at minutes 0,30 past hours 9-17 UTC, Monday to Friday)"),
    (cron("0 0 15W * *"), "cron 0 0 15W * * (at 00:00 UTC, on the weekday nearest day 15)"),
]


@pytest.mark.parametrize("schedule, text", DESCRIPTIONS, ids=[row[1] for row in DESCRIPTIONS])
def test_describe(schedule: Schedule, text: str) -> None:
    assert schedule.describe() == text


def test_describe_never_raises_on_odd_values() -> None:
    odd = Schedule(minutes=frozenset(), hours=frozenset(), months=frozenset(), days=None)
    assert isinstance(odd.describe(), str)


# ---------------------------------------------------------------------------------------------
# Periods and gaps
# ---------------------------------------------------------------------------------------------

PERIODS = [
    (job("interval", {"minutes": 5}), 300),
    (job("hourly", {"minuteUTC": 15}), 3600),
    (job("hourly", None), 3600),
    (job("daily", {"hourUTC": 6}), 86400),
    (job("weekly", {"dayOfWeek": "monday", "hourUTC": 9, "minuteUTC": 30}), 604800),
    (cron("*/15 * * * *"), 900),
    (cron("0 */12 * * *"), 43200),
    (cron("0 0 * * 0,2,4"), None),
    (cron("0 */5 * * *"), None),
    (job("monthly", {"day": 1, "hourUTC": 2, "minuteUTC": 45}), None),
    (cron("0 0 * 1-6 *"), None),
]


@pytest.mark.parametrize("schedule, seconds", PERIODS)
def test_period_seconds(schedule: Schedule, seconds: int | None) -> None:
    assert schedule.period_seconds == seconds


MAX_GAPS = [
    (job("interval", {"seconds": 30}), 30),
    (job("daily", {"hourUTC": 6, "minuteUTC": 0}), 86400),
    (cron("0 12 * * MON-FRI"), 3 * 86400),
    (cron("0 */5 * * *"), 5 * 3600),
    (job("monthly", {"day": 1, "hourUTC": 2, "minuteUTC": 45}), 31 * 86400),
    # Day 31 skips September: August 31 to October 31 is 61 days.
    (job("monthly", {"day": 31, "hourUTC": 0, "minuteUTC": 0}), 61 * 86400),
    # 2096-02-29 to 2104-02-29, because 2100 is not a leap year.
    (cron("0 0 29 2 *"), 2921 * 86400),
    (cron("0 0 1 1 *"), 366 * 86400),
    (cron("0 0,23 1 * *"), 31 * 86400 - 23 * 3600),
]


@pytest.mark.parametrize("schedule, seconds", MAX_GAPS)
def test_max_gap_seconds(schedule: Schedule, seconds: int) -> None:
    assert schedule.max_gap_seconds() == seconds


# ---------------------------------------------------------------------------------------------
# Fire times
# ---------------------------------------------------------------------------------------------

NEXT_FIRES = [
    (cron("0 0 31 * *"), utc(2024, 1, 31, 0, 0), [utc(2024, 3, 31), utc(2024, 5, 31), utc(2024, 7, 31)]),
    (cron("0 0 29 2 *"), utc(2024, 3, 1), [utc(2028, 2, 29), utc(2032, 2, 29)]),
    (cron("0 0 29 2 *"), utc(2096, 3, 1), [utc(2104, 2, 29)]),
    (cron("0 0 L * *"), utc(2024, 1, 31), [utc(2024, 2, 29), utc(2024, 3, 31), utc(2024, 4, 30)]),
    (cron("0 0 L 2 *"), utc(2099, 3, 1), [utc(2100, 2, 28), utc(2101, 2, 28)]),
    (cron("0 0 L-1 2 *"), utc(2024, 1, 1), [utc(2024, 2, 28), utc(2025, 2, 27)]),
    (cron("0 23 L * *"), utc(2023, 12, 31, 23, 0), [utc(2024, 1, 31, 23), utc(2024, 2, 29, 23)]),
    (job("monthly", {"day": 30, "hourUTC": 12, "minuteUTC": 0}), utc(2024, 1, 30, 12, 0),
     [utc(2024, 3, 30, 12), utc(2024, 4, 30, 12)]),
    (job("daily", {"hourUTC": 0, "minuteUTC": 0}), utc(2024, 2, 28, 23, 59, 59),
     [utc(2024, 2, 29), utc(2024, 3, 1)]),
    (job("daily", {"hourUTC": 0, "minuteUTC": 0}), utc(2023, 12, 31, 12), [utc(2024, 1, 1), utc(2024, 1, 2)]),
    (cron("*/20 * * * *"), utc(2024, 12, 31, 23, 30), [utc(2024, 12, 31, 23, 40), utc(2025, 1, 1, 0, 0)]),
    (cron("*/20 * * * *"), utc(2024, 1, 1, 0, 20), [utc(2024, 1, 1, 0, 40)]),
    (cron("*/20 * * * *"), utc(2024, 1, 1, 0, 20, 0, 1), [utc(2024, 1, 1, 0, 40)]),
    (cron("*/20 * * * *"), utc(2024, 1, 1, 0, 19, 59), [utc(2024, 1, 1, 0, 20)]),
    # LW: the last weekday; May 2025 ends on a Saturday, May 2020 on a Sunday.
    (cron("0 0 LW 5 *"), utc(2020, 1, 1), [utc(2020, 5, 29), utc(2021, 5, 31), utc(2022, 5, 31)]),
    (cron("0 0 LW 5 *"), utc(2025, 1, 1), [utc(2025, 5, 30)]),
    # 1W: May 2021 starts on a Saturday, so the nearest weekday is Monday the 3rd.
    (cron("0 0 1W 5 *"), utc(2020, 1, 1), [utc(2020, 5, 1), utc(2021, 5, 3), utc(2022, 5, 2)]),
    # 6L: the last Saturday of each month.
    (cron("0 0 * * 6L"), utc(2020, 1, 1), [utc(2020, 1, 25), utc(2020, 2, 29), utc(2020, 3, 28)]),
    # SAT#5: a fifth Saturday exists only in some months.
    (cron("0 0 * * SAT#5"), utc(2020, 1, 1), [utc(2020, 2, 29), utc(2020, 5, 30), utc(2020, 8, 29)]),
    # Day-of-month and day-of-week both restricted: either one fires.
    (cron("0 9 13 * FRI"), utc(2024, 9, 10), [utc(2024, 9, 13, 9), utc(2024, 9, 20, 9), utc(2024, 9, 27, 9),
                                               utc(2024, 10, 4, 9), utc(2024, 10, 11, 9), utc(2024, 10, 13, 9)]),
    (job("weekly", {"dayOfWeek": "monday", "hourUTC": 9, "minuteUTC": 30}), utc(2024, 2, 26, 9, 30),
     [utc(2024, 3, 4, 9, 30)]),
]


@pytest.mark.parametrize("schedule, after, expected", NEXT_FIRES)
def test_next_fires(schedule: Schedule, after: datetime, expected: list[datetime]) -> None:
    assert schedule.next_fires(after, len(expected)) == expected


def test_next_fires_naive_is_utc() -> None:
    fires = cron("0 6 * * *").next_fires(datetime(2024, 1, 1), 1)
    assert fires == [utc(2024, 1, 1, 6)]


def test_next_fires_other_timezone() -> None:
    plus_two = timezone(timedelta(hours=2))
    fires = cron("0 6 * * *").next_fires(datetime(2024, 1, 1, 7, 30, tzinfo=plus_two), 1)
    assert fires == [utc(2024, 1, 1, 6)]


def test_next_fires_interval_is_empty() -> None:
    assert job("interval", {"minutes": 5}).next_fires(utc(2024, 1, 1), 3) == []


def test_next_fires_zero_count() -> None:
    assert cron("* * * * *").next_fires(utc(2024, 1, 1), 0) == []


PREVIOUS_FIRES = [
    (job("daily", {"hourUTC": 6, "minuteUTC": 0}), utc(2024, 3, 1, 6, 0), utc(2024, 2, 29, 6)),
    (job("daily", {"hourUTC": 6, "minuteUTC": 0}), utc(2024, 3, 1, 6, 0, 1), utc(2024, 3, 1, 6)),
    (cron("0 0 31 * *"), utc(2024, 3, 1), utc(2024, 1, 31)),
    (cron("0 0 29 2 *"), utc(2104, 1, 1), utc(2096, 2, 29)),
    (cron("0 0 L * *"), utc(2023, 3, 1), utc(2023, 2, 28)),
    (job("monthly", {"day": 1, "hourUTC": 2, "minuteUTC": 45}), utc(2024, 1, 1, 2, 44), utc(2023, 12, 1, 2, 45)),
    (job("hourly", None), utc(2024, 1, 1, 10, 30), utc(2024, 1, 1, 10)),
    (cron("0 12 * * MON-FRI"), utc(2024, 3, 4, 11), utc(2024, 3, 1, 12)),
]


@pytest.mark.parametrize("schedule, before, expected", PREVIOUS_FIRES)
def test_previous_fire(schedule: Schedule, before: datetime, expected: datetime) -> None:
    assert schedule.previous_fire(before) == expected


def test_previous_fire_interval_is_none() -> None:
    assert schedule_from_registry({"type": "minutes", "value": 5}).previous_fire(utc(2024, 1, 1)) is None


def naive_cron_match(minutes: set, hours: set, days: set | None, months: set, weekdays: set | None, moment: datetime) -> bool:
    """Match a plain numeric cron by cron's textbook rule, as an oracle independent of the module."""
    if moment.minute not in minutes or moment.hour not in hours or moment.month not in months:
        return False
    weekday = (moment.weekday() + 1) % 7
    if days is None and weekdays is None:
        return True
    if days is None:
        return weekday in weekdays
    if weekdays is None:
        return moment.day in days
    return moment.day in days or weekday in weekdays


ORACLE_CASES = [
    ("*/7 1-3 * * *", set(range(0, 60, 7)), {1, 2, 3}, None, set(range(1, 13)), None),
    ("0,30 */6 1,15,31 * *", {0, 30}, {0, 6, 12, 18}, {1, 15, 31}, set(range(1, 13)), None),
    ("5 4 * 2,3 MON,THU", {5}, {4}, None, {2, 3}, {1, 4}),
    ("45 23 28-31 * 0", {45}, {23}, {28, 29, 30, 31}, set(range(1, 13)), {0}),
]


@pytest.mark.parametrize("text, minutes, hours, days, months, weekdays", ORACLE_CASES)
def test_next_fires_match_minute_scan(text, minutes, hours, days, months, weekdays) -> None:
    start = utc(2024, 2, 26)
    end = start + timedelta(days=40)
    expected = []
    moment = start + timedelta(minutes=1)
    while moment < end:
        if naive_cron_match(minutes, hours, days, months, weekdays, moment):
            expected.append(moment)
        moment += timedelta(minutes=1)

    fires = cron(text).next_fires(start, len(expected) + 1)
    assert fires[:-1] == expected
    assert fires[-1] >= end


def test_fires_at() -> None:
    schedule = cron("0 0 L * *")
    assert schedule.fires_at(utc(2024, 2, 29))
    assert not schedule.fires_at(utc(2024, 2, 28))
    assert not schedule.fires_at(utc(2024, 2, 29, 0, 0, 30))


def test_to_cron_round_trip() -> None:
    for text in ("*/15 * * * *", "0 12 * * 1-5", "0 0 L * *", "30 8 * * 1#2", "0 0 15W 1,7 *", "0 9 1,15 * 1"):
        schedule = cron(text)
        assert cron(schedule.to_cron()) == schedule


def test_to_cron_chosen_minute_is_none() -> None:
    assert job("daily", {"hourUTC": 4}).to_cron() is None
