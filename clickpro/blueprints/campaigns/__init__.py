from clickpro.blueprints.campaigns.routes import bp

__all__ = ["bp"]
