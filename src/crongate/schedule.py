"""One schedule model for both sides: the cron jobs in ``crons.ts`` and the registry rows.

A schedule from either side becomes a ``Schedule``: an interval in seconds, or a calendar
schedule in one canonical cron-like form (sets of minutes, hours and months, plus a rule for
which days fire). ``daily {hourUTC: 6, minuteUTC: 0}`` and ``cron "0 6 * * *"`` therefore
compare equal, and ``Schedule.same_times`` decides whether two schedules fire at the same times.

The validation follows Convex as of the ``convex`` npm package 1.45.0 (``src/server/cron.ts``)
for the five object methods, and the backend's cron parser for ``crons.cron`` strings, which
``crongate.cron_expression`` reproduces. All times are UTC, as in Convex.
"""

from __future__ import annotations

import bisect
import calendar
import difflib
import functools
import logging
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from crongate.cron_expression import (
    ALL_DAYS_OF_WEEK,
    ALL_HOURS,
    ALL_MINUTES,
    ALL_MONTHS,
    DAY_NAMES,
    MONTH_NAMES,
    CronSpec,
    CronSyntaxError,
    DayRule,
    fire_day_stats,
    fire_days,
    month_shape,
    parse_cron_expression,
)

logger = logging.getLogger(__name__)

__all__ = [
    "CronSpec",
    "DayRule",
    "InvalidSchedule",
    "Schedule",
    "ScheduleProblem",
    "check_registration",
    "parse_cron",
    "schedule_from_job",
    "schedule_from_registry",
]

INVALID_SCHEDULE = "invalid-schedule"
SKIPS_MONTHS = "schedule-skips-months"

KINDS = ("interval", "cron", "hourly", "daily", "weekly", "monthly")

# The order of Convex's DAYS_OF_WEEK, so that the index is the cron day-of-week number.
DAYS_OF_WEEK = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}

_SECONDS_PER_UNIT = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 604800,
}

# The Gregorian calendar repeats every 400 years, and 146097 days is a whole number of weeks,
# so the fire times of any calendar schedule repeat with this cycle.
_CYCLE_YEARS = 400
_CYCLE_DAYS = 146097

# The keys each crons method reads from its schedule object (convex 1.45.0, src/server/cron.ts).
_KNOWN_KEYS = {
    "interval": ("seconds", "minutes", "hours"),
    "hourly": ("minuteUTC",),
    "daily": ("hourUTC", "minuteUTC"),
    "weekly": ("dayOfWeek", "hourUTC", "minuteUTC"),
    "monthly": ("day", "hourUTC", "minuteUTC"),
}

# Convex's own messages, quoted so a user can search for them.
_MSG_INTERVAL_UNITS = "Must specify one of seconds, minutes, or hours"
_MSG_INTERVAL_VALUE = "Interval must be an integer greater than 0"
_MSG_MINUTE = "Minute of hour must be an integer from 0 to 59"
_MSG_HOUR = "Hour of day must be an integer from 0 to 23"
_MSG_DAY = "Day of month must be an integer from 1 to 31"
_MSG_DAY_OF_WEEK = 'Day of week must be a string like "monday".'
_MSG_CRON_PARSE = "Failed to parse cron expression"


# ---------------------------------------------------------------------------------------------
# Results and errors
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleProblem:
    """One reason Convex would reject a schedule, or a warning about how it runs."""

    rule: str  # "invalid-schedule" or "schedule-skips-months"
    message: str  # Convex's message where it has one, with the offending value
    hint: str  # what to write instead


class InvalidSchedule(ValueError):
    """A schedule that Convex would reject, or a registry value of no known shape."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}"


def parse_cron(text: str) -> CronSpec:
    """Parse a 5-field cron string with saffron's grammar.

    Raises InvalidSchedule, quoting Convex's "Failed to parse cron expression" and naming the
    field and value, for a string the backend would reject at push. A string that parses but
    never fires is not rejected here; see ``CronSpec.never_matches``.
    """
    try:
        return parse_cron_expression(text)
    except CronSyntaxError as error:
        raise InvalidSchedule(f'{_MSG_CRON_PARSE} "{text}": {error.reason}', error.hint) from None



# ---------------------------------------------------------------------------------------------
# The schedule model
# ---------------------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    """Return ``moment`` as an aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _months_from(year: int, month: int, step: int) -> Iterator[tuple[int, int]]:
    while True:
        yield year, month
        month += step
        if month > 12:
            year, month = year + 1, 1
        elif month < 1:
            year, month = year - 1, 12


