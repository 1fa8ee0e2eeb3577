"""PALS / PAM / RAM (paper 000) on an STTran-style relation model, trained on SynthRoom (docs/pals.md)."""
