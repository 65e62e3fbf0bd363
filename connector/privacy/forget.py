"""Forget one data subject (GDPR art. 17): delete their rows, keep only a keyed hash.

The subject is found by normalized email, E.164 phone or CRM id among the customer's
prospects; their prospect rows, memberships, activities and rejected rows are deleted, and
the suppression list gains the keyed hash of the identifier given plus that of each matched
CRM id (a CRM id names exactly one person record, so a later sync that sees the record with
a changed email still skips it). The person's email, phone numbers and full name are also
redacted wherever other rows quote them in free text (activity subjects and errors, run
errors, reject reasons), so an export of other people no longer names them. Deleting,
redacting, suppressing and auditing is one transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from connector.privacy.audit import build_audit_event
from connector.privacy.keys import customer_cipher, open_prospect_rows, resealing
from connector.privacy.subjects import Subject, matching_crm_ids, normalize_crm_id
from connector.privacy.suppression import SuppressionKeys, customer_suppression_keys
from connector.redaction import redactor_for
from connector.store.compact import compact_store
from connector.store.privacy_rows import ContactRow, ForgetPlan
from connector.store.tenant import TenantStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ForgetOutcome:
    """What forgetting did: rows deleted per table and hashes added. No identifiers."""

    kind: str
    prospects: int
    deleted: dict[str, int]
    hashes: int


def forget_subject(
    store: TenantStore,
    subject: Subject,
    actor: str,
    keys: SuppressionKeys | None = None,
    *,
    region: str | None = None,
) -> ForgetOutcome:
    """Delete every row about `subject` in the customer's store and suppress them for good.

    Works (and suppresses) even when nothing matches yet: the person may arrive in a later
    sync. The person is found by decrypting the stored contact fields with the customer's
    data key, and suppressed by hashes keyed with its lookup key. Raises SecretError when
    the key ring is missing or does not fit, StoreError when the store fails. `region`
    reads stored phone numbers written without a country code (as the field map's phone
    region would).
    """
    if keys is None:
        keys = customer_suppression_keys(store)
    cipher = customer_cipher(store)

    matched: list[int] = []  # prospect rows the plan matched, known once it has run

    def plan(rows: list[ContactRow]) -> ForgetPlan:
        rows = list(open_prospect_rows(cipher, rows))
        crm_ids = matching_crm_ids(subject, rows, region)
        suppressions = {(keys.hash(subject), subject.kind)}
        suppressions |= {
            (keys.hash(Subject("crm_id", normalize_crm_id(crm_id) or crm_id)), "crm_id")
            for crm_id in crm_ids
        }
        prospects = sum(1 for row in rows if row["crm_id"] in crm_ids)
        matched.append(prospects)
        audit = build_audit_event(
            store.customer_id,
            actor,
            "forget",
            {"kind": subject.kind, "prospects": prospects, "hashes": len(suppressions)},
        )
        return ForgetPlan(
            sorted(crm_ids),
            sorted(suppressions),
            audit,
            redactor=lambda people: resealing(
                cipher,
                redactor_for(list(open_prospect_rows(cipher, people)), extra=[subject.value]),
            ),
        )

    # the rows are matched inside the forget's own transaction, under the people lock, so a
    # sync's page committed meanwhile is matched too and none can commit before the forget
    done = store.forget_rows(plan)
    prospects = matched[-1]
    compact_store(store.engine)
    log.info(
        "customer %s: forgot a subject by %s (%d prospect rows)",
        store.customer_id,
        subject.kind,
        prospects,
    )
    return ForgetOutcome(subject.kind, prospects, done.deleted, len(done.plan.suppressions))
