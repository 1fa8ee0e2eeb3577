"""SceneGraphVLM training: SFT data from AG/PVSG/PSG/SynthRoom, hallucination-aware GRPO rewards, TRL runs.

``data`` builds chat samples (TOON targets, previous-graph prompts, frame thinning, corrupted previous
graphs); ``rewards`` holds the paper's reward terms as pure functions; ``trainer`` runs TRL's SFT and
GRPO; ``cli`` is ``python -m vsgg_training train --head vlm``. Needs the ``vlm`` extra.
"""
