"""`netagent status` with an InfluxDB 1.x URL that carries its credentials (the v1 basic
auth as some offices write it, `http://user:password@host:8086`): the spool line and
`--json` printed the password. They show the URL as `config show` does, userinfo masked."""

from __future__ import annotations

from pathlib import Path

from tests.cli_operator import needs_root, operator
from tests.fixtures.ports import free_port


def test_status_never_prints_the_influxdb_password(tmp_path: Path) -> None:
    needs_root()
    op = operator(tmp_path)
    url = {"NETAGENT_INFLUXDB__URL": f"http://netagent:pw-secret@127.0.0.1:{free_port()}"}
    assert op.run("run", "--once", env=url).returncode == 0
    text, as_json = op.run("status", env=url), op.run("status", "--json", env=url)
    assert "waiting for" in text.stdout and "127.0.0.1" in text.stdout
    for r in (text, as_json):
        assert r.returncode == 0, r.stderr
        assert "pw-secret" not in r.stdout + r.stderr
