"""Property tests for crongate.schedule: renderings, comparisons, descriptions and fire times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crongate.schedule import (
    InvalidSchedule,
    Schedule,
    check_registration,
    schedule_from_job,
    schedule_from_registry,
)

MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
WEEKDAY_WORDS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

PROPERTY_SETTINGS = settings(
    derandomize=True,
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# Random JSON is slow to generate, so the fuzz tests draw fewer examples.
FUZZ_SETTINGS = settings(PROPERTY_SETTINGS, max_examples=60)


@dataclass(frozen=True)
class Plain:
    """A numeric cron schedule; None for a day field means ``*``."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None
    months: frozenset[int] | None
    weekdays: frozenset[int] | None

    def matches(self, moment: datetime) -> bool:
        """Match by cron's textbook rule, written apart from the module as an oracle."""
        months = self.months or frozenset(range(1, 13))
        if moment.minute not in self.minutes or moment.hour not in self.hours or moment.month not in months:
            return False
        weekday = (moment.weekday() + 1) % 7
        if self.days is None and self.weekdays is None:
            return True
        if self.days is None:
            return weekday in self.weekdays
        if self.weekdays is None:
            return moment.day in self.days
        return moment.day in self.days or weekday in self.weekdays


def subsets(low: int, high: int, max_size: int = 6) -> st.SearchStrategy[frozenset[int]]:
    return st.frozensets(st.integers(low, high), min_size=1, max_size=max_size)


@st.composite
def plains(draw: st.DrawFn) -> Plain:
    # Days of month stop at 28 so that every schedule fires in every selected month.
    return Plain(
        minutes=draw(subsets(0, 59)),
        hours=draw(subsets(0, 23)),
        days=draw(st.none() | subsets(1, 28)),
        months=draw(st.none() | subsets(1, 12)),
        weekdays=draw(st.none() | subsets(0, 6, 3)),
    )


def runs(values: frozenset[int]) -> list[tuple[int, int]]:
    ordered = sorted(values)
    result: list[tuple[int, int]] = []
    for value in ordered:
        if result and result[-1][1] == value - 1:
            result[-1] = (result[-1][0], value)
        else:
            result.append((value, value))
    return result


@st.composite
def render_field(draw: st.DrawFn, values: frozenset[int] | None, names: list[str] | None = None, base: int = 0) -> str:
    """Render one field in a randomly chosen but equivalent way."""
    if values is None:
        return "*"

    def word(value: int) -> str:
        if names and draw(st.booleans()):
            name = names[value - base]
            return draw(st.sampled_from([name, name.lower(), name.capitalize()]))
        return str(value)

    style = draw(st.sampled_from(["list", "runs", "shuffled", "steps"]))
    if style == "list":
        return ",".join(word(value) for value in sorted(values))
    if style == "runs":
        return ",".join(word(a) if a == b else f"{word(a)}-{word(b)}" for a, b in runs(values))
    if style == "shuffled":
        items = sorted(values) + draw(st.lists(st.sampled_from(sorted(values)), max_size=2))
        return ",".join(word(value) for value in draw(st.permutations(items)))
    # Single values as a-a or a-a/n, which saffron normalises to the value itself.
    parts = []
    for value in sorted(values):
        parts.append(draw(st.sampled_from([str(value), f"{value}-{value}", f"{value}-{value}/2"])))
    return ",".join(parts)


@st.composite
def renderings(draw: st.DrawFn, plain: Plain) -> str:
    return " ".join([
        draw(render_field(plain.minutes)),
        draw(render_field(plain.hours)),
        draw(render_field(plain.days)),
        draw(render_field(plain.months, MONTH_NAMES, 1)),
        draw(render_field(plain.weekdays, DAY_NAMES)),
    ])


def canonical(plain: Plain) -> str:
    def field(values: frozenset[int] | None) -> str:
        return "*" if values is None else ",".join(str(value) for value in sorted(values))

    return " ".join(field(values) for values in (plain.minutes, plain.hours, plain.days, plain.months, plain.weekdays))


moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2200, 12, 31), timezones=st.just(timezone.utc)
)


# ---------------------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(st.data(), plains())
def test_renderings_compare_equal(data: st.DataObject, plain: Plain) -> None:
    base = schedule_from_job("cron", canonical(plain))
    text = data.draw(renderings(plain))
    other = schedule_from_job("cron", text)
    assert other == base
    assert other.same_times(base)


@PROPERTY_SETTINGS
@given(st.integers(0, 59), st.integers(0, 23), st.integers(0, 6), st.integers(1, 31))
def test_methods_equal_cron(minute: int, hour: int, weekday: int, day: int) -> None:
    daily = schedule_from_job("daily", {"hourUTC": hour, "minuteUTC": minute})
    weekly = schedule_from_job("weekly", {"dayOfWeek": WEEKDAY_WORDS[weekday], "hourUTC": hour, "minuteUTC": minute})
    monthly = schedule_from_job("monthly", {"day": day, "hourUTC": hour, "minuteUTC": minute})
    assert daily == schedule_from_job("cron", f"{minute} {hour} * * *")
    assert weekly == schedule_from_job("cron", f"{minute} {hour} * * {DAY_NAMES[weekday]}")
    assert monthly == schedule_from_job("cron", f"{minute} {hour} {day} * *")
    assert weekly == schedule_from_registry({"type": "weekly", "dayOfWeek": weekday, "hourUTC": hour, "minuteUTC": minute})


@PROPERTY_SETTINGS
@given(st.sampled_from(["seconds", "minutes", "hours"]), st.integers(1, 10_000))
def test_intervals_equal_registry(unit: str, count: int) -> None:
    declared = schedule_from_job("interval", {unit: count})
    stored = schedule_from_registry({"type": unit, "value": str(count)})
    backend = schedule_from_registry({"type": "interval", "seconds": declared.interval_seconds})
    assert declared == stored
    assert declared.same_times(backend)