@dataclass(frozen=True)
class Schedule:
    """A normalised schedule from ``crons.ts`` or from a registry row.

    Exactly one form is set: ``interval_seconds`` for an interval, or the calendar fields
    (``minutes``, ``hours``, ``months``, ``days``) for hourly, daily, weekly, monthly and cron
    schedules. ``minute_chosen_by_convex`` marks a calendar schedule written without
    ``minuteUTC``: Convex then picks a stable minute of the hour itself (convex >= 1.43), and
    ``minutes`` contains ``{0}``, the start of the hour in which it runs.

    ``==`` and ``hash`` compare the canonical form only, so ``daily {hourUTC: 6, minuteUTC: 0}``
    equals ``cron "0 6 * * *"``. ``same_times`` also relates forms that ``==`` keeps apart:
    a chosen minute and a pinned one, a day rule written two ways, and an interval and a
    calendar schedule with the same regular period.
    """

    interval_seconds: int | None = None
    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    days: DayRule | None = None
    minute_chosen_by_convex: bool = False
    kind: str = field(default="cron", compare=False)  # the crons method, or "cron" for a cron string
    cron_text: str | None = field(default=None, compare=False)  # the cron string as written

    # -- shape ----------------------------------------------------------------------------------

    @property
    def is_interval(self) -> bool:
        return self.interval_seconds is not None

    @functools.cached_property
    def _times_of_day(self) -> tuple[tuple[int, int], ...]:
        return tuple((hour, minute) for hour in sorted(self.hours) for minute in sorted(self.minutes))

    @functools.cached_property
    def _minutes_of_day(self) -> tuple[int, ...]:
        return tuple(hour * 60 + minute for hour, minute in self._times_of_day)

    @functools.cached_property
    def _week_gaps(self) -> frozenset[int] | None:
        """The gaps in minutes between consecutive fires, for a schedule that repeats weekly.

        A calendar schedule repeats weekly when every month fires and its days are every day
        or a set of weekdays; None otherwise.
        """
        days = self.days
        if days is None or self.months != ALL_MONTHS:
            return None
        if days.every_day:
            weekdays = ALL_DAYS_OF_WEEK
        elif days.days_of_week and not days.days_of_month and not days.specials:
            weekdays = days.days_of_week
        else:
            return None

        week = 7 * 1440
        fires = sorted(day * 1440 + minute for day in weekdays for minute in self._minutes_of_day)
        gaps = {later - earlier for earlier, later in zip(fires, fires[1:])}
        gaps.add(fires[0] + week - fires[-1])
        return frozenset(gaps)

    @functools.cached_property
    def period_seconds(self) -> int | None:
        """The regular period, when every two consecutive fires are the same time apart.

        Intervals have one. A calendar schedule has one when it repeats weekly (see
        ``_week_gaps``) and its fires are evenly spaced, like hourly, daily, weekly and
        ``*/15 * * * *``. Monthly schedules have none.
        """
        if self.interval_seconds is not None:
            return self.interval_seconds
        gaps = self._week_gaps
        if gaps is None or len(gaps) != 1:
            return None
        return min(gaps) * 60

    # -- fire times -----------------------------------------------------------------------------

    def fires_at(self, moment: datetime) -> bool:
        """Return True when a calendar schedule fires at ``moment`` (whole minutes, UTC).

        Always False for an interval, whose fire times depend on when it was deployed.
        """
        if self.days is None:
            return False
        moment = _utc(moment)
        if moment.second or moment.microsecond:
            return False
        if moment.month not in self.months or (moment.hour, moment.minute) not in set(self._times_of_day):
            return False
        return moment.day in self.days.days_in(moment.year, moment.month)

    def next_fires(self, after: datetime, count: int) -> list[datetime]:
        """Return the next ``count`` fire times strictly after ``after``, in UTC.

        Intervals return an empty list, because Convex anchors them at the first deploy.
        The search walks months, then the firing days from the day rule, then the times of
        day, so a sparse schedule costs as little as a dense one.
        """
        if self.days is None or count <= 0:
            return []
        return list(self._iter_fires(_utc(after), count))

    def _iter_fires(self, after: datetime, count: int) -> Iterator[datetime]:
        times = self._times_of_day
        minutes_of_day = self._minutes_of_day
        after_date = after.date()
        # Fires fall on whole minutes, so one in the minute of ``after`` is never later than it.
        after_minute = after.hour * 60 + after.minute
        produced = 0
        months = _months_from(after.year, after.month, 1)
        for _ in range(_CYCLE_YEARS * 12 + 1):
            year, month = next(months)
            if month not in self.months:
                continue
            for day in self.days.days_in(year, month):
                current = date(year, month, day)
                if current < after_date:
                    continue
                first = 0
                if current == after_date:
                    first = bisect.bisect_right(minutes_of_day, after_minute)
                for hour, minute in times[first:]:
                    yield datetime(year, month, day, hour, minute, tzinfo=timezone.utc)
                    produced += 1
                    if produced >= count:
                        return

    def previous_fire(self, before: datetime) -> datetime | None:
        """Return the latest fire time strictly before ``before``, in UTC.

        Intervals return None, because Convex anchors them at the first deploy. For a minute
        chosen by Convex this is the start of the hour in which the job runs.
        """
        if self.days is None:
            return None
        before = _utc(before)
        before_date = before.date()
        before_minute = before.hour * 60 + before.minute
        # A time in the minute of ``before`` is earlier only when ``before`` is past :00.
        inside_minute = bool(before.second or before.microsecond)
        months = _months_from(before.year, before.month, -1)
        for _ in range(_CYCLE_YEARS * 12 + 1):
            year, month = next(months)
            if month not in self.months:
                continue
            for day in reversed(self.days.days_in(year, month)):
                current = date(year, month, day)
                if current > before_date:
                    continue
                limit = len(self._minutes_of_day)
                if current == before_date:
                    search = bisect.bisect_right if inside_minute else bisect.bisect_left
                    limit = search(self._minutes_of_day, before_minute)
                if limit > 0:
                    hour, minute = self._times_of_day[limit - 1]
                    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)
        return None

    def max_gap_seconds(self) -> int:
        """Return the longest time between two consecutive fires, in seconds.

        An interval returns its length, and a schedule that repeats weekly is measured over one
        week. Any other calendar schedule is measured over the full 400-year Gregorian cycle,
        so ``0 0 29 2 *`` returns eight years (2096 to 2104, because 2100 is not a leap year).
        """
        if self.interval_seconds is not None:
            return self.interval_seconds
        if self._week_gaps is not None:
            return max(self._week_gaps) * 60
        return self._cycle_max_gap

    @functools.cached_property
    def _cycle_max_gap(self) -> int:
        assert self.days is not None
        minutes_of_day = self._minutes_of_day
        longest = max(
            (later - earlier for earlier, later in zip(minutes_of_day, minutes_of_day[1:])),
            default=0,
        )

        # Walk the months of one full cycle (2001-2400; which 400 years does not matter) and
        # keep, per month, only its first and last fire day and its longest inner gap.
        first_ordinal: int | None = None
        previous_ordinal: int | None = None
        longest_days = 0
        for year in range(2001, 2001 + _CYCLE_YEARS):
            for month in sorted(self.months):
                first_weekday, length = month_shape(year, month)
                stats = fire_day_stats(self.days, length, first_weekday)
                if stats is None:
                    continue
                first_day, last_day, inner_gap = stats
                base = date(year, month, 1).toordinal() - 1
                if previous_ordinal is None:
                    first_ordinal = base + first_day
                else:
                    longest_days = max(longest_days, base + first_day - previous_ordinal)
                longest_days = max(longest_days, inner_gap)
                previous_ordinal = base + last_day
        if first_ordinal is None or previous_ordinal is None:
            return 0
        longest_days = max(longest_days, first_ordinal + _CYCLE_DAYS - previous_ordinal)

        # Between fire days the gap runs from the last time of one to the first of the next.
        across_days = longest_days * 1440 - (minutes_of_day[-1] - minutes_of_day[0])
        return max(longest, across_days) * 60

    # -- comparison -----------------------------------------------------------------------------

    def same_times(self, other: Schedule) -> bool:
        """Return True when both schedules fire at the same times.

        Two calendar schedules match when their times of day match and they fire on the same
        days in every month shape. A shape is the month, the weekday of its 1st, and for
        February whether it is a leap year. Every shape occurs in any 28-year span, so this
        comparison is exact. A minute chosen by Convex matches any single pinned minute. An interval and a
        calendar schedule match when the calendar schedule has a regular period equal to the
        interval, since an interval's phase is set at deploy time and cannot be compared:
        ``{type: "hours", value: 24}`` matches ``daily {hourUTC: 6}`` but not a monthly job.
        """
        if self.is_interval or other.is_interval:
            return self.period_seconds is not None and self.period_seconds == other.period_seconds

        if self.minute_chosen_by_convex or other.minute_chosen_by_convex:
            if len(self.minutes) != 1 or len(other.minutes) != 1:
                return False
        elif self.minutes != other.minutes:
            return False
        if self.hours != other.hours:
            return False
        return self._month_days() == other._month_days()

    def _month_days(self) -> tuple[tuple[int, ...], ...]:
        """Return the firing days for each month shape, empty for months that do not fire."""
        assert self.days is not None
        shapes = []
        for month in range(1, 13):
            lengths = (28, 29) if month == 2 else (calendar.monthrange(2001, month)[1],)
            for length in lengths:
                for first_weekday in range(7):
                    if month in self.months:
                        shapes.append(fire_days(self.days, length, first_weekday))
                    else:
                        shapes.append(())
        return tuple(shapes)

    def _never_fires(self) -> bool:
        return self.days is not None and not any(self._month_days())

    # -- text -----------------------------------------------------------------------------------

    def to_cron(self) -> str | None:
        """Render a calendar schedule as a canonical cron string.

        Returns None for an interval and for a minute chosen by Convex, which no cron string
        can express.
        """
        if self.days is None or self.minute_chosen_by_convex:
            return None
        day_of_month, day_of_week = _render_days(self.days)
        return " ".join((
            _render_set(self.minutes, ALL_MINUTES),
            _render_set(self.hours, ALL_HOURS),
            day_of_month,
            _render_set(self.months, ALL_MONTHS),
            day_of_week,
        ))

    def describe(self) -> str:
        """Describe the schedule in English, for example "daily at 06:00 UTC".

        Never raises; tests/unit/test_schedule_properties.py checks this on random schedules.
        """
        try:
            return _describe(self)
        except Exception:  # noqa: BLE001 - a description must never break a report
            # NOTE: this catch is deliberately broad because reports call describe() on every
            # schedule; the log line keeps the failure visible.
            logger.warning("describing schedule %r failed", self, exc_info=True)
            return self.cron_text or repr(self)

    def __str__(self) -> str:
        return self.describe()


