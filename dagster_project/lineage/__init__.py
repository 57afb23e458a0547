"""Audit lineage: trace pack figures to their sources and back."""
