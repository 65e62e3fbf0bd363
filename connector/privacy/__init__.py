"""Privacy operations on the store: what GDPR asks of a processor, one module per duty.

    subjects.py     identify a data subject (email, phone, CRM id), normalized; pure
    field_crypto.py encrypt and decrypt field values, keyed hashes; pure (AES-GCM)
    keys.py         per-customer data keys: made on first use, wrapped by the key ring,
                    cached per process, re-wrapped by rotation, destroyed by erase
    suppression.py  keyed hashes of forgotten subjects, and the check every pull applies
    forget.py       forget one subject: delete their rows, keep only a keyed hash
    export.py       export a customer's partition, or one subject's rows, with a manifest
    erase.py        offboarding: request, schedule (at most 10 days) and run partition erasure
    revoke.py       the one line that calls the CRM token revocation (best effort)
    retention.py    delete activity metadata past its retention age
    audit.py        the audit trail: who did what (never whose data)
    settings.py     the privacy settings read from the environment

Everything goes through `TenantStore` except the erasure itself and its record, which use
`store.admin.AdminStore` (the erasure record must outlive the partition it describes).
"""
