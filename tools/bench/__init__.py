"""`make bench`: the resizer vs naive Pillow (and sharp when node is present), plus handler import times."""
