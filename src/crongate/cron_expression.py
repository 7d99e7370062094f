"""Cron expressions as Convex's backend reads them: saffron's grammar and its day rules.

Convex's backend parses ``crons.cron`` strings with the saffron fork ``get-convex/saffron``:
``saffron/src/parse.rs`` has the grammar and ``saffron/src/lib.rs`` the matching, the next-run
search and the "never matches" check. This module is written from those sources, not copied,
and reproduces their edge cases so that crongate predicts the fire times Convex uses. Each
edge case is noted where it is implemented.
"""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ALL_DAYS_OF_MONTH",
    "ALL_DAYS_OF_WEEK",
    "ALL_HOURS",
    "ALL_MINUTES",
    "ALL_MONTHS",
    "DAY_NAMES",
    "MONTH_NAMES",
    "STAR",
    "CronSpec",
    "CronSyntaxError",
    "DayRule",
    "fire_day_stats",
    "fire_days",
    "month_shape",
    "parse_cron_expression",
]

DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
MONTH_NAMES = tuple(calendar.month_name[1:])

ALL_MINUTES = frozenset(range(60))
ALL_HOURS = frozenset(range(24))
ALL_DAYS_OF_MONTH = frozenset(range(1, 32))
ALL_MONTHS = frozenset(range(1, 13))
ALL_DAYS_OF_WEEK = frozenset(range(7))

# What a field parser returns for a bare ``*``, which matters apart from a full set because
# only a bare ``*`` leaves the day-of-month or day-of-week field unrestricted.
STAR = "*"


