"""Line protocol: the same text as influxdb-client's Point, and read back losslessly."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from influxdb_client import Point

from netagent.collectors import line_protocol as lp
from netagent.collectors.influx.rejects import offenders
from netagent.collectors.samples import Sample

names = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=12).filter(
    lambda v: not v.endswith("\\")
)  # unspellable: LineProtocolError (tested below)
values = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=20),
)
samples = st.builds(
    Sample,
    names.filter(lambda m: not m.startswith("#")),
    st.dictionaries(names, names, max_size=4),
    st.dictionaries(names, values, min_size=1, max_size=5),
    st.integers(0, 2**62),
)


@given(samples)
def test_encoding_matches_influxdb_client_point(s: Sample) -> None:
    p = Point(s.measurement).time(s.time_ns)
    for k, v in s.tags.items():
        p.tag(k, v)
    for k, f in s.fields.items():
        p.field(k, f)
    ours = lp.line(lp.encode_key(s.measurement, s.tags), lp.encode_fields(s.fields), s.time_ns)
    assert ours == p.to_line_protocol()


@given(samples)
@example(Sample("\\,", {"t": "x\\,y"}, {"0": 0.0}, 0))  # backslash before a separator
def test_decode_reads_back_what_was_encoded(s: Sample) -> None:
    back = lp.decode(lp.encode_key(s.measurement, s.tags), lp.encode_fields(s.fields), s.time_ns)
    assert back == s
    assert {k: type(v) for k, v in back.fields.items()} == {k: type(v) for k, v in s.fields.items()}


def test_whole_floats_stay_floats_and_precision_divides() -> None:
    key, fields = lp.encode_key("m", {"a": "b"}), lp.encode_fields({"x": 3.0, "n": 3})
    assert (
        lp.line(key, fields, 1_500_000_000_123, lp.PRECISION_DIVISOR["ms"])
        == "m,a=b n=3i,x=3 1500000"
    )
    assert lp.decode_fields(fields) == {"n": 3, "x": 3.0}
    assert type(lp.decode_fields(fields)["x"]) is float
    assert lp.encode_fields({"x": math.nan}) == ""
    with pytest.raises(lp.LineProtocolError, match="ends with a backslash"):
        lp.encode_fields({"x\\": 1})


def test_offenders_named_by_a_type_conflict_or_a_parse_error() -> None:
    rows = [
        (1, "icmp,device=a", "up=true", 10),
        (2, "icmp,device=b", "up=1i", 11),
        (3, "wifi,device=a", "up=1i", 12),
        (4, "icmp,device=c", "up=2i", 13),
    ]
    conflict = (
        'partial write: field type conflict: input field "up" on measurement "icmp" is type '
        "integer, already exists as type boolean dropped=2"
    )
    assert offenders(rows, conflict) == [1, 3]
    assert offenders(rows, "unable to parse 'wifi,device=a up=1i 12': bad timestamp") == [2]
    assert offenders(rows, "something else") == []


def test_every_series_of_a_region_s_cycle_stays_memoised(monkeypatch: pytest.MonkeyPatch) -> None:
    """15,000 devices have ~150,000 series: with a memo smaller than a cycle, each cycle
    cleared what the next one needed and every key was escaped again."""
    escaped: list[str] = []
    real = lp._tag_value
    monkeypatch.setattr(lp, "_tag_value", lambda v: escaped.append(v) or real(v))
    monkeypatch.setattr(lp, "_KEYS", {})
    series = [
        {"device": f"switch-{i // 24:05d}", "ifname": f"ge-0/{i % 24}", "role": "switch"}
        for i in range(150_000)
    ]
    first = [lp.encode_key("interface", t) for t in series]
    assert len(escaped) == 3 * len(series)
    escaped.clear()
    assert [lp.encode_key("interface", dict(t)) for t in series] == first
    assert escaped == []
    # names and values apart: the same values under other names are another series
    assert lp.encode_key("m", {"a": "x", "b": "y"}) != lp.encode_key("m", {"b": "x", "a": "y"})
