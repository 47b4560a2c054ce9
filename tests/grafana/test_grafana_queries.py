"""The query extractor and Grafana-style interpolation, on a small hand-made dashboard."""

from __future__ import annotations

import time
from copy import deepcopy
from typing import Any

import pytest

from netagent.collectors.influx.config import InfluxConfig
from netagent.grafana.check import HttpInfluxQL, check_dashboard, choose_two, empty_columns
from netagent.grafana.queries import (
    ALL,
    Interpolator,
    NotRawInfluxQL,
    TimeRange,
    UnresolvedVariable,
    Variable,
    format_interval,
    panel_queries,
    variables,
)

Q_STATE = 'SELECT last("state") FROM "device_status" WHERE "quartiere" =~ /^$quartiere$/ AND $timeFilter GROUP BY "device"'
Q_RTT = 'SELECT mean("rtt_avg_ms") FROM "icmp" WHERE "device" =~ /^${device}$/ AND $timeFilter GROUP BY time($__interval)'


def small_dashboard() -> dict[str, Any]:
    ds = {"type": "influxdb", "uid": "netagent-influxdb"}
    return {
        "uid": "hand-made",
        "templating": {
            "list": [
                {
                    "type": "query",
                    "name": "quartiere",
                    "multi": True,
                    "includeAll": True,
                    "query": 'SHOW TAG VALUES FROM "device_status" WITH KEY = "quartiere"',
                },
                {
                    "type": "query",
                    "name": "device",
                    "multi": True,
                    "includeAll": True,
                    "allValue": ".*",
                    "query": {
                        "query": 'SHOW TAG VALUES FROM "device_status" WITH KEY = "device" WHERE "quartiere" =~ /^$quartiere$/'
                    },
                },
                {"type": "custom", "name": "ignored", "query": "a,b"},
            ]
        },
        "annotations": {
            "list": [
                {
                    "name": "Alerts",
                    "datasource": ds,
                    "query": 'SELECT "text" FROM "alert" WHERE $timeFilter',
                }
            ]
        },
        "panels": [
            {
                "type": "stat",
                "title": "States",
                "targets": [
                    {"refId": "A", "rawQuery": True, "query": Q_STATE, "resultFormat": "table"}
                ],
            },
            {
                "type": "row",
                "title": "Collapsed",
                "collapsed": True,
                "panels": [
                    {
                        "type": "timeseries",
                        "title": "RTT",
                        "interval": "1m",
                        "targets": [{"refId": "A", "rawQuery": True, "query": Q_RTT}],
                    }
                ],
            },
        ],
    }


def test_extracts_nested_panels_annotations_and_query_variables() -> None:
    dash = small_dashboard()
    pqs = panel_queries(dash)
    assert [p.where for p in pqs] == [
        "panel 'States' query A",
        "panel 'RTT' query A",
        "annotation Alerts",
    ]
    assert pqs[1].min_interval == "1m" and pqs[0].result_format == "table"
    vs = variables(dash)
    assert [v.name for v in vs] == ["quartiere", "device"]
    assert vs[1].all_value == ".*" and "WITH KEY" in vs[1].query


def test_a_visual_editor_target_is_refused() -> None:
    dash = small_dashboard()
    dash["panels"][0]["targets"][0]["rawQuery"] = False
    with pytest.raises(NotRawInfluxQL, match="panel 'States' query A"):
        panel_queries(dash)


def test_multi_value_variables_become_escaped_regex_alternations() -> None:
    q, d = variables(small_dashboard())
    it = Interpolator(TimeRange("now-6h", "now"))
    options = ["Centro Storico", "Sesso (Villa Sesso)"]
    it.select(q, ALL, options)
    it.select(d, ALL, ["ap-1"])
    out = it.interpolate(Q_STATE)
    assert out == (
        'SELECT last("state") FROM "device_status" WHERE "quartiere" =~ '
        r"/^(Centro Storico|Sesso \(Villa Sesso\))$/ AND time >= now() - 6h "
        'GROUP BY "device"'
    )
    # a custom all value goes in unescaped; one value is escaped without parentheses
    assert "=~ /^.*$/" in it.interpolate(Q_RTT)
    it.select(q, ["Sesso (Villa Sesso)"], options)
    assert r"/^Sesso \(Villa Sesso\)$/" in it.interpolate(Q_STATE)
    assert (
        it.interpolate("${quartiere:raw}|[[quartiere]]")
        == r"Sesso (Villa Sesso)|Sesso \(Villa Sesso\)"
    )