# ---------------------------------------------------------------------------------------------
# Descriptions
# ---------------------------------------------------------------------------------------------


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def _describe_interval(seconds: int) -> str:
    for unit in ("week", "day", "hour", "minute"):
        size = _SECONDS_PER_UNIT[unit]
        if seconds % size == 0:
            count = seconds // size
            return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    return "every second" if seconds == 1 else f"every {seconds} seconds"


def _clock(hour: int, minute: int | None) -> str:
    return f"{hour:02d}:xx" if minute is None else f"{hour:02d}:{minute:02d}"


def _even_step(values: frozenset[int], size: int) -> int | None:
    """Return n when ``values`` is exactly {0, n, 2n, ...} and n divides ``size``."""
    ordered = sorted(values)
    if len(ordered) < 2 or ordered[0] != 0:
        return None
    step = ordered[1]
    if size % step or ordered != list(range(0, size, step)):
        return None
    return step


def _compress(values: frozenset[int], render: Any = str) -> list[str]:
    """Return runs of consecutive values as "a-b" (three or more) or single items."""
    ordered = sorted(values)
    runs: list[str] = []
    index = 0
    while index < len(ordered):
        end = index
        while end + 1 < len(ordered) and ordered[end + 1] == ordered[end] + 1:
            end += 1
        if end - index >= 2:
            runs.append(f"{render(ordered[index])}-{render(ordered[end])}")
        else:
            runs.extend(render(value) for value in ordered[index:end + 1])
        index = end + 1
    return runs


