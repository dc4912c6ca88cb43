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
EXPOSE 8443 8080
# /healthz (HEALTH_PORT, default 8080) answers within a second: 200 while updates arrive and the database answers,
# 503 otherwise; urlopen raises on 503 or no answer, so the check fails. A bad token ends the process (exit 1).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('HEALTH_PORT', '8080'), timeout=3)"
# exec: SIGTERM from `docker stop` reaches the bot, which stops within 5 s (Docker's default grace is 10 s)
CMD ["sh", "-c", "balint db upgrade && exec balint run ${BALINT_RUN_ARGS:-}"]