def test_single_value_variable_is_regex_escaped_unless_numeric() -> None:
    it = Interpolator()
    it.select(Variable("v", "q"), ["a.b"], ["a.b"])
    it.select(Variable("n", "q"), ["1.5"], ["1.5"])
    assert it.interpolate("$v $n") == r"a\.b 1.5"


def test_time_filter_and_interval_follow_grafana() -> None:
    rel = Interpolator(TimeRange("now-6h", "now"))
    assert rel.interpolate("$timeFilter") == "time >= now() - 6h"
    # 6 h over 1000 points is 21.6 s: Grafana rounds that to 20 s
    assert rel.interpolate("$__interval $interval $__interval_ms") == "20s 20s 20000"
    assert rel.interpolate("$__interval", min_interval="1m") == "1m"
    absolute = Interpolator(TimeRange(1_700_000_000_000, 1_700_000_060_000))
    assert absolute.interpolate("$__timeFilter") == (
        "time >= 1700000000000ms and time <= 1700000060000ms"
    )
    assert absolute.interpolate("$__interval") == "50ms"
    assert [format_interval(ms) for ms in (500, 5000, 60000, 7200000, 86400000)] == [
        "500ms",
        "5s",
        "1m",
        "2h",
        "1d",
    ]


def test_unknown_variable_is_an_error_naming_it() -> None:
    with pytest.raises(UnresolvedVariable, match=r"\$nope"):
        Interpolator().interpolate("SELECT * FROM x WHERE a =~ /^$nope$/")


def test_variable_regex_filters_and_captures() -> None:
    v = Variable("q", "", regex="/^(?!comune$).*/")
    assert v.filter(["comune", "Rosta Nuova", "Bagno"]) == ["Bagno", "Rosta Nuova"]
    assert Variable("q", "", regex="/ap-(.*)/").filter(["ap-x", "sw-y"]) == ["x"]


def test_empty_columns() -> None:
    series = [
        {"columns": ["time", "a", "b"], "values": [[1, None, 2], [2, None, None]]},
        {"columns": ["time", "a"], "values": [[1, None]]},
    ]
    assert empty_columns(series) == ["a"]


def test_check_reports_errors_empty_results_and_empty_columns(influxdb: Any) -> None:
    """The checker against a real influxd holding a few hand-written points."""
    import httpx

    influxdb.create_database()
    now = time.time_ns()
    lines = "\n".join(
        [
            f'device_status,device=ap-1,quartiere=Sesso\\ (Villa\\ Sesso) state="down",since=1i {now}',
            f'device_status,device=ap-2,quartiere=Centro state="up",since=1i {now}',
            f"icmp,device=ap-1 rtt_avg_ms=1.5 {now}",
            f'alert,device=ap-1 text="ap-1 down" {now}',
        ]
    )
    httpx.post(f"{influxdb.url}/write", params={"db": "netagent"}, content=lines).raise_for_status()
    run = HttpInfluxQL(InfluxConfig(url=influxdb.url, api="v1", database="netagent"))
    try:
        dash = small_dashboard()
        assert check_dashboard(dash, run, TimeRange("now-1h", "now")) == []
        assert check_dashboard(dash, run, TimeRange("now-1h", "now"), choose_two) == []
        renamed = small_dashboard()
        renamed["panels"][0]["transformations"] = [
            {
                "id": "filterByValue",
                "options": {"filters": [{"fieldName": "status", "config": {"id": "equal"}}]},
            }
        ]
        (problem,) = check_dashboard(renamed, run, TimeRange("now-1h", "now"))
        assert (
            problem.reason == "the panel refers to column(s) status that the query does not return"
        )
        dash["panels"][0]["targets"][0]["query"] = Q_STATE.replace(
            '"state"', '"state"), last("lat"'
        )
        dash["panels"][1]["panels"][0]["targets"][0]["query"] = Q_RTT.replace("icmp", "wifi")
        dash["annotations"]["list"][0]["query"] = "SELEC nonsense"
        problems = check_dashboard(dash, run, TimeRange("now-1h", "now"))
        reasons = {p.where: p.reason for p in problems}
        assert reasons["panel 'States' query A"] == "no value in column(s) last_1"
        assert reasons["panel 'RTT' query A"] == "no series returned"
        assert reasons["annotation Alerts"].startswith("InfluxDB error: error parsing query")
    finally:
        run.close()


