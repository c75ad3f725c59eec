"""Download the data source, verify its checksum, and write the raw file without half-written files.

`data:` in params.yaml says what to fetch: `url` (overridable with STALEGUARD_DATA_URL; a file://
URL or a plain path works), its `sha256`, and `member`, the file to take out of a zip or tar
archive (without `member`, the download is the data file itself, e.g. a CSV or Parquet file).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from tqdm import tqdm

from staleguard.errors import FetchError
from staleguard.io import atomic_path

URL_ENV = "STALEGUARD_DATA_URL"
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
    """Extract the file named `member` (matched on its base name) of a zip or tar to `dest`
    atomically."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            names = {Path(n).name: n for n in zf.namelist() if not n.endswith("/")}
            if member not in names:
                raise FetchError(f"{source}: the zip has no {member} (found {sorted(names)})")
            with zf.open(names[member]) as src, atomic_path(dest) as tmp, tmp.open("wb") as out:
                shutil.copyfileobj(src, out)
        return
    try:
        with tarfile.open(archive) as tf:
            files = {Path(m.name).name: m for m in tf.getmembers() if m.isfile()}
            if member not in files:
                raise FetchError(f"{source}: the tar has no {member} (found {sorted(files)})")
            reader = tf.extractfile(files[member])
            if reader is None:
                raise FetchError(f"{source}: {member} in the tar is not a regular file")
            with reader, atomic_path(dest) as tmp, tmp.open("wb") as out:
                shutil.copyfileobj(reader, out)
    except tarfile.TarError as err:
        raise FetchError(f"{source}: not a zip or tar archive, but data.member is {member!r} "
                         f"({err})") from err


def fetch(url: str, sha256: str, dest: Path, *, member: str | None = None,
          progress: bool = True) -> Path:
    """Download `url`, check it against `sha256`, and write it (or its `member`) to `dest`.

    `dest` is replaced only when every check has passed, so a failure leaves data/ as it was.
    """
    with tempfile.TemporaryDirectory(prefix="staleguard-fetch-") as tmp:
        download_path = Path(tmp) / "download"
        download(url, download_path, progress=progress)
        got = sha256_of(download_path)
        if got != sha256:
            raise FetchError(
                f"{url}: sha256 mismatch: expected {sha256}, got {got}; "
                "the file is not the one data.sha256 in params.yaml names"
            )
        if member:
            extract_member(download_path, member, dest, source=url)
        else:
            with atomic_path(dest) as out:
                shutil.copyfile(download_path, out)
    return dest
