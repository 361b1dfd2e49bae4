# liveline's two images, from one Dockerfile. They are not built on liveline's own machines (no
# Docker engine there); the release pipeline builds and pushes them, then pins the digests in
# deploy/k8s/overlays/prod:
#   docker build --target service -t ghcr.io/liveline/liveline:<version> .
#       order, slots, queue-notifier and gateway; each Deployment runs `python -m liveline_<svc>`
#   docker build --target media -t ghcr.io/liveline/liveline-media:<version> .
#       the media API and the media worker: the same, plus ffmpeg and the CJK font of the overlay
# Both run as the unprivileged user 10001 (the Deployments' runAsUser) with a read-only root
# filesystem; the only writable place is the /tmp volume the Deployments mount.
ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
RUN pip install --no-cache-dir uv==0.13.8
WORKDIR /app
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
COPY pyproject.toml uv.lock .python-version ./
COPY shared shared
COPY services services
# A workspace member (the local dev stack); listed in uv.lock, not installed without --dev.
COPY deploy/local/pyproject.toml deploy/local/pyproject.toml
COPY deploy/local/src deploy/local/src
RUN uv sync --frozen --no-dev --no-editable

FROM ${PYTHON_IMAGE} AS service
RUN groupadd -g 10001 liveline && useradd -u 10001 -g 10001 -M -s /usr/sbin/nologin liveline
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
USER 10001:10001

FROM service AS media
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg fonts-wqy-zenhei \
 && rm -rf /var/lib/apt/lists/*
USER 10001:10001