def test_simulated_devices_get_the_inventory_port_names() -> None:
    """The proof lab's switches carry the ports the fibre dashboard asks for, all up."""
    from netagent.agent.demo.simlab import device_records

    lines = device_records("switch", "sw-x", seed=1, ports=["sfp-sfpplus1", "ether1", "ether2"])
    values = {ln.split("|")[0]: ln.split("|", 2)[2] for ln in lines}
    names = [v for oid, v in values.items() if oid.startswith("1.3.6.1.2.1.31.1.1.1.1.")]
    assert names == ["sfp-sfpplus1", "ether1", "ether2"]
    assert [values[f"1.3.6.1.2.1.2.2.1.8.{i}"] for i in (1, 2, 3)] == ["1", "1", "1"]  # up
    oids = [tuple(int(x) for x in oid.split(".")) for oid in values]
    assert oids == sorted(oids) and len(oids) == len(lines)
    assert "1.3.6.1.2.1.2.2.1.2.4" not in values  # only the named ports


def repeated_dashboard() -> dict[str, Any]:
    """A row repeated per device (expanded: it owns the panels after it), then a
    collapsed row that repeats nothing."""
    dash = small_dashboard()
    rtt = {
        "type": "timeseries",
        "title": "RTT of $device",
        "targets": [{"refId": "A", "rawQuery": True, "query": Q_RTT}],
    }
    dash["panels"] = [
        {"type": "row", "title": "$device", "collapsed": False, "repeat": "device", "panels": []},
        rtt,
        {
            "type": "row",
            "title": "Rest",
            "collapsed": True,
            "panels": [deepcopy(rtt) | {"title": "all"}],
        },
    ]
    return dash


def test_panels_after_a_repeated_row_are_repeated_with_it() -> None:
    pqs = panel_queries(repeated_dashboard())
    assert [(p.where, p.repeat) for p in pqs] == [
        ("panel 'RTT of $device' query A", "device"),
        ("panel 'all' query A", None),
        ("annotation Alerts", None),
    ]
    _, device = variables(repeated_dashboard())
    it = Interpolator()
    it.select(device, ALL, ["ap-1", "ap (2)"])
    copies = [c.interpolate(Q_RTT) for c in it.repeats("device")]
    assert ["=~ /^ap-1$/" in copies[0], r"=~ /^ap \(2\)$/" in copies[1]] == [True, True]


def test_a_repeated_panel_runs_once_per_value_as_grafana_draws_it(influxdb: Any) -> None:
    """Each copy must run; together they must show data (one device without RTT is fine).
    A value Grafana cannot put in an InfluxQL regex (a "/") fails the copy that has it."""
    import httpx

    influxdb.create_database()
    now = time.time_ns()
    lines = [
        f'device_status,device=ap-1,quartiere=Centro state="up",since=1i {now}',
        f'device_status,device=ap-2,quartiere=Centro state="up",since=1i {now}',
        f"icmp,device=ap-1 rtt_avg_ms=1.5 {now}",
        f'alert,device=ap-1 text="ap-1 down" {now}',
    ]

    def write(text: str) -> None:
        httpx.post(
            f"{influxdb.url}/write", params={"db": "netagent"}, content=text
        ).raise_for_status()

    write("\n".join(lines))
    run = HttpInfluxQL(InfluxConfig(url=influxdb.url, api="v1", database="netagent"))
    try:
        assert check_dashboard(repeated_dashboard(), run, TimeRange("now-1h", "now")) == []
        write(f'device_status,device=ge-0/1,quartiere=Centro state="up" {now}')
        (problem,) = check_dashboard(repeated_dashboard(), run, TimeRange("now-1h", "now"))
        assert problem.where == "panel 'RTT of $device' query A"
        assert "=~ /^ge-0/1$/" in problem.query and "InfluxDB error" in problem.reason
        # what the committed dashboards write in a repeated panel instead: one value, equal
        as_string = repeated_dashboard()
        target = as_string["panels"][1]["targets"][0]
        target["query"] = target["query"].replace("=~ /^${device}$/", "= '${device:raw}'")
        assert check_dashboard(as_string, run, TimeRange("now-1h", "now")) == []
    finally:
        run.close()
