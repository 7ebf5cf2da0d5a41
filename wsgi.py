"""WSGI entry point: ``gunicorn -c config/gunicorn.conf.py wsgi:app`` or ``flask --app wsgi run``.

Under gunicorn the config's ``on_starting`` hook gevent-patches the standard library
before this module (and psycopg, redis) is imported; Socket.IO then runs in gevent mode.
"""

from clickpro import create_app

app = create_app()
