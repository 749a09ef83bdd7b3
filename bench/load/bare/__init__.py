"""The bare DRF baseline of the load benchmark: its own tiny Django project (these settings, one
app, its own database), never loaded by the project's settings nor collected by pytest."""
