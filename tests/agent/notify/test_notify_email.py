"""Email through a real SMTP server (aiosmtpd) with STARTTLS (self-signed cert made here,
trusted through ca_file) and AUTH; the password never reaches the log."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from netagent.agent.notify.config import EmailConfig, NotifyConfig, RetryConfig
from tests.alerts_lab import BRANCH_APS, Lab
from tests.fixtures.ports import free_port

USER, PASSWORD = "noc", "s3cret-Coviolo-42"


def self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "smtp.crt", tmp / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        if ok:
            self.logins.append(USER)
        return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    port: int
    ca_file: Path
    box: Mailbox


def _serve(tmp_path: Path, implicit: bool) -> Iterator[SmtpServer]:
    cert, key = self_signed(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    box = Mailbox()
    port = free_port()
    # aiosmtpd only counts STARTTLS as "TLS" for auth_require_tls; SMTPS is TLS throughout.
    mode: dict[str, Any] = (
        {"ssl_context": tls, "auth_require_tls": False}
        if implicit
        else {"tls_context": tls, "require_starttls": True, "auth_require_tls": True}
    )
    ctl = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        auth_required=True,
        authenticator=box.authenticate,
        **mode,
    )
    ctl.start()
    try:
        yield SmtpServer(port, cert, box)
    finally:
        ctl.stop()


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    yield from _serve(tmp_path, implicit=False)


@pytest.fixture
def smtps_server(tmp_path: Path) -> Iterator[SmtpServer]:
    """SMTPS: TLS from the first byte, as on port 465."""
    yield from _serve(tmp_path, implicit=True)


def mail_lab(tmp_path: Path, srv: SmtpServer, password: str = PASSWORD, **kw: Any) -> Lab:
    email = EmailConfig.model_validate(
        {
            "host": "127.0.0.1",
            "port": srv.port,
            "ca_file": srv.ca_file,
            "username": USER,
            "password": password,
            "from": "netagent@comune.re.it",
            "to": ["noc@comune.re.it"],
            **kw,
        }
    )
    return Lab(
        tmp_path / "state",
        notify=NotifyConfig(email=email, retry=RetryConfig(first_delay_s=1, max_delay_s=5)),
    )


def test_root_cause_mail_over_starttls_with_auth(
    tmp_path: Path, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    lab = mail_lab(tmp_path, smtp_server)
    lab.rounds(4, down={"rpt-coviolo-nord", *BRANCH_APS})
    lab.rounds(2)
    firing, resolved = smtp_server.box.messages
    assert smtp_server.box.logins == [USER, USER]
    assert firing["Subject"] == (
        "[netagent FIRING critical] rpt-coviolo-nord down (5 devices cut off)"
    )
    assert firing["To"] == "noc@comune.re.it"
    payload = firing.get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode()
    assert "radio link Coviolo BS-Nord" in body
    for ap in BRANCH_APS:
        assert ap in body
    assert "quartieri: Coviolo, Rivalta" in body
    assert resolved["Subject"].startswith("[netagent RESOLVED] rpt-coviolo-nord")
    assert PASSWORD not in caplog.text


def test_implicit_tls_smtps_with_auth(tmp_path: Path, smtps_server: SmtpServer) -> None:
    lab = mail_lab(tmp_path, smtps_server, implicit_tls=True)
    lab.rounds(3, down={"ap-centro"})
    [firing] = smtps_server.box.messages
    assert firing["Subject"].startswith("[netagent FIRING critical] ap-centro down")
    assert smtps_server.box.logins == [USER]


def test_wrong_password_is_retried_reported_and_not_logged(
    tmp_path: Path, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "not-the-" + PASSWORD
    lab = mail_lab(tmp_path, smtp_server, password=wrong)
    lab.rounds(5, down={"ap-centro"})
    health = lab.router.health["email"]
    assert health.failed_attempts >= 2 and health.delivered == 0
    assert "535" in health.last_error
    assert lab.store.queue.depth() == 1
    assert smtp_server.box.messages == []
    assert wrong not in caplog.text and wrong not in health.last_error


def test_untrusted_certificate_is_refused(tmp_path: Path, smtp_server: SmtpServer) -> None:
    lab = mail_lab(tmp_path, smtp_server, ca_file=None)
    lab.rounds(3, down={"ap-centro"})
    assert "CERTIFICATE_VERIFY_FAILED" in lab.router.health["email"].last_error
    assert smtp_server.box.messages == []


def test_password_is_not_in_config_repr() -> None:
    cfg = EmailConfig.model_validate({"host": "h", "password": PASSWORD, "to": ["a@b"]})
    assert PASSWORD not in repr(cfg) and PASSWORD not in cfg.model_dump_json()
