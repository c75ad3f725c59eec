#!/bin/sh
# Entrypoint of the serving image (Dockerfile): check the baked-in model against the md5 the
# build recorded, say what is served, then exec the server so that SIGTERM reaches it directly
# (uvicorn shuts down cleanly and the prediction log flushes). Extra arguments go to `serve`.
# It listens on 0.0.0.0, so serve refuses to start without a token: mount one and set
# STALEGUARD_TOKEN_FILE (or STALEGUARD_TOKEN); `--allow-no-token` runs it open, and says so.
set -eu

model_dir="${STALEGUARD_MODEL_DIR:-/srv/model}"
model="$model_dir/model.skops"
port="${PORT:-8000}"

if [ ! -f "$model" ]; then
  echo "entrypoint: $model not found; build with the model staged by \`staleguard registry resolve <version> --into build/model\`" >&2
  exit 1
fi
got="$(md5sum "$model" | cut -d ' ' -f 1)"
if [ -n "${MODEL_MD5:-}" ] && [ "$got" != "$MODEL_MD5" ]; then
  echo "entrypoint: $model has md5 $got, but the image was built for ${MODEL_VERSION:-?} with md5 $MODEL_MD5" >&2
  exit 1
fi
echo "entrypoint: serving model ${MODEL_VERSION:-unregistered} (md5 $got) on port $port"
exec staleguard --params "${STALEGUARD_PARAMS:-/srv/params.yaml}" serve --model "$model" \
  --host 0.0.0.0 --port "$port" "$@"
