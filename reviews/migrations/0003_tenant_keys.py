"""Unique constraints between tenant rows include the tenant; composite (tenant_id, …) keys
beside the foreign keys between tenant tables (tenancy.db_keys)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from tenancy.db_keys import TenantKeys, TenantOneToOneField


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0002_event_base'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='reviewconfirmation',
            name='review',
            field=TenantOneToOneField(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='confirmation', to='reviews.review'),
        ),
        migrations.AddConstraint(
            model_name='reviewconfirmation',
            constraint=models.UniqueConstraint(fields=('review', 'tenant'), name='review_confirmation_once'),
        ),
        TenantKeys(),
    ]
