"""Shapes and the registry that keeps them."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

REGISTRY: dict[str, type] = {}


def register(cls):
    """Put a shape class in the registry."""
    REGISTRY[cls.__name__] = cls
    return cls


@register
class Square:
    """A square."""

    sides = 4

    def __init__(self, side: float) -> None:
        self.side = side

    def __repr__(self): return f"Square({self.side})"

    @property
    def area(self) -> float:
        return self.side * self.side

    @functools.cache
    def corners(self) -> list[tuple[float, float]]:
        def corner(i: int) -> tuple[float, float]:
            return (self.side * (i % 2), self.side * (i // 2))

        return [corner(i) for i in range(4)]

    class Meta:
        ordering = ("side",)

        def label(self) -> str:
            return "square"


async def load(names: list[str]) -> Iterator[Square]:
    async def one(name: str) -> Square:
        return REGISTRY[name](1.0)

    return iter([await one(n) for n in names])


try:
    from _speedups import fast_area
except ImportError:
    def fast_area(side: float) -> float:
        return side * side
