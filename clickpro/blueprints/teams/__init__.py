from clickpro.blueprints.teams.routes import bp

__all__ = ["bp"]
