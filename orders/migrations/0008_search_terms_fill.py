"""Fill the orders' words (orders.search) for the orders there are, tenant by tenant."""

import re

from django.db import migrations

from tenancy.context import reset_tenant, set_tenant

TERM_LENGTH, MAX_TERMS = 64, 500
_WORD = re.compile(r"\w+", re.UNICODE)


def _words(*texts):
    # orders.search.words as it is when this migration is written (a migration does not import the app's code)
    seen = {}
    for text in texts:
        for word in _WORD.findall((text or "").lower()):
            word = word[:TERM_LENGTH]
            seen.setdefault(word, None)
            if word.isdigit() and word.startswith("0") and word.strip("0"):
                seen.setdefault(word.lstrip("0"), None)
    return list(seen)[:MAX_TERMS]


def fill(apps, schema_editor):
    Tenant = apps.get_model("tenancy", "Tenant")
    Order = apps.get_model("orders", "Order")
    Term = apps.get_model("orders", "OrderSearchTerm")
    alias = schema_editor.connection.alias
    for tenant_id in list(Tenant.objects.using(alias).values_list("pk", flat=True)):
        token = set_tenant(tenant_id)  # row-level security lets exactly this tenant's rows through
        try:
            orders = Order.objects.using(alias).filter(tenant_id=tenant_id).values_list(
                "pk", "number", "title", "description").order_by("pk")
            batch = []
            for pk, number, title, description in orders.iterator(chunk_size=2000):
                batch.extend(Term(tenant_id=tenant_id, order_id=pk, term=term)
                             for term in _words(number, title, description))
                if len(batch) >= 5000:
                    Term.objects.using(alias).bulk_create(batch)
                    batch = []
            Term.objects.using(alias).bulk_create(batch)
        finally:
            reset_tenant(token)


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0007_search_terms'),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
