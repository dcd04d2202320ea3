"""TLS as real deployments have it, with certificates made at test time (trustme and
cryptography): every certificate problem is a one-line preflight stop naming the problem and
the variables that fix it, exit 8 after one connection, never retried; a private CA given through
REQUESTS_CA_BUNDLE is a conforming run."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conformance.settings import Settings
from conformance.wire.session import TransportFault
from harness.embedded import EmbeddedKeys
from tests.selftest.engine.guarded import guarded
from tests.selftest.suite_runner import TEMPLATE, reference_server, run_suite

KEYS = EmbeddedKeys("cc_tls_a1b2c3d4e5f6", "cc_tls_ro_a1b2c3d4", "cc_tls_b_a1b2c3d4", TEMPLATE)
PAST = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


def _issued(tmp: Path, ca: trustme.CA, *hosts: str, expired: bool = False) -> tuple[str, str]:
    when = {"not_before": PAST, "not_after": PAST + datetime.timedelta(days=1)} if expired else {}
    cert = ca.issue_cert(*hosts, **when)
    certfile, keyfile = tmp / "cert.pem", tmp / "key.pem"
    certfile.write_bytes(b"".join(p.bytes() for p in cert.cert_chain_pems))
    keyfile.write_bytes(cert.private_key_pem.bytes())
    return str(certfile), str(keyfile)


def _self_signed(tmp: Path) -> tuple[str, str]:
    """A leaf that signs itself, valid for 127.0.0.1: no CA anywhere vouches for it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = tmp / "cert.pem", tmp / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(certfile), str(keyfile)


@contextmanager
def _counting_relay(url: str) -> Iterator[tuple[str, list[int]]]:
    """A TCP relay in front of `url` that counts the connections made through it (the TLS
    handshake passes through untouched); yields its URL and the count, as a one-item list."""
    host, port = url.rsplit("//", 1)[1].rsplit(":", 1)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    count, stop = [0], threading.Event()
    opened: list[socket.socket] = []

    def pipe(src: socket.socket, dst: socket.socket) -> None:
        with suppress(OSError):
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        with suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            count[0] += 1
            upstream = socket.create_connection((host, int(port)), timeout=10)
            opened.extend((client, upstream))
            client.settimeout(10)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=pipe, args=(a, b), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}", count
    finally:
        stop.set()
        thread.join(timeout=5)
        for sock in (listener, *opened):
            sock.close()


def _suite(reports: Path, url: str, **env: str):
    return run_suite(reports, BASE_URL=url, API_KEY=KEYS.api_key, **env)


@pytest.mark.parametrize(
    ("case", "problem"),
    [
        ("self-signed", "self-signed"),
        ("private CA not given", "untrusted issuer"),
        ("expired", "expired"),
        ("wrong host", "host-name mismatch"),
    ],
)
def test_certificate_problem_is_one_line_stop(case: str, problem: str, tmp_path: Path) -> None:
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    env: dict[str, str] = {}
    if case == "self-signed":
        tls = _self_signed(tmp_path)
    elif case == "private CA not given":
        tls = _issued(tmp_path, ca, "127.0.0.1")
    elif case == "expired":
        tls, env = (
            _issued(tmp_path, ca, "127.0.0.1", expired=True),
            {"REQUESTS_CA_BUNDLE": str(bundle)},
        )
    else:
        tls, env = _issued(tmp_path, ca, "api.example.test"), {"REQUESTS_CA_BUNDLE": str(bundle)}
    with reference_server(KEYS, tls=tls) as url, _counting_relay(url) as (relayed, connections):
        run = _suite(tmp_path / "reports", relayed, **env)
    assert run.code == 8, run.output[-3000:]
    stops = [line for line in run.output.splitlines() if "certificate" in line]
    assert stops, run.output[-3000:]
    assert problem in stops[0] and "REQUESTS_CA_BUNDLE" in stops[0], stops
    assert "SSL_CERT_FILE" in stops[0], stops
    assert "Traceback" not in run.output and "_pytest.outcomes.Exit" not in run.output, run.output
    assert len(run.output.splitlines()) < 15, run.output
    # The stop is one attempt, never retried: one connection reached the server.
    assert connections == [1], connections


def test_private_ca_given_is_conforming(tmp_path: Path) -> None:
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with reference_server(KEYS, tls=_issued(tmp_path, ca, "127.0.0.1")) as url:
        run = _suite(
            tmp_path / "reports",
            url,
            REQUESTS_CA_BUNDLE=str(bundle),
            FORBIDDEN_API_KEY=KEYS.forbidden_api_key,
            OTHER_API_KEY=KEYS.other_api_key,
            TEMPLATE_ID=KEYS.template_id,
        )
    assert url.startswith("https://")
    assert run.code == 0, run.output[-3000:]


def test_ssl_cert_file_names_the_ca_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """requests reads only REQUESTS_CA_BUNDLE; the suite honours OpenSSL's SSL_CERT_FILE too."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    with reference_server(KEYS, tls=_issued(tmp_path, ca, "127.0.0.1")) as url:
        session = guarded(Settings(base_url=url, api_key=KEYS.api_key))[0]
        answer = session.post(url + "/v2/campaigns", json={}, headers={"x-api-key": KEYS.api_key})
        # Without the CA, a caller's verify=False is not obeyed: checking stays on.
        monkeypatch.delenv("SSL_CERT_FILE")
        unsure = guarded(Settings(base_url=url, api_key=KEYS.api_key))[0]
        with pytest.raises(TransportFault) as refused:
            unsure.post(url + "/v2/campaigns", json={}, verify=False)
    assert answer.status_code == 422
    assert refused.value.kind == "tls-certificate"
