"""`netagent netbox plan` against a NetBox that is not there (a wrong port, a server
down): one line, exit 3, saying why the way the system does ("Connection refused"), not
only the class name "ConnectionError"; the token is never printed."""

from __future__ import annotations

from pathlib import Path

from tests.cli_operator import operator
from tests.fixtures.ports import free_port

TOKEN = "0123456789abcdef0123456789abcdef01234567"


def test_netbox_plan_against_a_closed_port(tmp_path: Path) -> None:
    op = operator(tmp_path)
    token = tmp_path / "netbox.token"
    token.write_text(TOKEN)
    token.chmod(0o600)
    url = f"http://127.0.0.1:{free_port()}"
    with op.config.open("a") as f:
        f.write(f'[netbox]\nurl = "{url}"\ntoken_file = "{token}"\nretries = 0\n')
    r = op.run("netbox", "plan")
    assert r.returncode == 3, r.stdout + r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert f"NetBox at {url} unreachable: ConnectionError: [Errno 111] Connection refused" in line
    assert TOKEN not in r.stdout + r.stderr and "Traceback" not in r.stderr
