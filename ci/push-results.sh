#!/usr/bin/env bash
# PR job: commit the run's results (dvc.lock and the `cache: false` outputs under reports/,
# e.g. metrics.json, plot data, drift.json) back to the PR branch, so what is merged is what
# was reviewed, and the next run skips every unchanged stage.
# The outputs themselves were pushed to the DVC remote before this step.
#
# Safe to re-run ("Re-run jobs" replays the old event) and under quick successive pushes:
# it looks at the branch as it is now, not as the event saw it.
#   * the branch already holds these results              → nothing to do;
#   * the branch moved on by results commits only         → the results go on top of its head;
#   * the branch moved on with new code (or was rewritten) → skip with a notice: a newer run
#     computes, comments and commits the results of that code.
# A push that loses a race is retried from a fresh fetch. `--check` only answers, as the step
# output `current`, whether this run still has the branch's latest code (run before the comment).
# Both write the step output `head`: the branch's final head that holds this run's code and
# results (the commit the verdict's status goes on), empty when a newer push owns the branch.
#
# env: HEAD_REF (PR branch), HEAD_SHA (its head commit in the event), PUSH_TOKEN (contents:
# write; optional for a local origin). The token goes to git through GIT_CONFIG_* environment
# variables: it is never printed, never on a command line, never written to .git/config.
set -euo pipefail
: "${HEAD_REF:?HEAD_REF (the PR branch) is required}" "${HEAD_SHA:?HEAD_SHA is required}"
RESULTS=(dvc.lock reports)   # what a results commit may touch; anything else is code

origin="$(git remote get-url origin)"
if [[ "$origin" == http*://* && -n "${PUSH_TOKEN:-}" ]]; then
  host="${origin#*://}"; host="${host%%/*}"; host="${host##*@}"
  export GIT_CONFIG_COUNT=1
  export GIT_CONFIG_KEY_0="http.https://$host/.extraheader"
  GIT_CONFIG_VALUE_0="AUTHORIZATION: basic $(printf 'x-access-token:%s' "$PUSH_TOKEN" | base64 -w0)"
  export GIT_CONFIG_VALUE_0
fi

# The base to commit on: the branch head when it is the event's commit plus results commits only.
base_for_results() {
  local tip="$1"
  if [[ "$tip" == "$HEAD_SHA" ]]; then echo "$tip"; return; fi
  if ! git merge-base --is-ancestor "$HEAD_SHA" "$tip" 2>/dev/null; then
    echo "::notice::$HEAD_REF was rewritten since this run's commit ${HEAD_SHA:0:8}: not pushing these results; the run of the new head owns them" >&2
    return 1
  fi
  local code
  code="$(git diff --name-only "$HEAD_SHA" "$tip" -- . "${RESULTS[@]/#/:!}")"
  if [[ -n "$code" ]]; then
    echo "::notice::$HEAD_REF moved on from ${HEAD_SHA:0:8} with new code ($(echo "$code" | head -3 | tr '\n' ' ')): not pushing these results; the run of ${tip:0:8} owns them" >&2
    return 1
  fi
  echo "$tip"
}

fetch_tip() {
  git fetch -q origin "+refs/heads/$HEAD_REF:refs/remotes/origin/$HEAD_REF" &&
    git rev-parse "refs/remotes/origin/$HEAD_REF"
}

# `--check`: before the comment, is this run still the PR's latest code? (step output `current`)
# A re-run of an old event after a newer push must not overwrite the newer run's comment.
if [[ "${1:-}" == "--check" ]]; then
  current=false head=""
  if tip="$(fetch_tip)" && head="$(base_for_results "$tip")"; then current=true; fi
  printf 'current=%s\nhead=%s\n' "$current" "$head" >> "${GITHUB_OUTPUT:-/dev/null}"
  echo "this run's commit ${HEAD_SHA:0:8} is the latest code on $HEAD_REF: $current"
  exit 0
fi

# Changed tracked files (also when DVC's autostage staged them) and new, not ignored files:
# the `cache: false` outputs live in git; the cached ones are on the DVC remote already.
keep="$(mktemp -d)"
{ git diff --name-only --diff-filter=d HEAD -- "${RESULTS[@]}"
  git ls-files --others --exclude-standard -- reports; } | sort -u > "$keep/files"
if [[ ! -s "$keep/files" ]]; then
  echo "results unchanged: nothing to commit back to $HEAD_REF"
  if tip="$(fetch_tip)" && head="$(base_for_results "$tip")"; then
    echo "head=$head" >> "${GITHUB_OUTPUT:-/dev/null}"
  fi
  exit 0
fi
tar -cf "$keep/results.tar" -T "$keep/files"

for attempt in 1 2 3; do
  if ! tip="$(fetch_tip)"; then
    echo "::notice::$HEAD_REF is gone from origin: no results to push"
    exit 0
  fi
  base="$(base_for_results "$tip")" || exit 0
  git checkout -q -f -B "$HEAD_REF" "$base"
  tar -xf "$keep/results.tar"
  xargs -a "$keep/files" git add --
  if git diff --cached --quiet; then
    echo "results already on $HEAD_REF (${base:0:8}): nothing to commit"
    echo "head=$base" >> "${GITHUB_OUTPUT:-/dev/null}"
    exit 0
  fi
  git -c user.name="github-actions[bot]" \
      -c user.email="41898282+github-actions[bot]@users.noreply.github.com" \
      commit -q -m "Results of the PR pipeline run (dvc.lock, metrics)" \
      -m "Pushed by the pr workflow for ${HEAD_SHA:0:8}: the DVC outputs are on the remote; this is what was reviewed."
  if git push -q origin "HEAD:refs/heads/$HEAD_REF"; then
    echo "results committed to $HEAD_REF: $(git rev-parse --short HEAD) on ${base:0:8} ($(tr '\n' ' ' < "$keep/files"))"
    echo "head=$(git rev-parse HEAD)" >> "${GITHUB_OUTPUT:-/dev/null}"
    exit 0
  fi
  echo "push to $HEAD_REF lost a race (attempt $attempt): fetching again" >&2
done
echo "::error::could not push the results to $HEAD_REF after 3 attempts" >&2
exit 1
