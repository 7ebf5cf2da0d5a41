"""First response / resolution percentiles from bucketed histograms (issue #22).

The rollup job keeps ``report_cycle_time_buckets``: per client × local day × number ×
team × agent × metric, how many cycles fell in each bucket of business seconds. The
buckets:

- below 60 s, one bucket per integer second (the seconds are integers: exact);
- from 60 s on, log-scaled buckets 2 % wide: bucket ``b`` (≥ 60) holds
  ``[60 · 1.02^(b−60), 60 · 1.02^(b−59))`` — a day (86,400 s) is bucket 427, 30 days
  bucket 598, so a histogram has at most a few hundred buckets whatever the volume.

A period's median / p90 is ``percentile_cont``'s rule applied to the histogram: rank
``r = p · (N − 1)``, the k-th and (k+1)-th smallest values interpolated by ``r − k``;
each order statistic is read from its bucket (the bucket's value below 60 s; inside a
2 % bucket, spread evenly: the i-th of c values at ``lo + (i + ½) / c · width``). Each
estimated order statistic is inside the bucket of the true one, so the result differs
from the exact ``percentile_cont`` by less than one bucket width: **less than 2 % of the
exact value** (0 when the values involved are below 60 s). Counts are exact.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping

EXACT_BELOW = 60  # seconds: one bucket per integer second below this
RATIO = 1.02  # relative width of the buckets from EXACT_BELOW on
FIRST_RESPONSE, RESOLUTION = 1, 2
METRICS = {"frt": FIRST_RESPONSE, "res": RESOLUTION}


def bucket_sql(value: str) -> str:
    """The bucket of ``value`` (integer seconds) as PostgreSQL SQL (double precision
    ``ln``, like :func:`bucket_of`)."""
    return (
        f"CASE WHEN {value} < {EXACT_BELOW} THEN GREATEST({value}, 0)"
        f" ELSE {EXACT_BELOW} + CAST(floor(ln(CAST({value} AS double precision)"
        f" / {EXACT_BELOW}) / ln(CAST({RATIO} AS double precision))) AS INTEGER) END"
    )


def bucket_of(seconds: float) -> int:
    """The same bucket in Python (tests, and anything computing outside the database)."""
    if seconds < EXACT_BELOW:
        return max(0, int(seconds))
    return EXACT_BELOW + math.floor(math.log(seconds / EXACT_BELOW) / math.log(RATIO))


def bounds(bucket: int) -> tuple[float, float]:
    """``[lo, hi)`` of a bucket; ``lo == hi`` for the exact ones below 60 s."""
    if bucket < EXACT_BELOW:
        return float(bucket), float(bucket)
    lo = EXACT_BELOW * RATIO ** (bucket - EXACT_BELOW)
    return lo, lo * RATIO


def percentiles(
    histogram: Mapping[int, int], quantiles: Iterable[float] = (0.5, 0.9)
) -> tuple[int, list[float | None]]:
    """``(count, [value per quantile])`` of a ``{bucket: cycles}`` histogram."""
    ordered = sorted((b, n) for b, n in histogram.items() if n > 0)
    total = sum(n for _, n in ordered)
    if not total:
        return 0, [None for _ in quantiles]
    starts: list[int] = []  # rank of each bucket's first value
    seen = 0
    for _, n in ordered:
        starts.append(seen)
        seen += n

    def order_stat(rank: int) -> float:
        i = bisect_right(starts, rank) - 1
        bucket, n = ordered[i]
        lo, hi = bounds(bucket)
        return lo + (rank - starts[i] + 0.5) / n * (hi - lo)

    values: list[float | None] = []
    for q in quantiles:
        r = q * (total - 1)
        k = math.floor(r)
        value = order_stat(k)
        if r > k:
            value += (r - k) * (order_stat(k + 1) - value)
        values.append(value)
    return total, values


def exact_percentile(values: Iterable[float], q: float) -> float | None:
    """``percentile_cont(q)`` of plain values (what the histogram estimates; tests)."""
    ordered = sorted(values)
    if not ordered:
        return None
    r = q * (len(ordered) - 1)
    k = math.floor(r)
    if k + 1 >= len(ordered):
        return float(ordered[k])
    return ordered[k] + (r - k) * (ordered[k + 1] - ordered[k])
