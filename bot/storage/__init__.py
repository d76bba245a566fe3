"""Persistence: SQLAlchemy Core tables, Alembic migrations, and the Store."""
