"""The github-branch image mode: pure Markdown rewriting, and the push to a real (bare) origin."""

from __future__ import annotations

import subprocess

import pytest

from staleguard.errors import StaleguardError
from staleguard.report import images
from tests.conftest import run

MD = ('# Report\n\n![pr residuals](pr_residuals.png) ![base](base/pr_residuals.png "t")\n'
      "![remote](https://example.com/x.png) ![again](pr_residuals.png)\n"
      "![missing](gone.png) [a link](notes.md)\n")


def test_resolve_mode_picks_the_branch_for_private_repositories():
    assert images.resolve_mode("auto", {"repository": {"private": True}}) == "github-branch"
    assert images.resolve_mode("auto", {"repository": {"private": False}}) == "cml"
    assert images.resolve_mode("auto", {}) == "cml"
    assert images.resolve_mode("cml", {"repository": {"private": True}}) == "cml"
    with pytest.raises(StaleguardError, match=r"report\.images: 'imgur'"):
        images.resolve_mode("imgur", {})


def test_local_images_are_the_relative_ones_once_each_and_paths_stay_unique():
    refs = images.local_images(MD)
    assert refs == ["pr_residuals.png", "base/pr_residuals.png", "gone.png"]
    assert images.asset_paths("pr-7/abcdef12", refs[:2]) == {
        "pr_residuals.png": "pr-7/abcdef12/pr_residuals.png",
        "base/pr_residuals.png": "pr-7/abcdef12/2-pr_residuals.png"}


def test_rewrite_changes_only_the_mapped_images():
    url = images.blob_url("https://github.com", "o/r", "staleguard-assets", "pr-7/a b.png")
    assert url == "https://github.com/o/r/blob/staleguard-assets/pr-7/a%20b.png?raw=true"
    out = images.rewrite(MD, {"pr_residuals.png": url})
    assert out.count(url) == 2 and "(base/pr_residuals.png \"t\")" in out
    assert "https://example.com/x.png" in out and "(gone.png)" in out and "(notes.md)" in out


def test_host_on_branch_commits_to_an_orphan_branch_and_is_idempotent(tmp_path, monkeypatch):
    bare, work = tmp_path / "origin.git", tmp_path / "work"
    run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], tmp_path)
    run(["git", "clone", "-q", str(bare), str(work)], tmp_path)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty",
         "-m", "code"], work)
    run(["git", "push", "-q", "origin", "HEAD:main"], work)
    md = work / "reports" / "report.md"
    md.parent.mkdir()
    (md.parent / "pr_residuals.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    (md.parent / "base").mkdir()
    (md.parent / "base" / "pr_residuals.png").write_bytes(b"\x89PNG\r\n\x1a\nbase")
    md.write_text(MD)
    monkeypatch.chdir(work)

    urls = images.host_on_branch(md, "o/r", "https://github.com", "pr-7/abcdef12")
    assert set(urls) == {"pr_residuals.png", "base/pr_residuals.png"}  # gone.png stays local
    text = md.read_text()
    assert "(pr_residuals.png)" not in text and "(gone.png)" in text
    assert ("https://github.com/o/r/blob/staleguard-assets/pr-7/abcdef12/2-pr_residuals.png"
            "?raw=true") in text
    blob = subprocess.run(["git", "--git-dir", str(bare), "show",
                           "staleguard-assets:pr-7/abcdef12/2-pr_residuals.png"],
                          capture_output=True, check=True).stdout
    assert blob == b"\x89PNG\r\n\x1a\nbase"
    log = ["git", "--git-dir", str(bare), "log", "--format=%P", "staleguard-assets"]
    assert run(log, tmp_path).stdout.split("\n")[0] == ""  # an orphan: no parent, no code
    tree = run(["git", "--git-dir", str(bare), "ls-tree", "-r", "--name-only",
                "staleguard-assets"], tmp_path).stdout.split()
    assert tree == ["pr-7/abcdef12/2-pr_residuals.png", "pr-7/abcdef12/pr_residuals.png"]

    # a re-run pushes nothing new; the next commit's plots go beside the first ones
    md.write_text(MD)
    images.host_on_branch(md, "o/r", "https://github.com", "pr-7/abcdef12")
    assert len(run(log, tmp_path).stdout.split("\n")) == 2  # one commit (+ trailing newline)
    md.write_text(MD)
    images.host_on_branch(md, "o/r", "https://github.com", "pr-7/99999999")
    assert len(run(["git", "--git-dir", str(bare), "ls-tree", "-r", "--name-only",
                    "staleguard-assets"], tmp_path).stdout.split()) == 4


def test_github_context_names_the_folder_after_the_pr_and_its_head(tmp_path):
    event = tmp_path / "event.json"
    event.write_text('{"pull_request": {"number": 7, "head": {"sha": "0123456789abcdef"}},'
                     ' "repository": {"private": true}}')
    ctx = images.github_context({"GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "o/r",
                                 "GITHUB_SERVER_URL": "https://ghe.example"})
    assert (ctx["folder"], ctx["repo"], ctx["server"]) == ("pr-7/01234567", "o/r", "https://ghe.example")
    assert images.resolve_mode("auto", ctx["event"]) == "github-branch"
    ctx = images.github_context({"GITHUB_RUN_ID": "42", "GITHUB_SHA": "fedcba9876543210"})
    assert ctx["folder"] == "run-42/fedcba98" and ctx["server"] == "https://github.com"


def test_cli_in_cml_mode_leaves_the_markdown_and_asks_cml_to_publish(tmp_path, monkeypatch):
    from staleguard.cli import main

    md = tmp_path / "report.md"
    md.write_text(MD)
    out = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    main(["report", "images", str(md), "--mode", "auto"])
    assert out.read_text() == "mode=cml\npublish=--publish\n"
    assert md.read_text() == MD
