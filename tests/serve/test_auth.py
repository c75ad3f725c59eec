"""Who may call the server: tokens over real HTTP, never printed, and no open port without one."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys

import pytest

from staleguard.errors import ConfigError
from staleguard.params import ServeAuth
from staleguard.serve.auth import Tokens, check_bind, is_loopback
from tests.conftest import free_port
from tests.serve.process import call, output, params_file, serving

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serve-http")]
TOKEN = "s3cret-token-for-the-tests-0123456789"
NEW = "the-rotated-token-abcdefghijklmnop"
ANY = "0.0.0.0"  # noqa: S104  (every interface: what must be refused without a token)


def test_tokens_accept_only_their_own_and_refuse_weak_ones(tmp_path):
    tokens = Tokens.from_settings(ServeAuth(), {"STALEGUARD_TOKEN": TOKEN})
    assert tokens.accepts(TOKEN) and not tokens.accepts(TOKEN[:-1]) and not tokens.accepts(TOKEN + "x")
    assert tokens.describe() == "token from $STALEGUARD_TOKEN" and TOKEN not in repr(vars(tokens))
    with pytest.raises(ConfigError, match=r"^\$STALEGUARD_TOKEN: a token must be at least 16 characters"):
        Tokens.from_settings(ServeAuth(), {"STALEGUARD_TOKEN": "short"})
    file = tmp_path / "token"
    file.write_text(f"# rotating\n{TOKEN}\nshort one\n")
    with pytest.raises(ConfigError, match=r"token file .*token, line 3: a token must be") as err:
        Tokens.from_settings(ServeAuth(token_file=str(file)), {})
    assert TOKEN not in str(err.value) and "short one" not in str(err.value)
    with pytest.raises(ConfigError, match="cannot be read"):
        Tokens.from_settings(ServeAuth(), {"STALEGUARD_TOKEN_FILE": str(tmp_path / "none")})


def test_a_token_file_is_re_read_when_it_changes(tmp_path, monkeypatch):
    file = tmp_path / "token"
    file.write_text(TOKEN + "\n")
    tokens = Tokens.from_settings(ServeAuth(token_file=str(file)), {})
    monkeypatch.setattr("staleguard.serve.auth.RECHECK_SECONDS", 0.0)
    file.write_text(f"{TOKEN}\n{NEW}\n")  # rotation, step 1: both valid
    assert tokens.accepts(NEW) and tokens.accepts(TOKEN)
    file.write_text(f"{NEW}\n")          # step 2: clients moved, the old one goes
    assert tokens.accepts(NEW) and not tokens.accepts(TOKEN)
    file.write_text("")                  # a broken rotation keeps the tokens that worked
    assert tokens.accepts(NEW)


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                                ("[::1]", True), (ANY, False), ("10.1.2.3", False),
                                                ("myhost", False), ("", False)])
def test_loopback_addresses(host, loopback):
    assert is_loopback(host) is loopback


def test_check_bind_refuses_beyond_loopback_without_a_token_unless_told_to():
    none, some = Tokens(None, None), Tokens(TOKEN, None)
    assert "loopback only" in check_bind("127.0.0.1", none, False)
    assert "needs a bearer token" in check_bind(ANY, some, False)
    with pytest.raises(ConfigError, match="refusing to listen beyond loopback without a token"):
        check_bind(ANY, none, False)
    assert "WARNING" in check_bind(ANY, none, True)


def test_actuals_need_the_token_predict_does_not_and_no_token_is_printed(tmp_path, model_file, row):
    env = {"STALEGUARD_TOKEN": TOKEN}
    with serving(tmp_path, model_file, env=env) as (url, _):
        assert call(f"{url}/predict", row)[0] == 200  # serve.auth.predict: false
        labels = [{"timestamp": row["timestamp"], "cnt": 5}]
        status, body = call(f"{url}/actuals", labels)
        assert status == 401 and body == {"message": "missing bearer token: send the header "
                                                     "'Authorization: Bearer <token>'"}
        assert call(f"{url}/actuals", labels, token="not-the-token-at-all-but-long")[0] == 403
        status, body = call(f"{url}/actuals", labels, token=TOKEN)
        assert status == 200 and body["labeled"] == 1
    said = output(tmp_path)
    assert "serve: auth: /actuals needs a bearer token (token from $STALEGUARD_TOKEN)" in said
    assert TOKEN not in said
    for path in tmp_path.rglob("*"):  # not in the journal, the store or anything else written
        assert not path.is_file() or path.name == "params.yaml" or TOKEN.encode() not in path.read_bytes()


def test_predict_needs_the_token_when_told_to(tmp_path, model_file, row):
    file = tmp_path / "secret"
    file.write_text(TOKEN + "\n")
    env = {"STALEGUARD_TOKEN_FILE": str(file)}
    with serving(tmp_path, model_file, env=env, auth={"predict": True}) as (url, _):
        assert call(f"{url}/predict", row)[0] == 401
        assert call(f"{url}/predict", row, token=TOKEN)[0] == 200
        assert call(f"{url}/health")[0] == 200  # health and model stay open: no labels, no rows


def test_serve_refuses_a_non_loopback_address_without_a_token_in_one_line(tmp_path, model_file):
    cmd = [sys.executable, "-m", "staleguard.cli", "--params", str(params_file(tmp_path)), "serve",
           "--model", str(model_file), "--host", ANY, "--port", str(free_port())]
    env = {k: v for k, v in os.environ.items() if not k.startswith("STALEGUARD_TOKEN")}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "staleguard: error: serve --host 0.0.0.0: refusing to listen beyond loopback without a token; "
        "set $STALEGUARD_TOKEN or $STALEGUARD_TOKEN_FILE (or serve.auth.allow_no_token: true, "
        "--allow-no-token, to run open)"]


def test_serve_opens_a_non_loopback_address_when_told_to_and_says_so(tmp_path, model_file, row):
    """0.0.0.0 inside a fresh network namespace (only its own loopback), so nothing is exposed."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-rn", "true"]).returncode != 0:
        pytest.skip("needs `unshare -rn` (a private network namespace)")
    port = free_port()
    serve = [sys.executable, "-m", "staleguard.cli", "--params", str(params_file(tmp_path)), "serve",
             "--model", str(model_file), "--host", ANY, "--port", str(port), "--allow-no-token",
             "--store", str(tmp_path / "store")]
    client = [sys.executable, "-c", CLIENT, f"http://127.0.0.1:{port}/predict", json.dumps(row)]
    script = (f"ip link set lo up && {shlex.join(serve)} > serve.log 2>&1 & pid=$!; "
              f"{shlex.join(client)}; kill $pid; wait $pid")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STALEGUARD_TOKEN")}
    proc = subprocess.run(["unshare", "-rn", "sh", "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=180, env=env)
    assert proc.stdout.strip() == "200", (proc.stdout, proc.stderr)
    log = (tmp_path / "serve.log").read_text()
    assert ("serve: auth: WARNING: serve.auth.allow_no_token is set: listening on 0.0.0.0 with NO token; "
            "anyone who can reach the port can post labels to /actuals") in log


CLIENT = """
import sys, time, urllib.request
for _ in range(900):
    try:
        req = urllib.request.Request(sys.argv[1], sys.argv[2].encode(), {"Content-Type": "application/json"})
        print(urllib.request.urlopen(req, timeout=10).status)
        break
    except OSError:
        time.sleep(0.1)
"""
