# One image for the five services; each Deployment picks its module (`python -m liveline_<svc>`).
# Not built on liveline's CI machines (no Docker engine there); see docs/operations.md.
FROM python:3.11-slim-bookworm AS build
RUN pip install --no-cache-dir uv==0.13.8
WORKDIR /app
COPY pyproject.toml uv.lock .python-version ./
COPY shared shared
COPY services services
COPY deploy/local deploy/local
RUN UV_PYTHON_DOWNLOADS=never uv sync --frozen --no-dev --no-editable

FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd -g 10001 liveline && useradd -u 10001 -g 10001 -M -s /usr/sbin/nologin liveline
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 10001:10001
