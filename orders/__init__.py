"""orders: client orders and incidents, teams, comments, attachments and history; its services drive the
SLA clocks."""
