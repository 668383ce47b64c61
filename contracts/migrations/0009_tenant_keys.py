"""Unique constraints between tenant rows include the tenant; composite (tenant_id, …) keys
beside the foreign keys between tenant tables (tenancy.db_keys)."""

from django.conf import settings
from django.db import migrations, models

from tenancy.db_keys import TenantKeys


class Migration(migrations.Migration):

    dependencies = [
        ('contracts', '0008_legal_details'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='amendment',
            name='amendment_one_live_renewal',
        ),
        migrations.RemoveConstraint(
            model_name='contractparty',
            name='party_provider_once',
        ),
        migrations.RemoveConstraint(
            model_name='contractparty',
            name='party_client_once',
        ),
        migrations.RemoveConstraint(
            model_name='contractrole',
            name='contract_role_once',
        ),
        migrations.RemoveConstraint(
            model_name='contractversion',
            name='contract_version_number_once',
        ),
        migrations.RemoveConstraint(
            model_name='contractversion',
            name='contract_version_date_once',
        ),
        migrations.RemoveConstraint(
            model_name='obligation',
            name='obligation_once_per_template',
        ),
        migrations.RemoveConstraint(
            model_name='obligationoccurrence',
            name='obligation_occurrence_once',
        ),
        migrations.AddConstraint(
            model_name='amendment',
            constraint=models.UniqueConstraint(condition=models.Q(('renews_end_date__isnull', False), models.Q(('state__in', ['rejected', 'cancelled']), _negated=True)), fields=('contract', 'renews_end_date', 'tenant'), name='amendment_one_live_renewal'),
        ),
        migrations.AddConstraint(
            model_name='contractparty',
            constraint=models.UniqueConstraint(condition=models.Q(('provider__isnull', False)), fields=('contract', 'provider', 'tenant'), name='party_provider_once'),
        ),
        migrations.AddConstraint(
            model_name='contractparty',
            constraint=models.UniqueConstraint(condition=models.Q(('client__isnull', False)), fields=('contract', 'client', 'tenant'), name='party_client_once'),
        ),
        migrations.AddConstraint(
            model_name='contractrole',
            constraint=models.UniqueConstraint(fields=('contract', 'role', 'user', 'tenant'), name='contract_role_once'),
        ),
        migrations.AddConstraint(
            model_name='contractversion',
            constraint=models.UniqueConstraint(fields=('contract', 'number', 'tenant'), name='contract_version_number_once'),
        ),
        migrations.AddConstraint(
            model_name='contractversion',
            constraint=models.UniqueConstraint(fields=('contract', 'effective_from', 'tenant'), name='contract_version_date_once'),
        ),
        migrations.AddConstraint(
            model_name='obligation',
            constraint=models.UniqueConstraint(condition=models.Q(('template__isnull', False)), fields=('contract', 'template', 'tenant'), name='obligation_once_per_template'),
        ),
        migrations.AddConstraint(
            model_name='obligationoccurrence',
            constraint=models.UniqueConstraint(fields=('obligation', 'due_date', 'tenant'), name='obligation_occurrence_once'),
        ),
        TenantKeys(),
    ]
