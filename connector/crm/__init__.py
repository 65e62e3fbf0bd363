"""CRM adapters. Sync code sees only the protocol in `crm.base`."""
