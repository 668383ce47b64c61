"""sla: business calendars (the pure engine), policies, clocks, breaches, force majeure and the sweep."""
