"""Generated "translation" tasks for the encoder-decoder: digits read aloud, human dates -> ISO, number words.

Both tasks have real structure a network must learn - which characters of the input
decide which characters of the output - and both are generated here, so they need no
download and are the same on every machine for a given seed.

Dates: one calendar day is written in one of many human formats and translated to ISO:

    "tuesday 3rd of march 2021" / "03/03/21" / "March 3, 2021" / "3 mar 2021"  ->  "2021-03-03"

Conventions, so every input has exactly one answer: slashes are US month/day/year,
dots are European day.month.year, two-digit years mean 1950-2049 (50-99 -> 19xx).

Numbers: 0-999,999 written in English words -> digits ("four hundred and five" -> "405").

Digits read aloud: 3 to 8 digits spoken one word each, as when someone dictates a phone
or card number, -> the digits ("four one five zero" -> "4150"). Each output digit comes
from exactly one input word, so the alignment is a staircase anyone can read in a heatmap,
and the input is long (up to 47 characters) and incompressible (every digit is free), so a
decoder that only gets the encoder's final state must carry up to eight digits in one vector:
the task where attention visibly matters.

Held-out examples are *values* the training set never contains (calendar days, numbers),
so no held-out (source, target) pair is a training pair and held-out accuracy measures
translation, not memorisation. Numbers are split per digit count, so the held-out set spans
every length: a held-out "forty-two" is still learnable from "forty-one", "twelve" and
"forty-two thousand", which training does contain. Digit strings (10^3 to 10^8 of each
length, too many to enumerate) are split by a keyed hash of the string: a seeded tenth of
all strings, of every length, can only ever be drawn for the held-out set.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

FIRST_DAY = dt.date(1950, 1, 1)
LAST_DAY = dt.date(2049, 12, 31)
TWO_DIGIT_PIVOT = 50  # yy >= 50 -> 19yy, yy < 50 -> 20yy (matches FIRST_DAY..LAST_DAY)
MAX_NUMBER = 999_999
HELD_OUT_FRACTION = 0.1

MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class TranslationTask:
    """Source/target string pairs for training and a held-out split, plus how each was written."""

    name: str
    description: str
    train_sources: tuple[str, ...]
    train_targets: tuple[str, ...]
    test_sources: tuple[str, ...]
    test_targets: tuple[str, ...]
    test_formats: tuple[str, ...]
    examples: tuple[tuple[str, str], ...]  # a few (source, target) pairs to show the user

    @property
    def max_source_length(self) -> int:
        return max(len(s) for s in self.train_sources + self.test_sources)

    @property
    def max_target_length(self) -> int:
        return max(len(t) for t in self.train_targets + self.test_targets)


# ----------------------------------------------------------------------------- dates



Triple = tuple[str, str, str]  # (source, target, format or kind)


def _task(name: str, description: str, train: list[Triple], test: list[Triple], showcase: list) -> TranslationTask:
    """A TranslationTask from sampled (source, target, format) triples."""
    return TranslationTask(
        name=name,
        description=description,
        train_sources=tuple(s for s, _, _ in train),
        train_targets=tuple(t for _, t, _ in train),
        test_sources=tuple(s for s, _, _ in test),
        test_targets=tuple(t for _, t, _ in test),
        test_formats=tuple(f for _, _, f in test),
        examples=tuple(showcase),
    )

def ordinal(day: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 23 -> '23rd'."""
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _month(d: dt.date) -> str:
    return MONTHS[d.month - 1]


def _mon(d: dt.date) -> str:
    return MONTHS[d.month - 1][:3]


def _weekday(d: dt.date) -> str:
    return WEEKDAYS[d.weekday()]


def _yy(d: dt.date) -> str:
    return f"{d.year % 100:02d}"


# Each format writes one date; names are shown in the UI's accuracy-by-format view.
DATE_FORMATS: dict[str, Callable[[dt.date], str]] = {
    "weekday Dth of month YYYY": lambda d: f"{_weekday(d)} {ordinal(d.day)} of {_month(d)} {d.year}",
    "Weekday, Month D, YYYY": lambda d: f"{_weekday(d).title()}, {_month(d).title()} {d.day}, {d.year}",
    "the Dth of month, YYYY": lambda d: f"the {ordinal(d.day)} of {_month(d)}, {d.year}",
    "Month D, YYYY": lambda d: f"{_month(d).title()} {d.day}, {d.year}",
    "month Dth, YYYY": lambda d: f"{_month(d)} {ordinal(d.day)}, {d.year}",
    "D Month YYYY": lambda d: f"{d.day} {_month(d).title()} {d.year}",
    "D mon YYYY": lambda d: f"{d.day} {_mon(d)} {d.year}",
    "Mon DD YYYY": lambda d: f"{_mon(d).title()} {d.day:02d} {d.year}",
    "wkd, D mon YYYY": lambda d: f"{_weekday(d)[:3]}, {d.day} {_mon(d)} {d.year}",
    "D-Mon-YY": lambda d: f"{d.day}-{_mon(d).title()}-{_yy(d)}",
    "MM/DD/YY": lambda d: f"{d.month:02d}/{d.day:02d}/{_yy(d)}",
    "M/D/YYYY": lambda d: f"{d.month}/{d.day}/{d.year}",
    "DD.MM.YYYY": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    "D.M.YY": lambda d: f"{d.day}.{d.month}.{_yy(d)}",
    "YYYY/MM/DD": lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
    "YYYY-MM-DD": lambda d: d.isoformat(),
}


