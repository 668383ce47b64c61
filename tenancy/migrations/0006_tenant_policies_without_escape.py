"""The tenant policies lose their escape (issue 8, item 11).

Until now every tenant table's policy also let every row through when `app.cross_tenant` was 'on',
a setting any statement of the web role could make. Cross-tenant work now runs as a role of its
own with BYPASSRLS (tenancy.db_router), so the policy keeps only the tenant clause. Every existing
`tenant_isolation` policy of the schema is dropped and created again — whichever app's migration
created it, and before or after this one (`EnableRowLevelSecurity` emits the new clause already).
The clauses are written out here so that this migration means the same whatever rls.py says later.
"""

from django.db import migrations

from tenancy.rls import replace_tenant_policies

TENANT = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint"
USER = "user_id = NULLIF(current_setting('app.user_id', true), '')::bigint"
ESCAPE = f"current_setting('app.cross_tenant', true) = 'on' OR {TENANT}"


def without_escape(apps, schema_editor):
    replace_tenant_policies(schema_editor, tenant_clause=TENANT, user_clause=USER)


def with_escape(apps, schema_editor):
    replace_tenant_policies(schema_editor, tenant_clause=ESCAPE, user_clause=USER)


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0005_seed_number_counters")]

    operations = [migrations.RunPython(without_escape, with_escape, elidable=False)]