def _render_set(values: frozenset[int], everything: frozenset[int]) -> str:
    if values == everything:
        return "*"
    size = max(everything) + 1
    step = _even_step(values, size) if min(everything) == 0 else None
    if step:
        return f"*/{step}"
    return ",".join(_compress(values))


def _render_days(days: DayRule) -> tuple[str, str]:
    if days.every_day:
        return "*", "*"
    day_of_month = ",".join(_compress(days.days_of_month)) if days.days_of_month else "*"
    day_of_week = ",".join(_compress(days.days_of_week)) if days.days_of_week else "*"
    for special in days.specials:
        kind = special[0]
        if kind == "L":
            day_of_month = "L" if special[1] == 0 else f"L-{special[1]}"
        elif kind == "LW":
            day_of_month = "LW" if special[1] == 0 else f"L-{special[1]}W"
        elif kind == "W":
            day_of_month = f"{special[1]}W"
        elif kind == "last":
            day_of_week = f"{special[1]}L"
        elif kind == "nth":
            day_of_week = f"{special[1]}#{special[2]}"
    return day_of_month, day_of_week


def _join_words(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _name_list(values: frozenset[int], names: tuple[str, ...], offset: int) -> str:
    runs = _compress(values, lambda value: names[value - offset])
    return _join_words([run.replace("-", " to ") for run in runs])


def _time_phrase(schedule: Schedule) -> str:
    minutes, hours = schedule.minutes, schedule.hours
    chosen = schedule.minute_chosen_by_convex
    if chosen:
        if hours == ALL_HOURS:
            return "every hour (minute chosen by Convex)"
        if len(hours) == 1:
            return f"at {_clock(min(hours), None)} UTC (minute chosen by Convex)"
        return f"at a minute chosen by Convex past hours {','.join(_compress(hours))} UTC"

    if hours == ALL_HOURS:
        if minutes == ALL_MINUTES:
            return "every minute"
        step = _even_step(minutes, 60)
        if step:
            return f"every {step} minutes"
        if len(minutes) == 1:
            return f"hourly at minute {min(minutes)}"
        return f"at minutes {','.join(_compress(minutes))} of every hour"

    if len(minutes) == 1:
        minute = min(minutes)
        if len(hours) == 1:
            return f"at {_clock(min(hours), minute)} UTC"
        step = _even_step(hours, 24)
        if step:
            return f"every {step} hours at minute {minute}"
        return f"at minute {minute} past hours {','.join(_compress(hours))} UTC"

    if minutes == ALL_MINUTES:
        return f"every minute of hours {','.join(_compress(hours))} UTC"
    return f"at minutes {','.join(_compress(minutes))} past hours {','.join(_compress(hours))} UTC"


def _special_phrase(special: tuple[Any, ...]) -> str:
    kind = special[0]
    if kind == "L":
        if special[1] == 0:
            return "the last day of the month"
        return f"{_plural(special[1], 'day')} before the last day of the month"
    if kind == "LW":
        if special[1] == 0:
            return "the last weekday of the month"
        return f"the weekday nearest {_plural(special[1], 'day')} before the last day of the month"
    if kind == "W":
        return f"the weekday nearest day {special[1]}"
    if kind == "last":
        return f"the last {DAY_NAMES[special[1]]} of the month"
    return f"the {_ORDINALS[special[2]]} {DAY_NAMES[special[1]]} of the month"


def _day_phrase(days: DayRule) -> str | None:
    if days.every_day:
        return None
    parts = []
    if days.days_of_month:
        label = "day" if len(days.days_of_month) == 1 else "days"
        parts.append(f"on {label} {_join_words(_compress(days.days_of_month))}")
    if days.days_of_week:
        parts.append(_name_list(days.days_of_week, DAY_NAMES, 0))
    for special in sorted(days.specials):
        parts.append(f"on {_special_phrase(special)}")
    return " or ".join(parts)


def _describe(schedule: Schedule) -> str:
    if schedule.interval_seconds is not None:
        return _describe_interval(schedule.interval_seconds)
    assert schedule.days is not None

    days = schedule.days
    chosen = schedule.minute_chosen_by_convex
    single_time = len(schedule.hours) == 1 and len(schedule.minutes) == 1
    minute = None if chosen else min(schedule.minutes)
    chosen_note = " (minute chosen by Convex)" if chosen else ""
    every_month = schedule.months == ALL_MONTHS

    if every_month and days.every_day:
        if schedule.hours == ALL_HOURS and chosen:
            return "hourly (minute chosen by Convex)"
        if schedule.hours == ALL_HOURS and len(schedule.minutes) == 1:
            return f"hourly at minute {minute}"
        if single_time:
            return f"daily at {_clock(min(schedule.hours), minute)} UTC{chosen_note}"
        if schedule.kind == "cron" or chosen:
            return _time_phrase(schedule)

    if every_month and single_time and not days.every_day and not days.specials:
        hour = min(schedule.hours)
        if len(days.days_of_week) == 1 and not days.days_of_month:
            day_name = DAY_NAMES[min(days.days_of_week)]
            return f"weekly on {day_name} at {_clock(hour, minute)} UTC{chosen_note}"
        if len(days.days_of_month) == 1 and not days.days_of_week:
            day = min(days.days_of_month)
            return f"monthly on day {day} at {_clock(hour, minute)} UTC{chosen_note}"

    parts = [_time_phrase(schedule)]
    day_phrase = _day_phrase(days)
    if day_phrase:
        parts.append(day_phrase)
    if not every_month:
        parts.append(f"in {_name_list(schedule.months, MONTH_NAMES, 1)}")
    phrase = ", ".join(parts)

    text = schedule.cron_text or schedule.to_cron()
    return f"cron {text} ({phrase})" if text else phrase


# ---------------------------------------------------------------------------------------------
# Validation of crons.ts registrations
# ---------------------------------------------------------------------------------------------


def _as_integer(value: Any) -> int | None:
    """Return ``value`` as an int when JavaScript's ``Number.isInteger`` would accept it."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _as_typescript(value: Any) -> str:
    """Show a schedule value the way it reads in TypeScript source."""
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def _problem(message: str, hint: str, rule: str = INVALID_SCHEDULE) -> ScheduleProblem:
    return ScheduleProblem(rule=rule, message=message, hint=hint)


def _check_range(
    schedule: Mapping[str, Any], key: str, low: int, high: int, convex_message: str, hint: str,
    *, optional: bool = False,
) -> list[ScheduleProblem]:
    value = schedule.get(key)
    if value is None and optional:
        return []
    number = _as_integer(value)
    if number is not None and low <= number <= high:
        return []
    return [_problem(f"{convex_message} ({key} is {_as_typescript(value)})", hint)]


def _check_unknown_keys(kind: str, schedule: Mapping[str, Any]) -> list[ScheduleProblem]:
    known = _KNOWN_KEYS[kind]
    problems = []
    for key in schedule:
        if key in known:
            continue
        guess = difflib.get_close_matches(str(key), known, n=1)
        suggestion = f'Did you mean "{guess[0]}"? ' if guess else ""
        problems.append(_problem(
            f'Unknown field "{key}" in the crons.{kind} schedule; it accepts {", ".join(known)}',
            f"{suggestion}TypeScript rejects unknown properties in an object literal, so the type "
            "check of `npx convex deploy` fails; remove the field or fix its name.",
        ))
    return problems


def _check_interval(schedule: Mapping[str, Any]) -> list[ScheduleProblem]:
    # The SDK counts a unit as given when its value is not undefined (None here).
    present_units = [unit for unit in ("seconds", "minutes", "hours") if schedule.get(unit) is not None]
    if len(present_units) != 1:
        written = ", ".join(f"{unit}: {_as_typescript(schedule[unit])}" for unit in present_units)
        return [_problem(
            f"{_MSG_INTERVAL_UNITS} (given: {written or 'none'})",
            "Give exactly one unit, for example { minutes: 5 }; to combine units, convert them, "
            "as in { seconds: 330 } for 5 minutes 30 seconds.",
        )]
    unit = present_units[0]
    value = schedule[unit]
    number = _as_integer(value)
    if number is None or number <= 0:
        hint = f"Use a whole number of {unit}, at least 1."
        if isinstance(value, float) and math.isfinite(value) and value > 0:
            seconds = value * _SECONDS_PER_UNIT[unit[:-1]]
            if seconds >= 1 and float(seconds).is_integer():
                hint = f"Use a whole number in a smaller unit: {{ seconds: {int(seconds)} }} is {value:g} {unit}."
        return [_problem(f"{_MSG_INTERVAL_VALUE} ({unit} is {_as_typescript(value)})", hint)]
    return []


def _check_calendar(kind: str, schedule: Mapping[str, Any]) -> list[ScheduleProblem]:
    problems = []
    if kind == "weekly":
        day = schedule.get("dayOfWeek")
        if not (isinstance(day, str) and day in DAYS_OF_WEEK):
            hint = 'Use a lowercase English day name, from "sunday" to "saturday".'
            if isinstance(day, str) and day.lower() in DAYS_OF_WEEK:
                hint = f'Write "{day.lower()}": Convex accepts lowercase day names only.'
            problems.append(_problem(f"{_MSG_DAY_OF_WEEK} (dayOfWeek is {_as_typescript(day)})", hint))
    if kind == "monthly":
        problems += _check_range(
            schedule, "day", 1, 31, _MSG_DAY, "Use a day of the month from 1 to 31.",
        )
    if kind in ("daily", "weekly", "monthly"):
        problems += _check_range(
            schedule, "hourUTC", 0, 23, _MSG_HOUR, "Use an hour from 0 to 23, in UTC.",
        )
    # Since convex 1.43 the minute may be left out, and Convex picks a stable one.
    problems += _check_range(
        schedule, "minuteUTC", 0, 59, _MSG_MINUTE,
        "Use a minute from 0 to 59, or leave minuteUTC out to let Convex pick one (convex >= 1.43).",
        optional=True,
    )

    if kind == "monthly" and not problems:
        day = _as_integer(schedule.get("day"))
        if day is not None and day > 28:
            # 2023 is not a leap year, so February has 28 days here.
            skipped = [name for month, name in enumerate(MONTH_NAMES, 1)
                       if day > calendar.monthrange(2023, month)[1]]
            skipped_text = _join_words(skipped) + (" outside leap years" if day == 29 else "")
            problems.append(_problem(
                f"Day {day} does not occur in every month, so this job does not run in {skipped_text}",
                'Use a day from 1 to 28 to run every month, or crons.cron with "L" in the '
                'day-of-month field (for example "0 0 L * *") to run on the last day of each month.',
                SKIPS_MONTHS,
            ))
    return problems


def _check_cron(schedule: Any) -> list[ScheduleProblem]:
    if not isinstance(schedule, str):
        return [_problem(
            f"crons.cron expects a cron string, got {_as_typescript(schedule)}",
            'Pass a string with five fields, for example "0 6 * * *".',
        )]
    try:
        spec = parse_cron(schedule)
    except InvalidSchedule as error:
        return [_problem(error.message, error.hint)]

    if spec.never_matches():
        return [_problem(
            f'The cron spec "{schedule}" will never match any time',
            "No selected month has the selected day; pick a day that exists in the month, "
            'or use "L" for the last day of the month.',
        )]
    if not any(_cron_schedule(spec, schedule)._month_days()):
        # NOTE: saffron's Cron::any accepts this spec, so the push succeeds, but no month
        # ever has the day it picks and the job never runs.
        return [_problem(
            f'The cron spec "{schedule}" never fires: Convex accepts it at push, but no selected '
            "month has the selected day",
            "Pick a day that exists in the selected months.",
        )]
    return []


def check_registration(kind: str, schedule: Any) -> list[ScheduleProblem]:
    """Check one ``crons.<kind>(name, schedule, ...)`` call the way Convex would at push.

    ``schedule`` is the argument as written: an object (dict), the cron string, or None when
    the call has no schedule argument. Returns every problem found (Convex stops at the
    first), each with Convex's message where it has one; an empty list means Convex accepts it.
    """
    if kind not in KINDS:
        return [_problem(
            f'Unknown crons method "{kind}"',
            f"Use one of crons.{', crons.'.join(KINDS)}.",
        )]
    if kind == "cron":
        return _check_cron(schedule)

    if schedule is None:
        if kind == "hourly":
            return []
        first_message = {
            "interval": _MSG_INTERVAL_UNITS,
            "daily": _MSG_HOUR,
            "weekly": _MSG_DAY_OF_WEEK,
            "monthly": _MSG_DAY,
        }[kind]
        return [_problem(
            f"{first_message} (crons.{kind} was called without a schedule object)",
            f"Pass a schedule object as the second argument, for example {_EXAMPLES[kind]}.",
        )]
    if not isinstance(schedule, Mapping):
        return [_problem(
            f"crons.{kind} expects a schedule object, got {_as_typescript(schedule)}",
            f"Pass an object such as {_EXAMPLES[kind]}.",
        )]

    problems = _check_unknown_keys(kind, schedule)
    if kind == "interval":
        problems += _check_interval(schedule)
    else:
        problems += _check_calendar(kind, schedule)
    return problems


_EXAMPLES = {
    "interval": "{ minutes: 5 }",
    "hourly": "{ minuteUTC: 15 }",
    "daily": "{ hourUTC: 6, minuteUTC: 0 }",
    "weekly": '{ dayOfWeek: "monday", hourUTC: 9, minuteUTC: 30 }',
    "monthly": "{ day: 1, hourUTC: 2, minuteUTC: 45 }",
}


# ---------------------------------------------------------------------------------------------
# Building schedules
# ---------------------------------------------------------------------------------------------


def _cron_schedule(spec: CronSpec, text: str | None) -> Schedule:
    return Schedule(
        minutes=spec.minutes,
        hours=spec.hours,
        months=spec.months,
        days=spec.days,
        kind="cron",
        cron_text=text,
    )


def _calendar(
    kind: str,
    minute: int | None,
    hour: int | None = None,
    day_of_week: int | None = None,
    day: int | None = None,
) -> Schedule:
    if day_of_week is not None:
        days = DayRule.of(days_of_week=frozenset({day_of_week}))
    elif day is not None:
        days = DayRule.of(days_of_month=frozenset({day}))
    else:
        days = DayRule(every_day=True)
    return Schedule(
        minutes=frozenset({0 if minute is None else minute}),
        hours=ALL_HOURS if hour is None else frozenset({hour}),
        months=ALL_MONTHS,
        days=days,
        minute_chosen_by_convex=minute is None,
        kind=kind,
    )


def schedule_from_job(kind: str, schedule: Any) -> Schedule:
    """Build the Schedule of a ``crons.ts`` registration.

    Raises InvalidSchedule with Convex's message and a hint when ``check_registration``
    finds an invalid-schedule problem; a schedule-skips-months warning does not raise.
    """
    errors = [problem for problem in check_registration(kind, schedule) if problem.rule == INVALID_SCHEDULE]
    if errors:
        raise InvalidSchedule(errors[0].message, errors[0].hint)

    if kind == "cron":
        return _cron_schedule(parse_cron(schedule), schedule)
    if kind == "interval":
        unit = next(unit for unit in ("seconds", "minutes", "hours") if schedule.get(unit) is not None)
        seconds = _as_integer(schedule[unit]) * _SECONDS_PER_UNIT[unit.rstrip("s")]
        return Schedule(interval_seconds=seconds, kind="interval")

    values = schedule or {}
    minute = _as_integer(values.get("minuteUTC"))
    hour = _as_integer(values.get("hourUTC"))
    if kind == "hourly":
        return _calendar(kind, minute)
    if kind == "daily":
        return _calendar(kind, minute, hour)
    if kind == "weekly":
        return _calendar(kind, minute, hour, day_of_week=DAYS_OF_WEEK.index(values["dayOfWeek"]))
    return _calendar(kind, minute, hour, day=_as_integer(values["day"]))


# -- the registry side --------------------------------------------------------------------------


def _registry_integer(value: Any, field_name: str, low: int, high: int | None, raw_value: Any) -> int:
    """Read an integer that clean JSON may send as an integral float or a decimal string."""
    number: int | None = None
    if isinstance(value, str):
        text = value.strip()
        try:
            number = int(text)
        except ValueError:
            try:
                number = _as_integer(float(text))
            except ValueError:
                number = None
    else:
        number = _as_integer(value)
    if number is None or number < low or (high is not None and number > high):
        limit = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise InvalidSchedule(
            f"Invalid registry schedule {raw_value!r}: {field_name} must be an integer {limit}, got {value!r}",
            f"Store {field_name} as a whole number {limit}.",
        )
    return number


def _registry_day_of_week(value: Any, raw_value: Any) -> int:
    if isinstance(value, str):
        name = value.strip().lower()
        if name in DAYS_OF_WEEK:
            return DAYS_OF_WEEK.index(name)
        abbreviations = [day[:3] for day in DAYS_OF_WEEK]
        if name in abbreviations:
            return abbreviations.index(name)
    # The backend stores dayOfWeek as an int64 from 0 (Sunday) to 6.
    return _registry_integer(value, "dayOfWeek", 0, 6, raw_value)


def _registry_cron(text: Any, raw_value: Any) -> Schedule:
    if not isinstance(text, str):
        raise InvalidSchedule(
            f"Invalid registry schedule {raw_value!r}: the cron string is {text!r}",
            'Store the cron string as text, for example "0 6 * * *".',
        )
    # Registry rows are data that apps write, so surrounding blanks are forgiven here.
    text = text.strip()
    spec = parse_cron(text)
    schedule = _cron_schedule(spec, text)
    if spec.never_matches() or schedule._never_fires():
        raise InvalidSchedule(
            f'Invalid registry schedule: the cron spec "{text}" never fires',
            "Store the schedule that crons.ts declares for this job.",
        )
    return schedule


def schedule_from_registry(value: Any) -> Schedule:
    """Build the Schedule of a registry row's schedule field.

    Accepted shapes: ``{type: "seconds"|"minutes"|"hours"|"days"|"weeks", value: n}`` (singular
    unit names too, ``n`` a positive integer, an integral float or a decimal string), the
    backend's ``{type: "interval", seconds: n}`` (or ``minutes``/``hours``), ``{type: "cron",
    value|cron|cronExpr: "..."}``, ``{type: "hourly"|"daily"|"weekly"|"monthly", ...}`` with
    Convex's fields (``dayOfWeek`` as a day name or 0-6), and a bare cron string.
    Raises InvalidSchedule for anything else.
    """
    if isinstance(value, str):
        return _registry_cron(value, value)
    if not isinstance(value, Mapping):
        raise InvalidSchedule(
            f"Invalid registry schedule {value!r}: expected an object with a type, or a cron string",
            'Store the schedule as {type: "minutes", value: 5}, {type: "cron", value: "0 6 * * *"} '
            "or a Convex schedule object such as {type: \"daily\", hourUTC: 6, minuteUTC: 0}.",
        )

    kind = value.get("type")
    kind_text = kind.strip().lower() if isinstance(kind, str) else None
    unit = kind_text[:-1] if kind_text and kind_text.endswith("s") else kind_text

    if unit in _SECONDS_PER_UNIT:
        count = _registry_integer(value.get("value"), "value", 1, None, value)
        return Schedule(interval_seconds=count * _SECONDS_PER_UNIT[unit], kind="interval")

    if kind_text == "interval":
        units = [name for name in ("seconds", "minutes", "hours") if value.get(name) is not None]
        if len(units) != 1:
            raise InvalidSchedule(
                f"Invalid registry schedule {value!r}: an interval needs exactly one of seconds, minutes, hours",
                'Store it as {type: "interval", seconds: 300} or {type: "minutes", value: 5}.',
            )
        count = _registry_integer(value[units[0]], units[0], 1, None, value)
        return Schedule(interval_seconds=count * _SECONDS_PER_UNIT[units[0][:-1]], kind="interval")

    if kind_text == "cron":
        for key in ("value", "cron", "cronExpr"):
            if key in value:
                return _registry_cron(value[key], value)
        raise InvalidSchedule(
            f"Invalid registry schedule {value!r}: a cron schedule needs value, cron or cronExpr",
            'Store it as {type: "cron", value: "0 6 * * *"}.',
        )

    if kind_text in ("hourly", "daily", "weekly", "monthly"):
        minute = None
        if value.get("minuteUTC") is not None:
            minute = _registry_integer(value["minuteUTC"], "minuteUTC", 0, 59, value)
        if kind_text == "hourly":
            return _calendar(kind_text, minute)
        hour = _registry_integer(value.get("hourUTC"), "hourUTC", 0, 23, value)
        if kind_text == "daily":
            return _calendar(kind_text, minute, hour)
        if kind_text == "weekly":
            day_of_week = _registry_day_of_week(value.get("dayOfWeek"), value)
            return _calendar(kind_text, minute, hour, day_of_week=day_of_week)
        day = _registry_integer(value.get("day"), "day", 1, 31, value)
        return _calendar(kind_text, minute, hour, day=day)

    raise InvalidSchedule(
        f"Invalid registry schedule {value!r}: unknown type {kind!r}",
        "Use a type of seconds, minutes, hours, days, weeks, interval, cron, hourly, daily, "
        "weekly or monthly.",
    )
