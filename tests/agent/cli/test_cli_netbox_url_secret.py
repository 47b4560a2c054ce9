"""A NetBox URL that carries credentials (`https://user:password@netbox/`, as a reverse
proxy with basic auth asks for) while NetBox cannot be reached: the error named the URL
whole, password included, on every command that pulls the inventory and in the daemon's
journal. The host and port are what the operator needs; the userinfo is never shown.
With -v each retry is said too (15 s of silence at the default back-off otherwise)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_operator import operator
from tests.fixtures.ports import free_port

PASSWORD = "pw-n3tb0x-secret"


@pytest.mark.parametrize("written_in", ["file", "env"])
def test_an_unreachable_netbox_never_shows_the_password_in_its_url(
    tmp_path: Path, written_in: str
) -> None:
    op = operator(tmp_path)
    port = free_port()  # nothing listens there
    url = f"http://netagent:{PASSWORD}@127.0.0.1:{port}/"
    netbox = "[netbox]\nretries = 1\nbackoff_s = 0\n" + (
        f'url = "{url}"\n' if written_in == "file" else ""
    )
    op.write_config(f'source = "netbox"\n{netbox}')
    env = {"NETAGENT_NETBOX__TOKEN": "0123456789abcdef0123456789abcdef01234567"}
    if written_in == "env":
        env["NETAGENT_NETBOX__URL"] = url
    for args in (("inventory", "show"), ("run", "--once"), ("netbox", "targets")):
        r = op.run(*args, "-v", env=env)
        said = r.stdout + r.stderr
        assert r.returncode == 3, (args, said)
        assert f"127.0.0.1:{port}" in said and "unreachable" in said, (args, said)
        assert PASSWORD not in said, (args, said)
        retried = [ln for ln in r.stderr.splitlines() if "retry 1 of 1" in ln]
        assert retried and "Connection refused" in retried[0], (args, said)
