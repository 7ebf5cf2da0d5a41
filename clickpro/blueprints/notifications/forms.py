from flask_wtf import FlaskForm


class MarkReadForm(FlaskForm):
    """Only the CSRF token: the URL says which notification (or all)."""
