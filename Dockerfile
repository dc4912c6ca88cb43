# balintbot: slim image, non-root user; applies migrations, then runs the bot.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY bot ./bot
COPY storage ./storage
COPY prompts ./prompts
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
# prompts/ ships inside the wheel (bot.prompts); mount an edited copy and set BALINT_PROMPTS_DIR to override it
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////app/data/balint.db \
    LOG_FORMAT=json
RUN useradd --create-home --uid 10001 balint
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
RUN mkdir -p /app/data && chown balint:balint /app/data
USER balint
VOLUME ["/app/data"]
EXPOSE 8443
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import sys; sys.exit(0)"
CMD ["sh", "-c", "balint db upgrade && exec balint run ${BALINT_RUN_ARGS:-}"]
