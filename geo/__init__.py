"""Quartiere boundaries, projections and coverage per quartiere."""