def format_date(day: dt.date, format_name: str) -> str:
    return DATE_FORMATS[format_name](day)


def _split_values(count: int, seed: int, stream: tuple[int, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    """(training, held-out) values 0..count-1: a seeded HELD_OUT_FRACTION (at least one) never seen in training."""
    order = np.random.default_rng([seed, 7919, *stream]).permutation(count)
    cut = max(1, round(count * HELD_OUT_FRACTION))
    return np.sort(order[cut:]), np.sort(order[:cut])


def _sample_dates(days: np.ndarray, n: int, rng: np.random.Generator) -> list[tuple[str, str, str]]:
    names = list(DATE_FORMATS)
    offsets = rng.choice(days, size=n, replace=n > len(days))
    formats = rng.integers(0, len(names), size=n)
    out = []
    for offset, f in zip(offsets, formats, strict=True):
        day = FIRST_DAY + dt.timedelta(days=int(offset))
        out.append((format_date(day, names[f]), day.isoformat(), names[f]))
    return out


def make_date_task(train_size: int = 20_000, test_size: int = 2_000, seed: int = 0) -> TranslationTask:
    """Human-written dates -> ISO 8601. Held-out days never appear in training."""
    if train_size < 1 or test_size < 1:
        raise ValueError("Both the training and the held-out set need at least one example.")
    total_days = (LAST_DAY - FIRST_DAY).days + 1
    train_days, test_days = _split_values(total_days, seed)
    rng = np.random.default_rng(seed)
    train = _sample_dates(train_days, train_size, rng)
    test = _sample_dates(test_days, test_size, rng)
    showcase = [
        (format_date(dt.date(2021, 3, 2), name), "2021-03-02")
        for name in ("weekday Dth of month YYYY", "MM/DD/YY", "Month D, YYYY", "D mon YYYY", "DD.MM.YYYY")
    ]
    return _task("dates", "Human-written dates -> ISO 8601 (YYYY-MM-DD)", train, test, showcase)


# ----------------------------------------------------------------------------- numbers

ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def _below_hundred(n: int, hyphen: bool) -> str:
    if n < 10:
        return ONES[n]
    if n < 20:
        return TEENS[n - 10]
    tens, ones = divmod(n, 10)
    if ones == 0:
        return TENS[tens]
    return f"{TENS[tens]}{'-' if hyphen else ' '}{ONES[ones]}"


def _below_thousand(n: int, hyphen: bool, british_and: bool) -> str:
    hundreds, rest = divmod(n, 100)
    if hundreds == 0:
        return _below_hundred(rest, hyphen)
    head = f"{ONES[hundreds]} hundred"
    if rest == 0:
        return head
    return f"{head} {'and ' if british_and else ''}{_below_hundred(rest, hyphen)}"


def number_to_words(n: int, hyphen: bool = True, british_and: bool = False) -> str:
    """0..999,999 in English words: 405 -> 'four hundred five' ('four hundred and five' if british_and)."""
    if not 0 <= n <= MAX_NUMBER:
        raise ValueError(f"number_to_words handles 0..{MAX_NUMBER:,}, not {n}.")
    thousands, rest = divmod(n, 1000)
    if thousands == 0:
        return _below_thousand(rest, hyphen, british_and)
    head = f"{_below_thousand(thousands, hyphen, british_and)} thousand"
    if rest == 0:
        return head
    joiner = " and " if british_and and rest < 100 else " "
    return f"{head}{joiner}{_below_thousand(rest, hyphen, british_and)}"


def _digit_range(digits: int) -> tuple[int, int]:
    """The values with this many digits: [low, high)."""
    return (0 if digits == 1 else 10 ** (digits - 1)), 10**digits


def split_numbers(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training, held-out) values of 0..MAX_NUMBER, disjoint, split separately per digit count
    so the held-out set has numbers of every length (one of 0-9, nine of 10-99, ...)."""
    train, test = [], []
    for digits in range(1, len(str(MAX_NUMBER)) + 1):
        low, high = _digit_range(digits)
        train_part, test_part = _split_values(high - low, seed, stream=(digits,))
        train.append(train_part + low)
        test.append(test_part + low)
    return np.concatenate(train), np.concatenate(test)


def _sample_numbers(values: np.ndarray, n: int, rng: np.random.Generator) -> list[tuple[str, str, str]]:
    # Numbers of every size are equally likely (uniform over 0..999,999 would be ~90 % six-digit).
    digits = rng.integers(1, 7, size=n)
    out = []
    for d in digits:
        low, high = _digit_range(int(d))
        lo, hi = np.searchsorted(values, [low, high])
        value = int(values[rng.integers(lo, hi)])
        hyphen, british = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
        style = ("hyphen" if hyphen else "spaces") + (" + and" if british else "")
        out.append((number_to_words(value, hyphen, british), str(value), f"{d} digit(s), {style}"))
    return out


def make_number_task(train_size: int = 20_000, test_size: int = 2_000, seed: int = 0) -> TranslationTask:
    """English number words -> digits. Held-out numbers never appear in training."""
    if train_size < 1 or test_size < 1:
        raise ValueError("Both the training and the held-out set need at least one example.")
    train_values, test_values = split_numbers(seed)
    rng = np.random.default_rng(seed)
    train = _sample_numbers(train_values, train_size, rng)
    test = _sample_numbers(test_values, test_size, rng)
    showcase = [(number_to_words(v, True, v % 2 == 0), str(v)) for v in (7, 42, 405, 2024, 90_017, 321_405)]
    return _task("numbers", "English number words -> digits (0 to 999,999)", train, test, showcase)


# ----------------------------------------------------------------------------- digits read aloud

MIN_DIGITS, MAX_DIGITS = 3, 8


def digits_to_words(digits: str) -> str:
    """'4150' -> 'four one five zero': one word per digit, separated by single spaces."""
    if not digits or not digits.isdigit() or not digits.isascii():
        raise ValueError(f"digits_to_words needs a string of digits 0-9, not {digits!r}.")
    return " ".join(ONES[int(c)] for c in digits)


def digit_word_spans(source: str) -> list[tuple[int, int]]:
    """[start, end) character positions of each word of a spoken-digits input, in order:
    output digit k is read from source[start_k:end_k] (what its attention row should light up)."""
    spans, position = [], 0
    for word in source.split(" "):
        spans.append((position, position + len(word)))
        position += len(word) + 1
    return spans


def is_held_out_digits(digits: str, seed: int) -> bool:
    """Whether a digit string belongs to the held-out side: a keyed hash, so a seeded HELD_OUT_FRACTION
    of the strings of every length, fixed for the seed, and no string can be on both sides."""
    key = seed.to_bytes(8, "little", signed=True)
    digest = hashlib.blake2b(digits.encode("ascii"), digest_size=8, key=key).digest()
    return int.from_bytes(digest, "little") < HELD_OUT_FRACTION * 2**64


def _sample_digits(n: int, rng: np.random.Generator, seed: int, held_out: bool) -> list[Triple]:
    """n spoken-digit pairs, lengths uniform in MIN_DIGITS..MAX_DIGITS, only from one side of the split."""
    out: list[Triple] = []
    while len(out) < n:
        length = int(rng.integers(MIN_DIGITS, MAX_DIGITS + 1))
        digits = "".join(str(d) for d in rng.integers(0, 10, size=length))
        if is_held_out_digits(digits, seed) == held_out:
            out.append((digits_to_words(digits), digits, f"{length} digits"))
    return out


def make_digits_task(train_size: int = 16_000, test_size: int = 2_000, seed: int = 0) -> TranslationTask:
    """Digits read aloud -> digits. Held-out digit strings never appear in training."""
    if train_size < 1 or test_size < 1:
        raise ValueError("Both the training and the held-out set need at least one example.")
    rng = np.random.default_rng([seed, 31])
    train = _sample_digits(train_size, rng, seed, held_out=False)
    test = _sample_digits(test_size, rng, seed, held_out=True)
    showcase = [(digits_to_words(d), d) for d in ("907", "4150", "2024517", "55526710")]
    return _task("digits", f"Digits read aloud -> digits ({MIN_DIGITS} to {MAX_DIGITS} digits)", train, test, showcase)


TASKS: dict[str, Callable[..., TranslationTask]] = {
    "digits": make_digits_task,
    "dates": make_date_task,
    "numbers": make_number_task,
}
TASK_LABELS = {
    "digits": "Digits read aloud -> digits",
    "dates": "Dates -> ISO format",
    "numbers": "Number words -> digits",
}


def make_task(name: str, train_size: int, test_size: int, seed: int = 0) -> TranslationTask:
    if name not in TASKS:
        raise ValueError(f"Unknown task {name!r}; choose one of {', '.join(TASKS)}.")
    return TASKS[name](train_size=train_size, test_size=test_size, seed=seed)
