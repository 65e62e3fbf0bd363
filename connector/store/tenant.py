"""`TenantStore`: the one handle on a customer's rows, assembled from the domain mixins."""

from __future__ import annotations

from connector.store.activities import ActivitiesMixin
from connector.store.connect_links import ConnectLinksMixin
from connector.store.connections import ConnectionsMixin
from connector.store.data_keys import DataKeysMixin
from connector.store.privacy_rows import PrivacyMixin
from connector.store.pull_rows import PullRowsMixin
from connector.store.read_rows import ReadRowsMixin
from connector.store.removals import RemovalsMixin
from connector.store.resync import ResyncMixin


class TenantStore(
    PullRowsMixin,
    ConnectionsMixin,
    PrivacyMixin,
    ActivitiesMixin,
    ResyncMixin,
    ReadRowsMixin,
    RemovalsMixin,
    ConnectLinksMixin,
    DataKeysMixin,
):
    """Everything the connector reads or writes for one customer goes through this class.

    Construct it for one customer: `TenantStore(engine, "acme")`. Its sessions see only that
    customer's rows and refuse to write anyone else's (see `store.base`).
    """
