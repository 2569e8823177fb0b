# syntax=docker/dockerfile:1
# FLTR auth service image. Build from the repo root:
#   docker build -f deploy/auth.Dockerfile -t fltr-auth .
ARG UV_VERSION=0.13.9

FROM ghcr.io/astral-sh/uv:${UV_VERSION} AS uv

# ---- builder: resolve the locked deps of fltr-auth into /app/.venv ----------
FROM python:3.11-slim AS builder
COPY --from=uv /uv /bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# Third-party deps first (cached layer): only the workspace manifests + lock.
COPY pyproject.toml uv.lock ./
COPY services/auth/pyproject.toml services/auth/pyproject.toml
COPY services/content/pyproject.toml services/content/pyproject.toml
COPY shared/pyproject.toml shared/pyproject.toml
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package fltr-auth --no-editable --no-install-workspace
# Then the workspace code it needs, installed as real (non-editable) wheels.
COPY shared shared
COPY services/auth services/auth
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package fltr-auth --no-editable

# ---- runtime: the venv only, non-root -----------------------------------------
FROM python:3.11-slim
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home fltr \
 && mkdir -p /app/var && chown fltr:fltr /app/var
COPY --from=builder --chown=fltr:fltr /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    VAR_DIR=/app/var \
    FLTR_ENV=production
WORKDIR /app
USER fltr
EXPOSE 8001
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8001/health', timeout=4)"]
CMD ["fltr-auth", "serve", "--host", "0.0.0.0", "--port", "8001"]
