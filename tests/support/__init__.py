"""What many test modules share: signing in, reading a row again, raising an order.

The worlds (`world_a`, `world_b`: a tenant with a user of every role) are fixtures in
tests/conftest.py; the factories are in tests/factories/; each app's own helpers stay in its
`support.py` (tests/billing/support.py, tests/confirmations/support.py, ...).
"""

from __future__ import annotations


def signed_in(client, user):
    """The test client, signed in as `user`."""
    client.force_login(user)
    return client


def reload(world, obj):
    """`obj` read again from the database, in its world's tenant."""
    with world.context():
        return type(obj).objects.get(pk=obj.pk)


def raise_order(world, contract, *, actor=None, **fields):
    """An order raised through the service (by the client admin unless `actor` says otherwise)."""
    from orders import services

    actor = actor or world.client_admin
    fields.setdefault("title", "Printer on floor 3 is jammed")
    with world.context(user=actor):
        return services.order_create(actor=actor, contract=contract, **fields)
