import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from staleguard.data.fetch import fetch, resolve_url, sha256_of
from staleguard.errors import FetchError
from tests.conftest import zip_path

OFFICIAL_SHA = "b70182d0d0508e9abbb79306ce5c0cec34869000f8220175ac83d11dbe845401"
HOUR_SHA = "e03de4ee4ef4dc376ac6e04bf829673c6269e8eba5c60fa121640fa2f829504f"


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    """An existing hour.csv that a failed fetch must leave untouched."""
    path = tmp_path / "data" / "hour.csv"
    path.parent.mkdir()
    path.write_text("previous contents\n")
    return path


def untouched(dest: Path) -> bool:
    leftovers = [p.name for p in dest.parent.iterdir() if p.name != "hour.csv"]
    return dest.read_text() == "previous contents\n" and not leftovers


def test_fetch_good_checksum_extracts_hour_csv(dest):
    fetch(zip_path().as_uri(), OFFICIAL_SHA, dest, member="hour.csv", progress=False)
    assert sha256_of(dest) == HOUR_SHA
    assert [p.name for p in dest.parent.iterdir()] == ["hour.csv"]


def test_fetch_accepts_a_plain_path(dest):
    fetch(str(zip_path()), OFFICIAL_SHA, dest, member="hour.csv", progress=False)
    assert sha256_of(dest) == HOUR_SHA


def test_fetch_bad_checksum_is_refused_and_leaves_data(dest):
    wrong = hashlib.sha256(b"not it").hexdigest()
    with pytest.raises(FetchError, match=rf"sha256 mismatch: expected {wrong}, got {OFFICIAL_SHA}"):
        fetch(zip_path().as_uri(), wrong, dest, member="hour.csv", progress=False)
    assert untouched(dest)


def test_fetch_missing_url_is_one_clear_error(dest, tmp_path):
    missing = (tmp_path / "nowhere.zip").as_uri()
    with pytest.raises(FetchError, match=r"nowhere.zip: cannot download"):
        fetch(missing, OFFICIAL_SHA, dest, member="hour.csv", progress=False)
    assert untouched(dest)


def test_fetch_unreachable_host_is_one_clear_error(dest):
    with pytest.raises(FetchError, match=r"http://127.0.0.1:9/x.zip: cannot download"):
        fetch("http://127.0.0.1:9/x.zip", OFFICIAL_SHA, dest, member="hour.csv", progress=False)
    assert untouched(dest)


def test_fetch_zip_without_hour_csv_is_refused(dest, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("day.csv", "a,b\n1,2\n")
    archive = tmp_path / "other.zip"
    archive.write_bytes(buf.getvalue())
    with pytest.raises(FetchError, match=r"other.zip: the zip has no hour.csv \(found \['day.csv'\]\)"):
        fetch(archive.as_uri(), sha256_of(archive), dest, member="hour.csv", progress=False)
    assert untouched(dest)


def test_fetch_not_a_zip_is_refused(dest, tmp_path):
    archive = tmp_path / "fake.zip"
    archive.write_text("<html>rate limited</html>")
    with pytest.raises(FetchError, match=r"fake.zip: not a zip or tar archive, but data.member is "):
        fetch(archive.as_uri(), sha256_of(archive), dest, member="hour.csv", progress=False)
    assert untouched(dest)


def test_resolve_url_prefers_the_environment(monkeypatch):
    monkeypatch.setenv("STALEGUARD_DATA_URL", "file:///x.zip")
    assert resolve_url("https://example.org/a.zip") == "file:///x.zip"
    monkeypatch.delenv("STALEGUARD_DATA_URL")
    assert resolve_url("https://example.org/a.zip") == "https://example.org/a.zip"


def test_fetch_refuses_other_url_schemes_before_any_request(dest):
    with pytest.raises(FetchError, match=r"ftp://example\.com/x\.zip: cannot download \(only https"):
        fetch("ftp://example.com/x.zip", "0" * 64, dest)
    assert untouched(dest)


def test_fetch_without_member_takes_the_download_as_the_data_file(dest, tmp_path):
    source = tmp_path / "weather.csv"
    source.write_text("time,ghi\n2020-01-01 00:00,0\n")
    fetch(source.as_uri(), sha256_of(source), dest, progress=False)
    assert dest.read_text() == source.read_text()
    assert [p.name for p in dest.parent.iterdir()] == ["hour.csv"]


def test_fetch_takes_the_member_out_of_a_tar(dest, tmp_path):
    import tarfile

    inner = tmp_path / "readings.csv"
    inner.write_text("time,value\n2020-01-01 00:00,1\n")
    archive = tmp_path / "src.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(inner, arcname="nested/readings.csv")
    fetch(archive.as_uri(), sha256_of(archive), dest, member="readings.csv", progress=False)
    assert dest.read_text() == inner.read_text()
    with pytest.raises(FetchError, match=r"src.tar.gz: the tar has no other.csv \(found \['readings.csv'\]"):
        fetch(archive.as_uri(), sha256_of(archive), dest, member="other.csv", progress=False)


def test_cli_fetch_without_url_says_to_dvc_add_the_file(tmp_path, monkeypatch, capsys):
    from staleguard.cli import main

    monkeypatch.delenv("STALEGUARD_DATA_URL", raising=False)
    root = Path(__file__).resolve().parents[1]
    params = tmp_path / "params.yaml"
    params.write_text((root / "tests" / "fixtures" / "tmy3" / "params.yaml").read_text())
    assert main(["--params", str(params), "data", "fetch", "--no-dvc"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (f"staleguard: error: {params}: data.url and data.sha256 are not set: put the raw "
                   "file at data/tmy3.csv and track it with `dvc add data`")