@st.composite
def changed(draw: st.DrawFn, plain: Plain) -> Plain:
    """Change one field so that the fire times surely differ."""
    options = ["minutes", "hours"]
    if plain.weekdays is not None and plain.days is None:
        options.append("weekdays")
    if plain.days is not None and plain.weekdays is None:
        options.append("days")
    choice = draw(st.sampled_from(options))
    low, high = {"minutes": (0, 59), "hours": (0, 23), "weekdays": (0, 6), "days": (1, 28)}[choice]
    values: frozenset[int] = getattr(plain, choice)
    value = draw(st.integers(low, high))
    flipped = values ^ {value}
    if not flipped:
        flipped = frozenset({low if value != low else high})
    if choice == "weekdays" and len(flipped) == 7:
        # Every weekday is the same as *, which a weekday set short of 7 never equals.
        flipped = flipped - {value if value in flipped else low}
    return Plain(**{**plain.__dict__, choice: frozenset(flipped)})


@PROPERTY_SETTINGS
@given(st.data(), plains())
def test_changed_schedules_differ(data: st.DataObject, plain: Plain) -> None:
    other = data.draw(changed(plain))
    left = schedule_from_job("cron", canonical(plain))
    right = schedule_from_job("cron", canonical(other))
    assert not left.same_times(right)
    assert left != right


@PROPERTY_SETTINGS
@given(plains(), moments, st.integers(1, 12))
def test_next_fires_increase_and_match(plain: Plain, after: datetime, count: int) -> None:
    schedule = schedule_from_job("cron", canonical(plain))
    fires = schedule.next_fires(after, count)
    assert len(fires) == count
    assert fires[0] > after
    assert all(earlier < later for earlier, later in zip(fires, fires[1:]))
    assert all(plain.matches(fire) for fire in fires)


@PROPERTY_SETTINGS
@given(plains(), moments)
def test_previous_fire_undoes_next(plain: Plain, after: datetime) -> None:
    # No fire lies between two consecutive results, so walking back lands on the one before.
    schedule = schedule_from_job("cron", canonical(plain))
    fires = schedule.next_fires(after, 3)
    assert schedule.previous_fire(fires[1]) == fires[0]
    assert schedule.previous_fire(fires[2]) == fires[1]
    assert schedule.previous_fire(fires[0]) <= after


@PROPERTY_SETTINGS
@given(plains(), moments)
def test_first_fire_after_gap_is_bounded(plain: Plain, after: datetime) -> None:
    schedule = schedule_from_job("cron", canonical(plain))
    gap = timedelta(seconds=schedule.max_gap_seconds())
    # Fires fall on whole minutes, so this moment is never one and both neighbours count.
    moment = after + timedelta(seconds=30)
    previous = schedule.previous_fire(moment)
    following = schedule.next_fires(moment, 1)[0]
    assert following - previous <= gap


# -- describe() and the validators never raise on odd input -----------------------------------

cron_fields = st.sampled_from([
    "*", "*/5", "0", "59", "1-5", "5-1", "1,2,3", "L", "LW", "L-3", "L-3W", "15W", "5L", "MON#2",
    "MON-FRI", "JAN", "jan-mar", "*/0", "7", "?", "", "1/0", "#", "W", "L-", "2-", "-", ",", "60",
    "SUN,SAT", "*/30,1", "3#5", "1-31", "0-6", "1-12",
])


@PROPERTY_SETTINGS
@given(st.lists(cron_fields, min_size=4, max_size=6), st.sampled_from([" ", "  ", "\t"]))
def test_cron_checks_never_raise(fields: list[str], separator: str) -> None:
    text = separator.join(fields)
    problems = check_registration("cron", text)
    assert isinstance(problems, list)
    if any(problem.rule == "invalid-schedule" for problem in problems):
        return
    schedule = schedule_from_job("cron", text)
    assert isinstance(schedule.describe(), str)
    assert len(schedule.next_fires(datetime(2024, 1, 1), 2)) == 2


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-100, 100) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=4,
)
schedule_keys = st.sampled_from([
    "type", "value", "seconds", "minutes", "hours", "minuteUTC", "hourUTC", "day", "dayOfWeek", "cron", "cronExpr",
])
schedule_values = st.one_of(
    json_values,
    st.integers(-2, 62),
    st.sampled_from(["seconds", "minutes", "hours", "days", "weeks", "interval", "cron", "hourly", "daily",
                     "weekly", "monthly", "monday", "Friday", "0 0 * * *", "*/5 * * * *", "5", "2.5"]),
)
schedule_objects = st.dictionaries(schedule_keys, schedule_values, max_size=4)


@FUZZ_SETTINGS
@given(st.sampled_from(["interval", "cron", "hourly", "daily", "weekly", "monthly"]), schedule_objects | json_values)
def test_job_checks_never_raise(kind: str, value: object) -> None:
    problems = check_registration(kind, value)
    assert isinstance(problems, list)
    try:
        schedule = schedule_from_job(kind, value)
    except InvalidSchedule as error:
        assert error.hint
        return
    assert not [problem for problem in problems if problem.rule == "invalid-schedule"]
    assert isinstance(schedule.describe(), str)


@FUZZ_SETTINGS
@given(schedule_objects | json_values)
def test_registry_never_raises_else(value: object) -> None:
    try:
        schedule = schedule_from_registry(value)
    except InvalidSchedule as error:
        assert error.hint
        return
    assert isinstance(schedule, Schedule)
    assert isinstance(schedule.describe(), str)
