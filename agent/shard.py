"""Split the devices between N agents by a stable hash of the device name.

The same rule as Prometheus' `hashmod` relabelling: the MD5 of the name, its last 8 bytes
read as a big-endian unsigned integer, modulo N. It depends on nothing but the name, so
every agent computes the same split without talking to the others, and adding a device
never moves the others.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard `index` (0-based, like Prometheus' hashmod) of `count`."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"shard count must be at least 1, got {self.count}")
        if not 0 <= self.index < self.count:
            raise ValueError(
                f"shard index must be between 0 and {self.count - 1} (0-based), got {self.index}"
            )

    @classmethod
    def parse(cls, text: str) -> Shard:
        """'K/N' -> Shard(K, N); '' means the only shard (0/1)."""
        if not text.strip():
            return cls()
        k, sep, n = text.strip().partition("/")
        if not sep or not k.strip().isdigit() or not n.strip().isdigit():
            raise ValueError(f"expected 'K/N' with 0 <= K < N (e.g. '0/3'), got {text!r}")
        return cls(int(k), int(n))

    def owns(self, name: str) -> bool:
        return self.count == 1 or shard_of(name, self.count) == self.index

    def select(self, items: Iterable[T], key: str = "name") -> list[T]:
        """The items whose `key` attribute hashes into this shard, order kept."""
        return [i for i in items if self.owns(str(getattr(i, key)))]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_of(name: str, count: int) -> int:
    digest = hashlib.md5(name.encode("utf-8"), usedforsecurity=False).digest()
    return int.from_bytes(digest[8:], "big") % count