class CronSyntaxError(ValueError):
    """A cron string that saffron cannot parse. ``reason`` names the field and the value."""

    def __init__(self, reason: str, hint: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


# ---------------------------------------------------------------------------------------------
# The canonical day rule
# ---------------------------------------------------------------------------------------------

# Special day forms, as tuples so that a DayRule stays hashable:
#   ("L", n)       dom "L" (n == 0) or "L-n": the last day of the month, less n days
#   ("LW", n)      dom "LW" (n == 0) or "L-nW": the weekday nearest to that day
#   ("W", d)       dom "dW": the weekday nearest to day d
#   ("last", w)    dow "wL": the last weekday w (0 = Sunday) of the month
#   ("nth", w, k)  dow "w#k": the k-th weekday w of the month


@dataclass(frozen=True)
class DayRule:
    """The days on which a calendar schedule fires, before the month filter.

    A day fires when ``every_day`` is set, or its day of month is in ``days_of_month``, or
    its weekday (0 = Sunday) is in ``days_of_week``, or one of ``specials`` picks it. This
    union is cron's rule for a day-of-month and a day-of-week field that are both restricted,
    and saffron follows it: ``Cron::contains`` and ``find_next_day`` in saffron/src/lib.rs
    match either field when neither is ``*``, and only the restricted one otherwise. A field
    counts as restricted when it is anything but a bare ``*``, so ``*/1`` in the day-of-month
    field with ``MON`` in the day-of-week field fires every day.
    """

    every_day: bool = False
    days_of_month: frozenset[int] = frozenset()
    days_of_week: frozenset[int] = frozenset()
    specials: frozenset[tuple[Any, ...]] = frozenset()

    @classmethod
    def of(
        cls,
        days_of_month: frozenset[int] = frozenset(),
        days_of_week: frozenset[int] = frozenset(),
        specials: frozenset[tuple[Any, ...]] = frozenset(),
        every_day: bool = False,
    ) -> DayRule:
        """Build the canonical rule: a full day-of-month or day-of-week set means every day."""
        if every_day or days_of_month >= ALL_DAYS_OF_MONTH or days_of_week >= ALL_DAYS_OF_WEEK:
            return cls(every_day=True)
        return cls(False, frozenset(days_of_month), frozenset(days_of_week), frozenset(specials))

    def days_in(self, year: int, month: int) -> tuple[int, ...]:
        """Return the days of ``month`` on which this rule fires, in order."""
        first_weekday, length = month_shape(year, month)
        return fire_days(self, length, first_weekday)


def month_shape(year: int, month: int) -> tuple[int, int]:
    """Return the weekday of the 1st (0 = Sunday) and the number of days of a month."""
    monday_based, length = calendar.monthrange(year, month)
    return (monday_based + 1) % 7, length


@functools.lru_cache(maxsize=8192)
def fire_days(rule: DayRule, length: int, first_weekday: int) -> tuple[int, ...]:
    """Return the firing days of a month with ``length`` days that starts on ``first_weekday``.

    Which days fire depends only on the month's length and the weekday of its 1st, so the
    result is cached per rule and month shape. There are only 4 * 7 shapes.
    """
    if rule.every_day:
        return tuple(range(1, length + 1))

    days = {day for day in rule.days_of_month if day <= length}
    for day in range(1, length + 1):
        if (first_weekday + day - 1) % 7 in rule.days_of_week:
            days.add(day)
    for special in rule.specials:
        day = _special_day(special, length, first_weekday)
        if day is not None:
            days.add(day)
    return tuple(sorted(days))


@functools.lru_cache(maxsize=8192)
def fire_day_stats(rule: DayRule, length: int, first_weekday: int) -> tuple[int, int, int] | None:
    """Return the first and last firing day of a month shape and the longest gap between them."""
    days = fire_days(rule, length, first_weekday)
    if not days:
        return None
    inner_gap = max((later - earlier for earlier, later in zip(days, days[1:])), default=0)
    return days[0], days[-1], inner_gap


def _special_day(special: tuple[Any, ...], length: int, first_weekday: int) -> int | None:
    """Return the day a special form picks in a month, or None when it picks none.

    The rules follow saffron's ``find_next_day_of_month`` and ``find_next_weekday``
    (saffron/src/lib.rs), which decide the days that the Convex scheduler actually runs.
    """

    def weekday(day: int) -> int:
        return (first_weekday + day - 1) % 7

    kind = special[0]
    if kind == "L":
        day = length - special[1]
        return day if day >= 1 else None

    if kind == "LW":
        offset = special[1]
        target = length - offset
        if target < 1:
            return None
        if offset == 0:
            # The last weekday: step back from a Saturday or Sunday month end.
            return {6: target - 1, 0: target - 2}.get(weekday(target), target)
        if weekday(target) == 6:
            return 3 if target == 1 else target - 1
        if weekday(target) == 0:
            return target + 1
        return target

    if kind == "W":
        target = special[1]
        if target > length:
            return None
        if weekday(target) == 6:
            # saffron never crosses into the previous month: a Saturday 1st moves to Monday the 3rd.
            return 3 if target == 1 else target - 1
        if weekday(target) == 0:
            # ...nor into the next one: a Sunday month end moves back to Friday.
            return target - 2 if target == length else target + 1
        return target

    if kind == "last":
        first = 1 + (special[1] - first_weekday) % 7
        return first + 7 * ((length - first) // 7)

    if kind == "nth":
        first = 1 + (special[1] - first_weekday) % 7
        day = first + 7 * (special[2] - 1)
        return day if day <= length else None

    raise ValueError(f"unknown special day form {special!r}")


# ---------------------------------------------------------------------------------------------
# The cron parser (saffron's grammar)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    """One cron field and the constants saffron uses for it (saffron/src/parse.rs)."""

    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # accepted 3-letter names, index + low is the value
    # saffron stores day-of-month and month 0-based; ``base`` is what it subtracts.
    base: int = 0
    # ``ExprValue::MAX`` and ``MIN`` in saffron's internal units, used by wrap-around steps.
    step_back_max: int = 0
    step_front_min: int = 0

    @property
    def step_max(self) -> int:
        # saffron's Step<E> accepts 1 to E::MAX - E::MIN: 59, 23, 30, 11 and 6.
        return self.high - self.low


_MINUTE = _Field("minute", 0, 59, step_back_max=59, step_front_min=0)
_HOUR = _Field("hour", 0, 23, step_back_max=23, step_front_min=0)
_DAY_OF_MONTH = _Field("day-of-month", 1, 31, base=1, step_back_max=31, step_front_min=1)
_MONTH = _Field(
    "month", 1, 12,
    names=tuple(name[:3].upper() for name in MONTH_NAMES),
    base=1, step_back_max=12, step_front_min=1,
)
_DAY_OF_WEEK = _Field(
    "day-of-week", 0, 6,
    names=tuple(name[:3].upper() for name in DAY_NAMES),
    step_back_max=7, step_front_min=1,
)
_FIELDS = (_MINUTE, _HOUR, _DAY_OF_MONTH, _MONTH, _DAY_OF_WEEK)



@dataclass(frozen=True)
class CronSpec:
    """A parsed cron string: the sets it selects and its day rule."""

    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    days: DayRule
    day_of_month: Any  # what the field selected: STAR, a frozenset, or a special tuple
    day_of_week: Any

    def never_matches(self) -> bool:
        """Return True when saffron's ``Cron::any`` rejects the spec (saffron/src/lib.rs).

        ``any`` checks only a restricted day-of-month with a ``*`` day-of-week: the first
        selected day must exist in the longest selected month (29 for February alone).
        """
        if self.day_of_week is not STAR or self.day_of_month is STAR:
            return False

        if isinstance(self.day_of_month, frozenset):
            first_day = min(self.day_of_month)
        elif self.day_of_month[0] in ("L", "LW"):
            if self.day_of_month[1] == 0:
                return False
            first_day = self.day_of_month[1] + 1
        else:
            # NOTE: for "dW" saffron reads the lowest set bit of the day number instead of the
            # day, so ``any`` accepts every "dW", even "30W" in February. crongate.schedule
            # still rejects a spec that never fires.
            day = self.day_of_month[1]
            first_day = (day & -day).bit_length()

        if self.months & {1, 3, 5, 7, 8, 10, 12}:
            longest = 31
        elif self.months & {4, 6, 9, 11}:
            longest = 30
        else:
            longest = 29
        return first_day > longest


class _Cursor:
    """A position in one cron field, with saffron's token readers."""

    def __init__(self, text: str, spec: _Field) -> None:
        self.text = text
        self.pos = 0
        self.spec = spec

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self, char: str) -> bool:
        if self.peek() == char:
            self.pos += 1
            return True
        return False

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def error(self, reason: str, hint: str | None = None) -> CronSyntaxError:
        spec = self.spec
        return CronSyntaxError(
            f"{spec.name} field {self.text!r}: {reason}",
            hint or _field_hint(spec),
        )

    def digits(self) -> int | None:
        start = self.pos
        while self.peek().isdigit() and self.peek().isascii():
            self.pos += 1
        if start == self.pos:
            return None
        number = int(self.text[start:self.pos])
        # saffron parses digits as a u8, so 256 and above fail before the range check.
        if number > 255:
            raise self.error(f"{number} is out of range {self.spec.low}-{self.spec.high}")
        return number

    def value(self, spec: _Field | None = None, *, names: bool = True) -> int:
        """Read one value: digits, or a 3-letter name (case-insensitive) where the field has names."""
        spec = spec or self.spec
        start = self.pos
        number = self.digits()
        if number is not None:
            if not spec.low <= number <= spec.high:
                hint = None
                if spec is _DAY_OF_WEEK and number == 7:
                    hint = "Use 0 or SUN for Sunday: Convex's cron parser accepts day-of-week 0-6 only."
                self.pos = start
                raise self.error(f"{number} is out of range {spec.low}-{spec.high}", hint)
            return number
        if names and spec.names:
            word = self.text[self.pos:self.pos + 3].upper()
            if word in spec.names:
                self.pos += 3
                return spec.low + spec.names.index(word)
        found = self.text[self.pos:] or "nothing"
        raise self.error(f"expected a {spec.name} value at {found!r}")

    def step(self) -> int:
        number = self.digits()
        if number is None:
            raise self.error("expected a step number after '/'")
        if not 1 <= number <= self.spec.step_max:
            raise self.error(
                f"step {number} is out of range 1-{self.spec.step_max}",
                f"Use a step from 1 to {self.spec.step_max} in the {self.spec.name} field.",
            )
        return number


def _field_hint(spec: _Field) -> str:
    names = f", or the names {spec.names[0]}-{spec.names[-1]}" if spec.names else ""
    return (
        f"Write the {spec.name} field as *, a value from {spec.low} to {spec.high}{names}, "
        "a range a-b, a step */n, a/n or a-b/n, or a comma-separated list of these."
    )


def _expand(spec: _Field, start: int, end: int, step: int | None) -> frozenset[int]:
    """Expand a range or step as saffron compiles it (``add_ors`` in saffron/src/lib.rs).

    ``OrsExpr::normalize`` first turns a-a and a-a/n into a single value and a step of 1 into
    a range. Two saffron quirks are kept on purpose, so that fire times match what Convex
    runs: a range that wraps around (``50-10``, ``FRI-MON``) also includes the value just
    before its start, and a wrapping step (``20-5/3`` in day-of-month) counts with saffron's
    off-by-one bounds for the 1-based fields.
    """
    if start == end:
        return frozenset({start})
    if step == 1:
        step = None

    first = start - spec.base
    last = end - spec.base
    top = spec.high - spec.base

    if step is None:
        if first <= last:
            values = set(range(first, last + 1))
        else:
            # NOTE: saffron keeps the bits from ``start - 1`` up, so the range gains one value.
            values = set(range(first - 1, top + 1)) | set(range(0, last + 1))
    elif first <= last:
        values = set(range(first, last + 1, step))
    else:
        chain = list(range(first, spec.step_back_max + 1)) + list(range(spec.step_front_min, last + 1))
        values = {value for value in chain[::step] if 0 <= value <= top}

    return frozenset(value + spec.base for value in values)


def _parse_item(cursor: _Cursor, first: int) -> frozenset[int]:
    """Read the rest of saffron's ``ors_expr`` after its first value: ``-b``, ``/n`` or ``-b/n``."""
    spec = cursor.spec
    if cursor.take("/"):
        return _expand(spec, first, spec.high, cursor.step())
    if cursor.take("-"):
        end = cursor.value()
        step = cursor.step() if cursor.take("/") else None
        return _expand(spec, first, end, step)
    return frozenset({first})


def _parse_tail(cursor: _Cursor, values: frozenset[int]) -> frozenset[int]:
    """Read ``,item`` repeats. In a list item, ``*`` stands for the field's lowest value."""
    spec = cursor.spec
    while cursor.take(","):
        first = spec.low if cursor.take("*") else cursor.value()
        values = values | _parse_item(cursor, first)
    return values


def _parse_plain_field(cursor: _Cursor) -> Any:
    """Parse a minute, hour or month field (saffron's generic ``expr``)."""
    spec = cursor.spec
    if cursor.take("*"):
        if not cursor.take("/"):
            return STAR
        values = _expand(spec, spec.low, spec.high, cursor.step())
    else:
        values = _parse_item(cursor, cursor.value())
    return _parse_tail(cursor, values)


def _parse_day_of_month(cursor: _Cursor) -> Any:
    spec = cursor.spec
    if cursor.take("*"):
        if not cursor.take("/"):
            return STAR
        return _parse_tail(cursor, _expand(spec, spec.low, spec.high, cursor.step()))

    # "L", "LW", "L-n" and "L-nW" stand alone: saffron reads no list after them.
    if cursor.take("L"):
        if cursor.take("W"):
            return ("LW", 0)
        if cursor.take("-"):
            offset = cursor.digits()
            if offset is None or not 1 <= offset <= 30:
                raise cursor.error(
                    "the offset after 'L-' must be from 1 to 30",
                    "Write L-n with n from 1 to 30, for example L-2 for two days before the last day.",
                )
            return ("LW", offset) if cursor.take("W") else ("L", offset)
        return ("L", 0)

    first = cursor.value(names=False)
    if cursor.take("W"):
        return ("W", first)
    return _parse_tail(cursor, _parse_item(cursor, first))


def _parse_day_of_week(cursor: _Cursor) -> Any:
    spec = cursor.spec
    if cursor.take("*"):
        if not cursor.take("/"):
            return STAR
        return _parse_tail(cursor, _expand(spec, spec.low, spec.high, cursor.step()))

    # A bare "L" in the day-of-week field means Saturday, as in Quartz.
    if cursor.take("L"):
        return frozenset({6})

    first = cursor.value()
    if cursor.take("L"):
        return ("last", first)
    if cursor.take("#"):
        nth = cursor.digits()
        if nth is None or not 1 <= nth <= 5:
            raise cursor.error(
                "the number after '#' must be from 1 to 5",
                "Write d#k with k from 1 to 5, for example MON#2 for the second Monday of the month.",
            )
        return ("nth", first, nth)
    return _parse_tail(cursor, _parse_item(cursor, first))


_FIELD_PARSERS = (
    _parse_plain_field,
    _parse_plain_field,
    _parse_day_of_month,
    _parse_plain_field,
    _parse_day_of_week,
)


def _split_fields(text: str) -> list[str]:
    """Split on runs of spaces and tabs, which is all that saffron's ``space1`` accepts."""
    if text[:1] in (" ", "\t") or text[-1:] in (" ", "\t"):
        # NOTE: saffron parses with ``all_consuming`` and the SDK passes the string unchanged,
        # so leading or trailing blanks fail, unless the backend trims them before parsing.
        # The backend's cron_jobs/types.rs was not read to confirm that it does not.
        raise CronSyntaxError(
            "leading or trailing whitespace",
            "Remove the spaces around the cron string.",
        )
    fields: list[str] = []
    current = ""
    for char in text:
        if char in (" ", "\t"):
            if current:
                fields.append(current)
            current = ""
        else:
            current += char
    if current:
        fields.append(current)
    return fields


def parse_cron_expression(text: str) -> CronSpec:
    if not isinstance(text, str):
        raise CronSyntaxError(f"expected a string, got {text!r}", 'Write a cron string such as "0 6 * * *".')
    if not text:
        raise CronSyntaxError("the string is empty", 'Write five fields, for example "0 6 * * *".')
    if text.startswith("@"):
        raise CronSyntaxError(
            f"macros such as {text.split()[0]!r} are not supported",
            'Write the five fields instead, for example "0 0 * * *" for @daily.',
        )

    fields = _split_fields(text)
    if len(fields) != 5:
        raise CronSyntaxError(
            f"expected 5 space-separated fields (minute hour day-of-month month day-of-week), "
            f"found {len(fields)}",
            "Convex's cron parser takes exactly five fields: no seconds field and no year field.",
        )

    parsed = []
    for spec, parser, field_text in zip(_FIELDS, _FIELD_PARSERS, fields):
        if "?" in field_text:
            raise CronSyntaxError(
                f"{spec.name} field {field_text!r}: '?' is not supported",
                "Use * in place of ?.",
            )
        cursor = _Cursor(field_text, spec)
        value = parser(cursor)
        if not cursor.at_end():
            raise cursor.error(f"unexpected {field_text[cursor.pos:]!r}")
        parsed.append(value)

    minutes, hours, day_of_month, months, day_of_week = parsed
    return CronSpec(
        minutes=ALL_MINUTES if minutes is STAR else minutes,
        hours=ALL_HOURS if hours is STAR else hours,
        months=ALL_MONTHS if months is STAR else months,
        days=_day_rule(day_of_month, day_of_week),
        day_of_month=day_of_month,
        day_of_week=day_of_week,
    )


def _day_rule(day_of_month: Any, day_of_week: Any) -> DayRule:
    if day_of_month is STAR and day_of_week is STAR:
        return DayRule(every_day=True)

    days_of_month: frozenset[int] = frozenset()
    days_of_week: frozenset[int] = frozenset()
    specials: set[tuple[Any, ...]] = set()
    if isinstance(day_of_month, frozenset):
        days_of_month = day_of_month
    elif day_of_month is not STAR:
        specials.add(day_of_month)
    if isinstance(day_of_week, frozenset):
        days_of_week = day_of_week
    elif day_of_week is not STAR:
        specials.add(day_of_week)
    return DayRule.of(days_of_month, days_of_week, frozenset(specials))
