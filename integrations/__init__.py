"""Integrations: how the platform talks to the systems around it.

- `integrations.webhooks` — signed outgoing webhooks (Standard Webhooks 1.0), deliveries and attempts;
- `integrations.idempotency` — `Idempotency-Key` for API writes, and the API's rate limits;
- `integrations.mail` — outgoing e-mail (HTML + text, retried) and inbound mail (IMAP poller, raw MIME);
- `integrations.accounting` — the accountant's export of invoices and credit notes (1C EnterpriseData, JSON).

These apps sit at the top of the dependency order: they read the other apps, nothing below imports them.
"""
