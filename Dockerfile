# pricewatch in the locked environment (uv.lock, `uv sync --frozen`): runs `pricewatch run`,
# `pricewatch serve` or a Prefect process worker for prefect.yaml. README, "Scheduling".
#
#   docker build -t pricewatch .
#   docker run --rm -v pricewatch-data:/data pricewatch run            # the daily job once
#   docker run -d -v pricewatch-data:/data -e PREFECT_API_URL=http://prefect:4200/api \
#     -e PRICEWATCH_GIT_URL=https://example.org/you/pricewatch.git \
#     --entrypoint prefect pricewatch worker start --pool pricewatch
#
# Not built by the test suite (no Docker on the CI machine): keep it to plain, checked steps.
FROM python:3.11-slim-bookworm

# uv pinned to the version the lock file was made with; git for prefect.yaml's git_clone pull step.
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /bin/uv
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never

WORKDIR /app
# Dependencies first (cached while only the code changes), exactly as locked, without dev tools.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
RUN uv sync --frozen --no-dev

RUN useradd --create-home --uid 1000 pricewatch \
    && mkdir -p /data && chown pricewatch /data /app/dbt_models
USER pricewatch

# Data, reports, the raw archive and Prefect's own database live on the /data volume.
ENV PATH=/opt/venv/bin:$PATH \
    PRICEWATCH_HOME=/data \
    PREFECT_HOME=/data/prefect \
    PREFECT_SERVER_ANALYTICS_ENABLED=false \
    DO_NOT_TRACK=1
VOLUME /data

ENTRYPOINT ["pricewatch"]
CMD ["run"]
