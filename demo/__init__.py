"""demo: the demo data of `make demo` (`manage.py demo_data`), two tenants with an object in almost
every state. It sits above every app (it drives all their services), so no app depends on it."""
