"""The satisfaction index (IKM, Indeks Kepuasan Masyarakat) of the SKM survey,
PermenPAN-RB 14/2017: pure arithmetic, no I/O.

Each response rates the nine elements U1–U9 (requirements, procedure, service time,
cost, product, officer competence, officer behaviour, complaint handling,
facilities) from 1 to 4. An element's value (NRR) is the mean of its scores; the
index is the weighted mean of the nine NRR (each weighs 1/9) times 25, i.e. the mean
of the element values × 25, between 25 and 100. It is reported with two decimals
(half up) and graded on that reported value:

    A  88.31 – 100.00   (sangat baik / very good)
    B  76.61 – 88.30    (baik / good)
    C  65.00 – 76.60    (kurang baik / fair)
    D  25.00 – 64.99    (tidak baik / poor)
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Mapping, Optional

ELEMENTS = ("u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9")
SCORE_MIN, SCORE_MAX = 1, 4
CONVERSION = Decimal(25)
TWO_PLACES = Decimal("0.01")
COMMENT_MAX = 1000

# (lowest index of the grade, grade), best first
GRADES = ((Decimal("88.31"), "A"), (Decimal("76.61"), "B"), (Decimal("65.00"), "C"), (Decimal("25.00"), "D"))


def grade_of(index: Decimal) -> str:
    """The grade of a reported (two-decimal) index between 25 and 100."""
    index = Decimal(index)
    if not Decimal(25) <= index <= Decimal(100):
        raise ValueError(f"an index lies between 25 and 100, not {index}")
    for lowest, grade in GRADES:
        if index >= lowest:
            return grade
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class Index:
    index: Optional[Decimal]          # None without responses
    grade: Optional[str]
    responses: int
    elements: dict                    # u1..u9 → NRR (Decimal, 2 places), empty without responses

    def as_dict(self):
        return {"index": float(self.index) if self.index is not None else None, "grade": self.grade,
                "responses": self.responses,
                "elements": {code: float(value) for code, value in self.elements.items()}}


def index_of(responses: Iterable[Mapping[str, int]]) -> Index:
    """The IKM of ``responses`` (each a mapping u1..u9 → 1..4)."""
    totals = {code: 0 for code in ELEMENTS}
    count = 0
    for ratings in responses:
        check_ratings(ratings)
        for code in ELEMENTS:
            totals[code] += int(ratings[code])
        count += 1
    if count == 0:
        return Index(None, None, 0, {})
    nrr = {code: Decimal(totals[code]) / Decimal(count) for code in ELEMENTS}
    mean = sum(nrr.values()) / Decimal(len(ELEMENTS))
    index = (mean * CONVERSION).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return Index(index, grade_of(index), count,
                 {code: value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP) for code, value in nrr.items()})


def check_ratings(ratings: Mapping[str, int]):
    """Exactly u1..u9, each an integer 1..4 (ValueError naming the first bad one)."""
    extra = set(ratings) - set(ELEMENTS)
    if extra:
        raise ValueError(f"unknown element {sorted(extra)[0]}")
    for code in ELEMENTS:
        value = ratings.get(code)
        if isinstance(value, bool) or not isinstance(value, int) or not SCORE_MIN <= value <= SCORE_MAX:
            raise ValueError(f"{code} must be an integer from 1 to 4")
