#!/usr/bin/env bash
# PR job: commit the run's results (dvc.lock and the `cache: false` outputs under reports/,
# e.g. metrics.json, plot data, drift.json) back to the PR branch, so what is merged is what
# was reviewed, and the next run skips every unchanged stage.
# The outputs themselves were pushed to the DVC remote before this step.
#
# env: HEAD_REF (PR branch), HEAD_SHA (its head commit), PUSH_TOKEN (contents: write; optional
# for a local origin). The token goes to git through GIT_CONFIG_* environment variables: it is
# never printed, never on a command line, never written to .git/config.
set -euo pipefail
: "${HEAD_REF:?HEAD_REF (the PR branch) is required}" "${HEAD_SHA:?HEAD_SHA is required}"

# Changed tracked files (also when DVC's autostage staged them) and new, not ignored files:
# the `cache: false` outputs live in git; the cached ones are on the DVC remote already.
keep="$(mktemp -d)"
{ git diff --name-only --diff-filter=d HEAD -- dvc.lock reports
  git ls-files --others --exclude-standard -- reports; } | sort -u > "$keep/files"
if [[ ! -s "$keep/files" ]]; then
  echo "results unchanged: nothing to commit back to $HEAD_REF"
  exit 0
fi

# The checkout is the PR's merge commit; the results commit goes on top of the PR head.
tar -cf "$keep/results.tar" -T "$keep/files"
git checkout -q -f -B "$HEAD_REF" "$HEAD_SHA"
tar -xf "$keep/results.tar"
xargs -a "$keep/files" git add --
if git diff --cached --quiet; then
  echo "results already on $HEAD_REF: nothing to commit"
  exit 0
fi
git -c user.name="github-actions[bot]" \
    -c user.email="41898282+github-actions[bot]@users.noreply.github.com" \
    commit -q -m "Results of the PR pipeline run (dvc.lock, metrics)" \
    -m "Pushed by the pr workflow: the DVC outputs are on the remote; this is what was reviewed."

origin="$(git remote get-url origin)"
if [[ "$origin" == http*://* && -n "${PUSH_TOKEN:-}" ]]; then
  host="${origin#*://}"; host="${host%%/*}"; host="${host##*@}"
  export GIT_CONFIG_COUNT=1
  export GIT_CONFIG_KEY_0="http.https://$host/.extraheader"
  GIT_CONFIG_VALUE_0="AUTHORIZATION: basic $(printf 'x-access-token:%s' "$PUSH_TOKEN" | base64 -w0)"
  export GIT_CONFIG_VALUE_0
fi
git push -q origin "HEAD:refs/heads/$HEAD_REF"
echo "results committed to $HEAD_REF: $(git rev-parse --short HEAD) ($(tr '\n' ' ' < "$keep/files"))"
