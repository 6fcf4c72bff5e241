"""Demo data for trying Voz without a shop: see `python manage.py seed_demo`."""
