"""Reads of reports, one module per report:

- `aid`: who may see what, yearly in-kind aid per structure, the budget annex of a commune, the
  valuation certificate of a structure;
- `documents`: the documents rendered in the background, and who may open them;
- `journal`: the journal of changes to traceable records, for the intercommunality.

The public names are re-exported here: `from reports.selectors import budget_annex` works.
"""

from reports.selectors.aid import (
    AID_STATUSES,
    AgreementLine,
    AidRow,
    BudgetAnnex,
    ValuationCertificate,
    aid_allocations_in_year,
    aid_grantors_for,
    budget_annex,
    cash_subsidies_editable_by,
    cash_subsidies_in_year,
    communes_reportable_by,
    structures_certifiable_by,
    valuation_certificate,
    yearly_aid,
)
from reports.selectors.documents import (
    REUSE_READY_FOR,
    document_reusable,
    documents_visible_to,
)
from reports.selectors.journal import (
    KINDS,
    PAGE_SIZE,
    Change,
    JournalEntry,
    JournalKind,
    journal_page,
)

__all__ = [
    "AID_STATUSES",
    "KINDS",
    "PAGE_SIZE",
    "REUSE_READY_FOR",
    "AgreementLine",
    "AidRow",
    "BudgetAnnex",
    "Change",
    "JournalEntry",
    "JournalKind",
    "ValuationCertificate",
    "aid_allocations_in_year",
    "aid_grantors_for",
    "budget_annex",
    "cash_subsidies_editable_by",
    "cash_subsidies_in_year",
    "communes_reportable_by",
    "document_reusable",
    "documents_visible_to",
    "journal_page",
    "structures_certifiable_by",
    "valuation_certificate",
    "yearly_aid",
]
