"""Renderers: text tables, budget and accuracy reports, plots."""
