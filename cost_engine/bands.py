"""A low/mid/high range of US dollars (or hours) and the arithmetic the engine needs."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Band:
    low: float
    mid: float
    high: float

    @classmethod
    def point(cls, value: float) -> Band:
        return cls(value, value, value)

    @classmethod
    def of(cls, value: float | list[float] | tuple[float, ...] | Band) -> Band:
        """A number, a [low, high] pair (mid = midpoint), a [low, mid, high] triple, or a Band."""
        if isinstance(value, Band):
            return value
        if isinstance(value, (int, float)):
            return cls.point(float(value))
        values = [float(v) for v in value]
        if len(values) == 2:
            return cls(values[0], (values[0] + values[1]) / 2, values[1])
        if len(values) == 3:
            return cls(*values)
        raise ValueError(f"a range is a number, [low, high] or [low, mid, high]; got {value!r}")

    def __add__(self, other: Band) -> Band:
        return Band(self.low + other.low, self.mid + other.mid, self.high + other.high)

    def __mul__(self, other: Band | float) -> Band:
        if isinstance(other, Band):
            return Band(self.low * other.low, self.mid * other.mid, self.high * other.high)
        return Band(self.low * other, self.mid * other, self.high * other)

    __rmul__ = __mul__

    def reversed(self) -> Band:
        """For inputs where a high value gives a low cost (MFU, scaling efficiency)."""
        return Band(self.high, self.mid, self.low)

    def as_list(self) -> list[float]:
        return [self.low, self.mid, self.high]

    def rounded(self, digits: int = 4) -> list[float]:
        return [round(v, digits) for v in self.as_list()]
