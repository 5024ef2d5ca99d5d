"""Peilian (陪练): practise customer service on difficult simulated customers."""

__version__ = "0.1.0"
