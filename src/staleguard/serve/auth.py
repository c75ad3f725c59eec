"""Who may call the server: bearer tokens for writes, and no open port without one.

Labels posted to /actuals drive the monitor's quality check and the retraining PR, so once a token
is configured /actuals needs it (and /predict too with serve.auth.predict). The token comes from
$STALEGUARD_TOKEN or from a file ($STALEGUARD_TOKEN_FILE, serve.auth.token_file; one token a line,
so two can be valid while clients move to a new one). The file is re-read when it changes. Only
sha256 digests are kept, compared in constant time; no token is ever printed.

Without any token the server listens on loopback only: asked for another address it refuses to
start, unless serve.auth.allow_no_token is set (then it says so at start).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import Request

from staleguard.errors import ConfigError, StaleguardError
from staleguard.params import ServeAuth

TOKEN_ENV, TOKEN_FILE_ENV = "STALEGUARD_TOKEN", "STALEGUARD_TOKEN_FILE"
MIN_LENGTH = 16
RECHECK_SECONDS = 1.0  # how often a token file is checked for a change (on authenticated requests)
HOW = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


class AuthError(StaleguardError):
    """A request without an accepted token: 401 (none, or malformed) or 403 (not accepted)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def token_problem(token: str, where: str) -> str | None:
    if len(token) < MIN_LENGTH or any(c.isspace() for c in token):
        return (f"{where}: a token must be at least {MIN_LENGTH} characters without spaces "
                f"(make one with `{HOW}`)")
    return None


class Tokens:
    """The accepted tokens (digests only): from the environment and/or a file kept up to date."""

    def __init__(self, env_token: str | None, file: Path | None) -> None:
        self.file = file
        self.env: list[bytes] = []
        if env_token is not None:
            problem = token_problem(env_token.strip(), f"${TOKEN_ENV}")
            if problem:
                raise ConfigError(problem)
            self.env = [digest(env_token.strip())]
        self.stamp: tuple[int, int] | None = None
        self.from_file: list[bytes] = self._read() if file else []
        self.checked = time.monotonic()

    @classmethod
    def from_settings(cls, auth: ServeAuth, environ: Mapping[str, str] = os.environ) -> Tokens:
        file = environ.get(TOKEN_FILE_ENV) or auth.token_file
        return cls(environ.get(TOKEN_ENV) or None, Path(file) if file else None)

    def __bool__(self) -> bool:
        return bool(self.env or self.file)

    def describe(self) -> str:
        parts = ([f"${TOKEN_ENV}"] if self.env else []) + ([f"{len(self.from_file)} in {self.file}"]
                                                            if self.file else [])
        return "token from " + " and ".join(parts)

    def accepts(self, token: str) -> bool:
        """Constant time in the token: every accepted digest is compared, whatever matched."""
        if self.file and time.monotonic() - self.checked > RECHECK_SECONDS:
            self._refresh()
        presented, ok = digest(token), False
        for known in self.env + self.from_file:
            ok |= hmac.compare_digest(presented, known)
        return ok

    def _read(self) -> list[bytes]:
        """The file's tokens (one a line, `#` comments); a problem names the line, never the value."""
        assert self.file is not None  # noqa: S101  (only called with a file)
        try:
            stat = self.file.stat()
            lines = self.file.read_text().splitlines()
        except OSError as err:
            raise ConfigError(f"token file {self.file}: cannot be read ({err.strerror}); mount the secret "
                              f"there or set ${TOKEN_ENV}") from err
        tokens = []
        for number, line in enumerate(lines, 1):
            text = line.strip()
            if text and not text.startswith("#"):
                problem = token_problem(text, f"token file {self.file}, line {number}")
                if problem:
                    raise ConfigError(problem)
                tokens.append(digest(text))
        if not tokens:
            raise ConfigError(f"token file {self.file}: no token in it (one token a line; make one with "
                              f"`{HOW}`)")
        self.stamp = (stat.st_mtime_ns, stat.st_size)
        return tokens

    def _refresh(self) -> None:
        """Re-read a changed file (once per change); an unreadable or invalid one keeps the old tokens."""
        self.checked = time.monotonic()
        try:
            stat = self.file.stat()  # type: ignore[union-attr]
            stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = None
        if stamp == self.stamp:
            return
        self.stamp = stamp
        try:
            self.from_file = self._read()
        except ConfigError as err:
            print(f"serve: auth: keeping the previous tokens: {err}", file=sys.stderr, flush=True)
            return
        print(f"serve: auth: {self.file} changed: {len(self.from_file)} token(s) accepted now",
              file=sys.stderr, flush=True)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def check_bind(host: str, tokens: Tokens, allow_no_token: bool) -> str:
    """The start-up line about access; a non-loopback address with no token refuses to start."""
    if tokens:
        return f"auth: /actuals needs a bearer token ({tokens.describe()})"
    if is_loopback(host):
        return (f"auth: no token set (${TOKEN_ENV} / ${TOKEN_FILE_ENV}): listening on loopback only, "
                "open to local callers")
    if not allow_no_token:
        raise ConfigError(f"serve --host {host}: refusing to listen beyond loopback without a token; "
                          f"set ${TOKEN_ENV} or ${TOKEN_FILE_ENV} (or serve.auth.allow_no_token: true, "
                          "--allow-no-token, to run open)")
    return (f"auth: WARNING: serve.auth.allow_no_token is set: listening on {host} with NO token; anyone "
            "who can reach the port can post labels to /actuals")


def requirement(tokens: Tokens) -> Callable[[Request], Awaitable[None]]:
    """A route dependency that lets a request through only with an accepted bearer token."""

    async def bearer(request: Request) -> None:
        header = request.headers.get("authorization")
        if header is None:
            raise AuthError(401, "missing bearer token: send the header 'Authorization: Bearer <token>'")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise AuthError(401, "malformed Authorization header: expected 'Bearer <token>'")
        if not tokens.accepts(value.strip()):
            raise AuthError(403, "bearer token not accepted")

    return bearer


def dependencies(tokens: Tokens, needed: bool) -> list[Any]:
    """Route dependencies: none at all when no token is needed (no cost on the request path)."""
    from fastapi import Depends

    return [Depends(requirement(tokens))] if tokens and needed else []
