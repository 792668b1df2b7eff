# One image for the API, the worker and the migration job (docker-compose.yml picks the command).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md alembic.ini worker.py ./
COPY billing billing
COPY workflows workflows
COPY activities activities
COPY starter starter
COPY migrations migrations
RUN pip install --no-cache-dir .
ENV PYTHONUNBUFFERED=1
CMD ["billing", "api", "--host", "0.0.0.0", "--port", "8000"]
