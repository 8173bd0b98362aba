"""``python -m jsplan_gis`` runs the command line."""

from .cli import app

app(prog_name="jsplan")
