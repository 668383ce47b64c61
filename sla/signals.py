"""Signals of the SLA engine, for apps above it (webhooks) that must not be imported here.

`clocks_crossed(sender=SLAClock, warned=[clock ids], breached=[clock ids])` is sent in the clocks'
tenant: by the sweep's notification task for the clocks it warned or breached, and when a clock
stopped late is breached in the order's transaction. A receiver may hear a clock twice.
"""

from django.dispatch import Signal

clocks_crossed = Signal()
