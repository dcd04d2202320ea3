"""Every way an exchange can fail, as one kind and one line: what requests, urllib3, ssl and
http.client raise is read from the whole chain of causes (requests wraps urllib3, which wraps
the socket's and http.client's own), never from text.

The kinds, and what raises them:

| kind | raised as |
|---|---|
| tls-certificate | ssl.SSLCertVerificationError, ssl.CertificateError (inside urllib3/requests SSLError) |
| tls | any other ssl.SSLError (handshake, protocol version, a TLS alert) |
| proxy | requests ProxyError, urllib3 ProxyError (the proxy refused, failed or answered CONNECT with an error) |
| dns | urllib3 NameResolutionError, socket.gaierror |
| connect-timeout | urllib3 ConnectTimeoutError (inside requests ConnectTimeout) |
| refused | urllib3 NewConnectionError, ConnectionRefusedError, other OSErrors of connect |
| deadline | the total deadline (REQUEST_TIMEOUT) cut the exchange; urllib3 ReadTimeoutError, TimeoutError |
| framing | http.client BadStatusLine/LineTooLong/UnknownProtocol, "got more than 100 headers", urllib3 InvalidChunkLength, requests InvalidHeader (conflicting Content-Length), and `ambiguous_framing` |
| size | the body is over MAX_BODY (decoded) |
| decoding | urllib3 DecodeError, requests ContentDecodingError (a Content-Encoding that does not decode) |
| reset | ConnectionResetError, BrokenPipeError, http.client RemoteDisconnected/IncompleteRead, urllib3 ProtocolError, requests ChunkedEncodingError (the body ended early) |
| other | anything else of the HTTP stack: named by its type |
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Iterator, Mapping
from types import MappingProxyType

import requests
import urllib3
import urllib3.exceptions as u3

# Certificate verification codes (OpenSSL's X509_V_ERR_*) as the problem a person fixes.
_CERT_PROBLEMS: Mapping[int, str] = MappingProxyType(
    {
        18: "self-signed certificate",
        19: "untrusted issuer (a self-signed CA in the chain)",
        20: "untrusted issuer (unable to get the local issuer certificate)",
        21: "untrusted issuer (unable to verify the first certificate)",
        2: "untrusted issuer (unable to get the issuer certificate)",
        10: "expired certificate",
        9: "certificate not yet valid",
        62: "host-name mismatch",
        64: "host-name mismatch (IP address)",
    }
)
CA_HINT = (
    "certificate checking stays on; if the certificate is right, name its CA's PEM file in "
    "REQUESTS_CA_BUNDLE (or SSL_CERT_FILE)"
)


def causes(exc: BaseException | None) -> Iterator[BaseException]:
    """An exception and everything it wraps: urllib3's `reason` (only when it is an exception:
    ssl.SSLError's `reason` is a string), exceptions among its args, its cause and context."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        cur = todo.pop(0)
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        reason = getattr(cur, "reason", None)
        inner = [a for a in cur.args if isinstance(a, BaseException)]
        todo += [reason if isinstance(reason, BaseException) else None, *inner]
        todo += [cur.__cause__, cur.__context__]


def _first(chain: list[BaseException], *types: type[BaseException]) -> BaseException | None:
    return next((e for e in chain if isinstance(e, types)), None)


def certificate_problem(exc: BaseException) -> str:
    code = getattr(exc, "verify_code", None)
    if isinstance(code, int) and code in _CERT_PROBLEMS:
        return _CERT_PROBLEMS[code]
    if isinstance(exc, ssl.CertificateError) and "match" in str(exc).lower():
        return "host-name mismatch"
    return str(getattr(exc, "verify_message", "") or exc)


