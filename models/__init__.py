"""File formats (pydantic) and tables (SQLAlchemy). Imports nothing of ours."""
