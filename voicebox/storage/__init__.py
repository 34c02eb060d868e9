"""Storage: SQLAlchemy models, the conversation store, the outbox, exports, migrations."""
