# The serving image: `staleguard serve` with ONE registered model baked in (docs/deploy-and-serve.md,
# "Container image"). deploy.yml stages the model with `staleguard registry resolve <version> --into
# build/model` (downloaded by its dvc.lock hash and md5-checked) and tags the image with that
# version. Baked in, not fetched at start: the running container needs no git history, no DVC
# remote and no credentials, starts without network, and an image tag names exactly one model.
#
# The container listens on 0.0.0.0, so `staleguard serve` refuses to start without a bearer token
# (docs/deploy-and-serve.md, "Security"). Pass it at run time, never at build time (a build arg or
# ENV would be in the image's history): a mounted secret file, e.g.
#   docker run -e STALEGUARD_TOKEN_FILE=/run/secrets/staleguard_token \
#     -v "$PWD/token:/run/secrets/staleguard_token:ro" -p 8000:8000 staleguard-serve:v0.0.3
# or -e STALEGUARD_TOKEN (visible in `docker inspect`: prefer the file). /actuals then needs
# `Authorization: Bearer <token>`; /predict too with serve.auth.predict.
#
# Base image: a full version tag. No digest: none could be confirmed from the machine this
# template is built on (it cannot reach a registry); pin one with `docker buildx imagetools inspect`.
FROM python:3.11.14-slim-bookworm

ARG MODEL_DIR=build/model
ARG MODEL_VERSION=unregistered
ARG MODEL_MD5=""

LABEL org.opencontainers.image.title="staleguard serve" \
      org.opencontainers.image.description="Bike-demand predictions from one registered model" \
      org.opencontainers.image.version="${MODEL_VERSION}"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MODEL_VERSION=${MODEL_VERSION} \
    MODEL_MD5=${MODEL_MD5} \
    PORT=8000 \
    STALEGUARD_STORE=/srv/store \
    STALEGUARD_JOURNAL=/srv/journal

RUN groupadd --system --gid 10001 staleguard \
    && useradd --system --uid 10001 --gid 10001 --home-dir /srv --shell /usr/sbin/nologin staleguard

WORKDIR /srv
# Only what serving imports, at the versions of requirements.lock (not DVC, Evidently, the tests)
COPY requirements.lock docker/serve-requirements.txt ./
RUN pip install --no-compile -c requirements.lock -r serve-requirements.txt
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-compile --no-deps . && rm -rf src build

COPY params.yaml ./params.yaml
COPY ${MODEL_DIR}/ ./model/
COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/entrypoint.sh
RUN mkdir -p /srv/store /srv/journal && chown staleguard:staleguard /srv/store /srv/journal

USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['PORT']}/health\", timeout=4)"]
ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
