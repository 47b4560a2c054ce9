"""Addresses as a person types them: `HOST`, `HOST:PORT`, `[v6addr]:PORT`, bare IPv6.

Host names are resolved here, once, so every command that takes an address takes a name
too, with the same error when it does not resolve. The standard library's `ipaddress` and
`getaddrinfo` do the work; `[v6]:port` is split as the SNMP collector splits it
(`netagent.collectors.snmp.config.split_host_port`, one reading for the inventory and the CLI).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

import typer

from netagent.agent.cli import common
from netagent.collectors.snmp.config import parse_host_port, split_host_port


@dataclass(frozen=True)
class Endpoint:
    spec: str  # as given, shown back to the person who gave it
    address: str  # an IP address
    port: int | None


class Unresolved(Exception):
    """A host name that did not resolve; `code` tells a typo (2) from a resolver down (3)."""

    def __init__(self, message: str, code: common.ExitCode) -> None:
        super().__init__(message)
        self.code = code


def split(spec: str) -> tuple[str, str | None]:
    """(host, port or None) as `split_host_port` reads it; a bad spec is a usage error."""
    try:
        return split_host_port(spec)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


def resolve(host: str) -> str:
    """An IP address for `host` (itself when it is one)."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if not host:
        raise Unresolved("empty host name", common.ExitCode.USAGE)
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    except socket.gaierror as e:
        temporary = e.errno in (socket.EAI_AGAIN, getattr(socket, "EAI_SYSTEM", None))
        code = common.ExitCode.FAILED if temporary else common.ExitCode.USAGE
        raise Unresolved(f"{host!r} does not resolve: {e.strerror}", code) from None
    return str(infos[0][4][0])


def parse(spec: str, default_port: int | None) -> Endpoint:
    """`spec` split and resolved; `default_port` None: a port is refused (ICMP has none)."""
    host, port = split(spec)
    if port is not None and default_port is None:
        raise typer.BadParameter(f"{spec!r}: expected an address or host name, no port")
    number = default_port
    if port is not None and default_port is not None:
        try:
            host, number = parse_host_port(spec, default_port)
        except ValueError as e:
            raise typer.BadParameter(str(e)) from None
    return Endpoint(spec, resolve(host), number)


def parse_all(specs: list[str], default_port: int | None) -> list[Endpoint]:
    """Every spec parsed, or one line for the first bad one and the exit it deserves."""
    out = []
    for spec in specs:
        try:
            out.append(parse(spec, default_port))
        except typer.BadParameter as e:
            common.err.print(f"error: {e.message}", markup=False)
            raise typer.Exit(common.ExitCode.USAGE) from None
        except Unresolved as e:
            common.err.print(f"error: {spec!r}: {e}", markup=False)
            raise typer.Exit(e.code) from None
    return out
