"""`netagent config check --connect`: reach every configured server, changing nothing.

- NetBox: GET /api/status/ with the token (a read; a refused token shows here).
- InfluxDB: /ping, then a write of zero points: the server checks the credentials, the
  database/bucket and the write permission, and stores nothing (v1 and v2 alike).
- SMTP: EHLO, STARTTLS or SMTPS as configured, AUTH when a username is set; no mail.
- Webhooks: the TCP connection, and the TLS handshake for https; no request is sent, so
  no receiver sees a test alert.

Each line names the key (and where it was set) and the server as host:port, never a
URL's path, query or userinfo, and runs through the configuration's redactor.
"""

from __future__ import annotations

import functools
import smtplib
import socket
import ssl
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from netagent.agent.checks import Check, fail, ok
from netagent.agent.config import AgentConfig
from netagent.agent.config_layers import Loc, dotted
from netagent.agent.secrets import mask_url

_TIMEOUT_S = 10.0


def connect_checks(cfg: AgentConfig) -> list[Check]:
    out: list[Check] = []
    if cfg.netbox.url:
        out.append(_located(cfg, ("netbox", "url"), lambda: _netbox(cfg)))
    if cfg.influxdb.url:
        out.append(_located(cfg, ("influxdb", "url"), lambda: _influx(cfg)))
    if cfg.notify.email is not None:
        out.append(_located(cfg, ("notify", "email", "host"), lambda: _smtp(cfg)))
    for i, hook in enumerate(cfg.notify.webhooks):
        out.append(
            _located(
                cfg, ("notify", "webhooks", i, "url"), functools.partial(_webhook, str(hook.url))
            )
        )
    return out or [ok("--connect: no server configured (netbox, influxdb, notify)")]


def _located(cfg: AgentConfig, loc: Loc, check: Callable[[], tuple[bool, str]]) -> Check:
    """One line: where the key was set, the key, and the check's verdict."""
    try:
        good, text = check()
    except (OSError, httpx.HTTPError, smtplib.SMTPException, ssl.SSLError) as e:
        good, text = False, _reason(e)
    where = cfg.where(loc)
    line = cfg.redact(f"{where + ': ' if where else ''}{dotted(loc)}: {text}")
    return ok(line) if good else fail(line)


def _reason(e: BaseException) -> str:
    """Why a connection failed, in words (the exception text, not its URL)."""
    if isinstance(e, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted: {e.verify_message}"
    if isinstance(e, smtplib.SMTPAuthenticationError):
        return f"the server refused the login (SMTP {e.smtp_code})"
    if isinstance(e, smtplib.SMTPResponseException):
        return f"the server answered SMTP {e.smtp_code}"
    if isinstance(e, httpx.TimeoutException | TimeoutError | socket.timeout):
        return f"no answer within {_TIMEOUT_S:.0f} s"
    cause: BaseException = e
    while cause.__context__ is not None and not isinstance(cause, OSError):
        cause = cause.__context__
    if isinstance(cause, OSError) and cause.strerror:
        return f"cannot connect: {cause.strerror}"
    return f"cannot connect: {type(e).__name__}"


def _target(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or "?"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _netbox(cfg: AgentConfig) -> tuple[bool, str]:
    nb = cfg.netbox
    token = nb.resolved_token()
    if not token:
        return False, "no token (netbox.token_file or NETAGENT_NETBOX__TOKEN)"
    scheme = "Bearer" if token.startswith("nbt_") else "Token"  # NetBox 4.5 v2 tokens
    with httpx.Client(verify=nb.verify_tls, timeout=min(nb.timeout_s, _TIMEOUT_S)) as client:
        r = client.get(
            f"{nb.url.rstrip('/')}/api/status/",
            headers={"Authorization": f"{scheme} {token}", "Accept": "application/json"},
        )
    there = f"NetBox at {mask_url(nb.url)}"
    if r.status_code in (401, 403):
        return False, f"{there} refused the token (HTTP {r.status_code})"
    if r.status_code != 200:
        return False, f"{there} answered HTTP {r.status_code} to /api/status/"
    version = _json(r).get("netbox-version", "?")
    return True, f"{there}: status read with the token (NetBox {version})"


def _json(r: httpx.Response) -> dict[str, Any]:
    try:
        data = r.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _influx(cfg: AgentConfig) -> tuple[bool, str]:
    ix = cfg.influxdb
    base = ix.url.rstrip("/") if ix.url else ""
    there = f"InfluxDB at {mask_url(base)}"
    with httpx.Client(timeout=min(ix.timeout_s, _TIMEOUT_S)) as client:
        ping = client.get(f"{base}/ping")
        version = ping.headers.get("X-Influxdb-Version", "")
        if ix.api == "v1":
            params = {
                "db": ix.database,
                **({"rp": ix.retention_policy} if ix.retention_policy else {}),
            }
            password = ix.password.get_secret_value() if ix.password else ""
            if ix.username:
                client.auth = httpx.BasicAuth(ix.username, password)
            r = client.post(f"{base}/write", params=params, content=b"")
            what = f"database {ix.database!r}"
        else:
            headers = {"Authorization": f"Token {ix.token.get_secret_value()}"} if ix.token else {}
            r = client.post(
                f"{base}/api/v2/write",
                params={"org": ix.org, "bucket": ix.bucket, "precision": ix.precision},
                content=b"",
                headers=headers,
            )
            what = f"bucket {ix.bucket!r} of org {ix.org!r}"
    running = f" (InfluxDB {version})" if version else ""
    if r.status_code in (200, 204):
        return True, f"{there}{running}: may write to {what} (checked with an empty write)"
    if r.status_code in (401, 403):
        return False, f"{there}{running} refused the credentials for {what} (HTTP {r.status_code})"
    if r.status_code == 404 and ix.api == "v1" and ix.create_database:
        return (
            True,
            f"{there}{running}: {what} not found; the agent creates it"
            " (create_database = true; the user needs admin rights)",
        )
    if r.status_code == 404:
        return False, f"{there}{running}: {what} not found"
    return False, f"{there}{running} answered HTTP {r.status_code} to an empty write to {what}"


def _smtp(cfg: AgentConfig) -> tuple[bool, str]:
    mail = cfg.notify.email
    assert mail is not None
    tls = ssl.create_default_context(cafile=str(mail.ca_file) if mail.ca_file else None)
    timeout = min(mail.timeout_s, _TIMEOUT_S)
    smtp = (
        smtplib.SMTP_SSL(mail.host, mail.port, timeout=timeout, context=tls)
        if mail.implicit_tls
        else smtplib.SMTP(mail.host, mail.port, timeout=timeout)
    )
    steps = ["SMTPS" if mail.implicit_tls else "EHLO"]
    with smtp:
        smtp.ehlo()
        if mail.starttls and not mail.implicit_tls:
            smtp.starttls(context=tls)
            smtp.ehlo()
            steps.append("STARTTLS")
        if mail.username:
            smtp.login(mail.username, mail.password.get_secret_value())
            steps.append(f"login as {mail.username}")
    return True, f"SMTP {mail.host}:{mail.port}: {', '.join(steps)} OK (no mail sent)"


def _webhook(url: str) -> tuple[bool, str]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    with socket.create_connection((host, port), timeout=_TIMEOUT_S) as sock:
        if parts.scheme != "https":
            return True, f"{_target(url)}: TCP connection OK (no request sent)"
        with ssl.create_default_context().wrap_socket(sock, server_hostname=host) as tls:
            version = tls.version()
    return True, f"{_target(url)}: TLS handshake OK ({version}; no request sent)"
