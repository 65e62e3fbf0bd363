"""Sync jobs: pull (reports -> store) and push (outbox -> CRM), with run bookkeeping."""
