#!/usr/bin/env bash
# PR job: get the pipeline's inputs. With a DVC remote configured, pull from it (data is
# required; pipeline outputs are pulled when present so unchanged stages are not re-run).
# Without one (a repository fresh from the template), bootstrap the raw data from the
# official URL; the report then says the results are not persisted.
# A PR from a fork (FORK=true) gets no secrets: when its pull fails, it bootstraps too (the
# verdict is then computed on the official data; nothing is pushed for a fork anyway).
# Writes persisted=true|false to $GITHUB_OUTPUT.
set -euo pipefail

out="${GITHUB_OUTPUT:-/dev/null}"
remote="$(dvc config core.remote 2>/dev/null || true)"  # `dvc remote default` prints a sentence when unset

if [[ -z "$remote" ]]; then
  echo "::warning::No DVC remote configured: bootstrapping the data from the official URL; results will not be persisted (see docs/pr-workflow.md)."
  staleguard data fetch
  echo "persisted=false" >> "$out"
  exit 0
fi

url="$(dvc remote list | awk -v r="$remote" '$1 == r {print $2}')"
if ! dvc pull data.dvc; then
  if [[ "${FORK:-false}" == true ]]; then
    echo "::warning::A fork's PR gets no secrets, and the DVC remote '$remote' could not be read without them: bootstrapping the data from the official URL (data.url); the verdict is computed on it, nothing is persisted."
    staleguard data fetch
    echo "persisted=false" >> "$out"
    exit 0
  fi
  echo "::error::dvc pull failed: DVC remote '$remote' ($url) is empty, unreachable, or the credentials are wrong; it must hold the data in data.dvc. Push it once from a clone that has it (dvc push), and check the remote's secrets (docs/pr-workflow.md)."
  exit 1
fi
# Outputs of main's last run: optional, they only save recomputation.
dvc pull --quiet --allow-missing || echo "::notice::some pipeline outputs are not on the remote; dvc repro recomputes them"
echo "persisted=true" >> "$out"
