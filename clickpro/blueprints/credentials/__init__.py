from clickpro.blueprints.credentials.routes import bp

__all__ = ["bp"]
