from clickpro.blueprints.ai_tools.routes import bp

__all__ = ["bp"]
