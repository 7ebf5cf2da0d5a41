"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``."""

from clickpro import create_app

app = create_app()
