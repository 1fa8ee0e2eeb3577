"""TraSeR decoding: the answer serialization, the embedding prompt, transformers generation from
``inputs_embeds`` with a tiny random LM, and the vLLM request forms (execution needs a GPU)."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest

from vsgg_ros.vlm.traser_format import (
    TraserGraph,
    TraserObject,
    TraserRelation,
    decode_traser,
    encode_traser,
    spans_of,
)

pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

GRAPH = TraserGraph(
    (TraserObject(1, "person", ("tall",)), TraserObject(2, "cup/glass/bottle", ("red", "small"))),
    (TraserRelation(1, "looking_at", 2, 0, 3), TraserRelation(2, "in front of", 1, 5, 7)),
)


def test_encoding_is_the_documented_layout() -> None:
    assert encode_traser(GRAPH) == (
        "<answer>\n"
        "obj[2]{id,name,attrs}:\n"
        "  1,person,tall\n"
        "  2,cup-glass-bottle,red;small\n"
        "rel[2]{subj,pred,obj,start,end}:\n"
        "  1,looking-at,2,0,3\n"
        "  2,in-front-of,1,5,7\n"
        "</answer>"
    )


def test_round_trip_respells_labels() -> None:
    result = decode_traser(encode_traser(GRAPH), object_ids=[1, 2], frames=8)
    assert result.ok
    assert result.graph.objects[1] == TraserObject(2, "cup-glass-bottle", ("red", "small"))
    assert result.graph.relations == (
        TraserRelation(1, "looking-at", 2, 0, 3),
        TraserRelation(2, "in-front-of", 1, 5, 7),
    )


def test_decoder_drops_bad_rows_and_reports_them() -> None:
    text = (
        "<answer>\nobj[3]{id,name,attrs}:\n  1,person,\n  7,cup,\n  1,dog,\n"
        "rel[4]{subj,pred,obj,start,end}:\n"
        "  1,holding,1,0,1\n  1,holding,2,3,2\n  1,holding,2,0,9\n  1,Bad Label,2,0,1\n"
    )
    result = decode_traser(text, object_ids=[1, 2], frames=8)
    assert result.graph.objects == (TraserObject(1, "person"),)
    assert result.graph.relations == ()
    joined = " | ".join(result.problems)
    for expected in ("no </answer>", "id 7 was not given", "duplicate id 1", "not two different", "span outside",
                     "bad relation row", "obj[3] header but 1"):  # fmt: skip
        assert expected in joined


def test_spans_of_runs() -> None:
    assert spans_of([5, 0, 1, 2, 7, 6, 9]) == [(0, 2), (5, 7), (9, 9)]
    assert spans_of([]) == []


def test_encoding_rejects_inverted_span() -> None:
    with pytest.raises(ValueError, match="span"):
        encode_traser(TraserGraph((), (TraserRelation(1, "on", 2, 3, 1),)))


@pytest.fixture(scope="module")
def lm():
    from vsgg_ros.vlm.traser_lm import build_lm, lm_config, traser_tokenizer

    tokenizer = traser_tokenizer()
    return build_lm(lm_config(tokenizer, hidden=32, layers=1), seed=0), tokenizer


def test_markers_are_single_tokens_and_prompt_splices_latents(lm) -> None:
    from vsgg_ros.vlm.traser_lm import TRAJ_END, TRAJ_START, embed_pieces, prompt_pieces

    model, tok = lm
    assert len(tok(TRAJ_START + TRAJ_END, add_special_tokens=False)["input_ids"]) == 2
    latents = [np.full((3, 32), 7.0, np.float32), np.full((2, 32), -5.0, np.float32)]
    pieces = prompt_pieces(latents, [1, 2], frames=4)
    embeds = embed_pieces(model, tok, pieces)
    text_len = sum(len(tok(p, add_special_tokens=False)["input_ids"]) for p in pieces if isinstance(p, str))
    assert embeds.shape == (text_len + 5, 32)
    # The latent rows appear verbatim right after "<obj_traj_start>1" (marker + one digit byte).
    head = len(tok(pieces[0], add_special_tokens=False)["input_ids"]) + 2
    assert torch.equal(embeds[head : head + 3], torch.full((3, 32), 7.0))
    with pytest.raises(ValueError, match="does not fit LM width"):
        embed_pieces(model, tok, ["a", np.zeros((2, 31), np.float32)])


def test_transformers_generation_from_embeds_matches_token_greedy(lm) -> None:
    """With a text-only prompt, generation from embeddings must equal generation from the token ids."""
    from vsgg_ros.vlm.traser_generate import TransformersTraserLm
    from vsgg_ros.vlm.traser_lm import embed_pieces

    model, tok = lm
    prompt = "<|im_start|>user\nobj<|im_end|>\n<|im_start|>assistant\n"
    reply = TransformersTraserLm(model, tok, max_new_tokens=12).generate(embed_pieces(model, tok, [prompt]))
    ids = tok(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        ref = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=12, do_sample=False)
    assert reply.text == tok.decode(ref[0, ids.shape[1] :], skip_special_tokens=True)
    assert reply.tokens == ref.shape[1] - ids.shape[1]
    assert reply.finish_reason in ("stop", "length")


def test_lm_save_load_round_trip(lm, tmp_path) -> None:
    from vsgg_ros.vlm.traser_lm import load_lm, save_lm

    model, tok = lm
    save_lm(model, tmp_path)
    loaded = load_lm(tmp_path)
    ids = tok("abc", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        assert torch.allclose(model(input_ids=ids).logits, loaded(input_ids=ids).logits)
    with pytest.raises(FileNotFoundError, match=r"lm_config\.json"):
        load_lm(tmp_path / "missing")


def test_vllm_request_forms() -> None:
    from vsgg_ros.vlm.traser_generate import completions_body, embeds_prompt

    embeds = torch.arange(12, dtype=torch.float32).reshape(4, 3).requires_grad_()
    prompt = embeds_prompt(embeds)
    assert set(prompt) == {"prompt_embeds"} and not prompt["prompt_embeds"].requires_grad
    body = completions_body(embeds, "traser", max_tokens=64)
    decoded = torch.load(io.BytesIO(base64.b64decode(body["prompt_embeds"])), weights_only=True)
    assert torch.equal(decoded, embeds.detach())
    assert body["model"] == "traser" and body["max_tokens"] == 64 and body["stop"] == ["</answer>"]
    assert body["temperature"] == 0.0 and body["include_stop_str_in_output"] is True
    with pytest.raises(ValueError, match="sequence, hidden"):
        embeds_prompt(embeds[None])


@pytest.mark.gpu
def test_vllm_generation_from_prompt_embeds(lm, tmp_path) -> None:
    pytest.importorskip("vllm", reason="vLLM is installed on the GPU robot image only")
    if not torch.cuda.is_available():
        pytest.skip("vLLM prompt embeddings need a CUDA GPU")
    from vsgg_ros.vlm.traser_generate import VllmTraserLm
    from vsgg_ros.vlm.traser_lm import embed_pieces

    model, tok = lm
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    embeds = embed_pieces(model, tok, ["<|im_start|>user\nobj<|im_end|>\n<|im_start|>assistant\n"])
    reply = VllmTraserLm(str(tmp_path), max_tokens=12).generate(embeds)
    assert 1 <= reply.tokens <= 12 and reply.finish_reason in ("stop", "length")
    if reply.finish_reason == "length":  # a random tiny LM rarely ends by itself: then the budget was spent
        assert reply.tokens == 12
