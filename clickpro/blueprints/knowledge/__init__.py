from clickpro.blueprints.knowledge.routes import bp

__all__ = ["bp"]
