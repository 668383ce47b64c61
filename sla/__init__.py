"""sla: planned app (see DESIGN.md); importable so that later issues build on it."""
