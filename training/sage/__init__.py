"""SAGE: open-vocabulary relations with a semantic teacher and decoupled class-aware prompts (paper 002)."""
