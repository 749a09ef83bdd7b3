"""Reads of reports, one module per report:

- `aid`: who may see what, yearly aid per structure (agreements, hourly bookings, cash), the
  budget annex of a commune, the valuation certificate of a structure, the SCDL subsidies file;
- `documents`: the documents rendered in the background, and who may open them;
- `journal`: the journal of changes to traceable records, for the intercommunality.

The public names are re-exported here: `from reports.selectors import budget_annex` works.
"""

from reports.selectors.aid import (
    AID_STATUSES,
    AgreementLine,
    AidLine,
    AidRow,
    BookingLine,
    BudgetAnnex,
    OpenDataSubsidy,
    ValuationCertificate,
    aid_allocations_in_year,
    aid_grantors_for,
    booking_aid_lines,
    budget_annex,
    cash_subsidies_editable_by,
    cash_subsidies_in_year,
    communes_reportable_by,
    open_data_subsidies,
    structures_certifiable_by,
    subsidy_publishers,
    subsidy_years,
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
    "AidLine",
    "AidRow",
    "BookingLine",
    "BudgetAnnex",
    "Change",
    "JournalEntry",
    "JournalKind",
    "OpenDataSubsidy",
    "ValuationCertificate",
    "aid_allocations_in_year",
    "aid_grantors_for",
    "booking_aid_lines",
    "budget_annex",
    "cash_subsidies_editable_by",
    "cash_subsidies_in_year",
    "communes_reportable_by",
    "document_reusable",
    "documents_visible_to",
    "journal_page",
    "open_data_subsidies",
    "structures_certifiable_by",
    "subsidy_publishers",
    "subsidy_years",
    "valuation_certificate",
    "yearly_aid",
]
