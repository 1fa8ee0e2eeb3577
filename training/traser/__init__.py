"""TraSeR (paper 003): trajectory-aligned tokens compressed by a dual resampler (docs/traser.md)."""
