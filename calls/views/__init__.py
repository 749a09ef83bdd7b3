"""Pages of calls for applications: public (public.py), managers (manage.py), applicants
(apply.py) and reviewers (review.py)."""
