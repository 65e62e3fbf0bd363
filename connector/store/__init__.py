"""The customer-partitioned store (SQLModel on SQLite or PostgreSQL)."""

from connector.store.base import check_customer_id
from connector.store.engine import check_schema, make_engine, migrate
from connector.store.tenant import TenantStore

__all__ = ["TenantStore", "check_customer_id", "check_schema", "make_engine", "migrate"]
