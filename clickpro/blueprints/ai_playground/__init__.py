from clickpro.blueprints.ai_playground.routes import bp

__all__ = ["bp"]