def classify(exc: BaseException | None, url: str = "") -> tuple[str, str]:
    """(kind, one line) for a failed exchange; `url` is what was asked."""
    chain = list(causes(exc))
    at = f" ({url})" if url else ""
    if (cert := _first(chain, ssl.SSLCertVerificationError, ssl.CertificateError)) is not None:
        return "tls-certificate", f"TLS {certificate_problem(cert)}{at}: {CA_HINT}"
    if (tls := _first(chain, ssl.SSLError)) is not None:
        reason = getattr(tls, "reason", None) or type(tls).__name__
        if str(reason).upper() in ("WRONG_VERSION_NUMBER", "HTTP_REQUEST"):
            # A plain-HTTP server answers the TLS hello with an HTTP error: not a TLS server.
            return "tls", (
                f"TLS failure{at}: {reason}: this port speaks plain HTTP, not TLS; "
                "use an http:// BASE_URL, or the port that serves https"
            )
        return "tls", f"TLS failure{at}: {reason}"
    if _first(chain, requests.exceptions.ProxyError, u3.ProxyError) is not None:
        return "proxy", f"the proxy failed or refused the connection{at}"
    if _first(chain, u3.NameResolutionError, socket.gaierror) is not None:
        return "dns", f"host name does not resolve{at}"
    # urllib3's NewConnectionError is a ConnectTimeoutError too: only the plain one timed out.
    if any(type(e) is u3.ConnectTimeoutError for e in chain):
        return "connect-timeout", f"connect timed out{at}"
    if _first(chain, u3.NewConnectionError, ConnectionRefusedError) is not None:
        return "refused", f"connection refused{at}"
    if _first(chain, u3.ReadTimeoutError, requests.exceptions.ReadTimeout, TimeoutError):
        return "deadline", f"no complete answer in time{at}"
    if _first(chain, u3.InvalidHeader) is not None:  # urllib3's check of Content-Length
        why = "conflicting Content-Length values (RFC 9112 §6.3, item 5)"
        return "framing", f"ambiguous framing, the response discarded: {why}{at}"
    if _first(chain, http.client.RemoteDisconnected) is not None:  # a BadStatusLine, but a reset
        return "reset", f"the connection closed before a complete answer{at}"
    framing = (
        http.client.BadStatusLine,
        http.client.LineTooLong,
        http.client.UnknownProtocol,
        u3.InvalidChunkLength,
        u3.HeaderParsingError,
        requests.exceptions.InvalidHeader,
    )
    if _first(chain, *framing) is not None or any(
        type(e) is http.client.HTTPException for e in chain
    ):
        return "framing", f"the response is not a well-framed HTTP message{at}"
    if _first(chain, u3.DecodeError, requests.exceptions.ContentDecodingError) is not None:
        return "decoding", f"the body does not decode as its Content-Encoding says{at}"
    reset = (
        ConnectionResetError,
        BrokenPipeError,
        http.client.RemoteDisconnected,
        http.client.IncompleteRead,
        u3.ProtocolError,
        u3.IncompleteRead,
    )
    if _first(chain, *reset) is not None:
        return "reset", f"the connection closed before a complete answer{at}"
    name = type(chain[0]).__name__ if chain else "unknown error"
    return "other", f"{name} talking to the target{at}"


def ambiguous_framing(headers: urllib3.HTTPHeaderDict) -> str:
    """Why a response's framing cannot be trusted, or "". RFC 9112 §6.3: both Transfer-Encoding
    and Content-Length "ought to be handled as an error" (item 3: it may be request smuggling
    or response splitting), and Content-Length values that differ make the framing invalid, an
    "unrecoverable error" whose response the user agent MUST discard (item 5). Either way no
    status or body of it is judged: a transport fault of kind `framing`, not a finding."""
    lengths = {v.strip() for line in headers.getlist("content-length") for v in line.split(",")}
    if headers.getlist("transfer-encoding") and lengths:
        return "both Transfer-Encoding and Content-Length (RFC 9112 §6.3, item 3)"
    if len(lengths) > 1:
        return f"conflicting Content-Length values {sorted(lengths)} (RFC 9112 §6.3, item 5)"
    return ""
