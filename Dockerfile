# The front-end libraries come from their npm packages (static/vendor is not in git).
FROM node:22-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/vendor-assets.sh scripts/
RUN bash scripts/vendor-assets.sh

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.production
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=assets /app/static/vendor static/vendor
# collectstatic needs no secrets or database; the placeholder key never serves a request.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput
RUN useradd --create-home voz
USER voz
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
