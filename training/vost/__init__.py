"""VOST-SGG: one-stage DETR-style ST-SGG with VLM-aided queries and a multi-modal feature bank (docs/vost.md)."""
