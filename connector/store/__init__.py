"""The customer-partitioned store (SQLModel on SQLite or PostgreSQL)."""

from connector.store.base import check_customer_id
from connector.store.engine import create_schema, make_engine
from connector.store.tenant import TenantStore

__all__ = ["TenantStore", "check_customer_id", "create_schema", "make_engine"]
