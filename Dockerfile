# Production image: gunicorn for web, the same image for the Celery worker and beat.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_ENV=production
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --system --uid 1000 portal && mkdir -p /app/media /app/staticfiles \
    && chown -R portal /app/media /app/staticfiles
USER portal
EXPOSE 8000
CMD ["gunicorn", "htportal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]
