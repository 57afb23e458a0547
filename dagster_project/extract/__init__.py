"""Extractors: one module per source family (files -> landing -> raw tables)."""
