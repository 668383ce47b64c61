"""Who may export the accounts: the provider's administrators and accountants."""

from tenancy.roles import Role

ACCOUNTING_EXPORTERS = frozenset({Role.ADMIN, Role.ACCOUNTANT})
