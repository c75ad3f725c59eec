"""Download the UCI zip, verify its checksum and extract hour.csv without half-written files.

The URL comes from params.yaml, overridable with STALEGUARD_DATA_URL (a file:// URL works).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from tqdm import tqdm

from staleguard.errors import FetchError
from staleguard.io import atomic_path

URL_ENV = "STALEGUARD_DATA_URL"
MEMBER = "hour.csv"
CHUNK = 1 << 16


def resolve_url(default: str) -> str:
    """The download URL: STALEGUARD_DATA_URL when set, else the one in params.yaml."""
    return os.environ.get(URL_ENV) or default


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, dest: Path, *, progress: bool = True) -> None:
    """Stream `url` to `dest` with a progress bar; any network or file error is a FetchError."""
    if "://" not in url:
        url = Path(url).resolve().as_uri()
    if url.split("://", 1)[0].lower() not in ("https", "http", "file"):
        raise FetchError(f"{url}: cannot download (only https://, http:// and file:// URLs)")
    try:  # the scheme is checked above; the content by its sha256 afterwards
        with urllib.request.urlopen(url, timeout=60) as resp, dest.open("wb") as out:  # noqa: S310
            total = int(resp.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc="download",
                      disable=not progress, leave=False) as bar:
                for block in iter(lambda: resp.read(CHUNK), b""):
                    out.write(block)
                    bar.update(len(block))
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        raise FetchError(f"{url}: cannot download ({reason})") from err


def extract_member(archive: Path, member: str, dest: Path, *, source: str) -> None:
    """Extract one member of a zip to `dest` atomically."""
    try:
        with zipfile.ZipFile(archive) as zf:
            names = {Path(n).name: n for n in zf.namelist()}
            if member not in names:
                raise FetchError(f"{source}: the zip has no {member} (found {sorted(names)})")
            with zf.open(names[member]) as src, atomic_path(dest) as tmp, tmp.open("wb") as out:
                shutil.copyfileobj(src, out)
    except zipfile.BadZipFile as err:
        raise FetchError(f"{source}: not a zip archive ({err})") from err


def fetch(url: str, sha256: str, dest: Path, *, progress: bool = True) -> Path:
    """Download `url`, check it against `sha256`, and extract hour.csv to `dest`.

    `dest` is replaced only when every check has passed, so a failure leaves data/ as it was.
    """
    with tempfile.TemporaryDirectory(prefix="staleguard-fetch-") as tmp:
        archive = Path(tmp) / "download.zip"
        download(url, archive, progress=progress)
        got = sha256_of(archive)
        if got != sha256:
            raise FetchError(
                f"{url}: sha256 mismatch: expected {sha256}, got {got}; "
                "the file is not the official UCI archive"
            )
        extract_member(archive, MEMBER, dest, source=url)
    return dest
