"""Pages of the season: its managers (manage.py) and the structures asking for slots (apply.py)."""
