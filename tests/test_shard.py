"""Sharding: N agents split the devices, every device exactly once, stably."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.shard import Shard, shard_of


@given(
    names=st.lists(st.text(min_size=1, max_size=30), unique=True, max_size=200),
    count=st.integers(min_value=1, max_value=12),
)
def test_n_shards_cover_every_device_exactly_once(names: list[str], count: int) -> None:
    owners = {n: [k for k in range(count) if Shard(k, count).owns(n)] for n in names}
    assert all(len(ks) == 1 for ks in owners.values())


def test_split_is_roughly_even_and_stable_across_runs() -> None:
    names = [f"ap-{i:04d}" for i in range(3000)]
    sizes = [sum(Shard(k, 3).owns(n) for n in names) for k in range(3)]
    assert sum(sizes) == 3000
    assert min(sizes) > 800  # md5 spreads names evenly
    # Prometheus hashmod: last 8 bytes of the MD5, big-endian, modulo N.
    digest = hashlib.md5(b"ap-0001").digest()
    assert shard_of("ap-0001", 7) == int.from_bytes(digest[8:], "big") % 7


def test_adding_a_device_moves_no_other_device() -> None:
    names = [f"sw-{i}" for i in range(100)]
    before = {n: shard_of(n, 4) for n in names}
    after = {n: shard_of(n, 4) for n in [*names, "sw-new"]}
    assert all(after[n] == before[n] for n in names)


@pytest.mark.parametrize(
    ("text", "expected"), [("", Shard(0, 1)), ("0/3", Shard(0, 3)), (" 2 / 3 ", Shard(2, 3))]
)
def test_parse(text: str, expected: Shard) -> None:
    assert Shard.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3/3", "between 0 and 2"),
        ("1/0", "at least 1"),
        ("a/b", "expected 'K/N'"),
        ("2", "expected 'K/N'"),
    ],
)
def test_parse_errors_say_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Shard.parse(text)
