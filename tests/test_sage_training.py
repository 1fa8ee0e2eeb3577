"""SAGE training pieces on hand-made inputs: stage-2 pair sampling, chunked instance-conditioned scoring,
one scoring serving the novel and all splits, and the evaluation-size config fields."""

import pytest

torch = pytest.importorskip("torch")

from vsgg_training.sage.config import BASE_PREDICATES, NOVEL_PREDICATES, ModelConfig, TrainConfig  # noqa: E402
from vsgg_training.sage.model import PromptTextEncoder  # noqa: E402
from vsgg_training.sage.train import prompt_scores, sample_pairs  # noqa: E402

from vsgg_ros.heads.sage_text import HashEncoder, class_inputs  # noqa: E402

SMALL = ModelConfig(d_prompt=16, heads=2, text_layers=2, insert_layer=2, tke_bottleneck=8, prompt_tokens=2)


def _encoder(prompt: str) -> PromptTextEncoder:
    torch.manual_seed(0)
    text = PromptTextEncoder(SMALL, prompt).eval()
    with torch.no_grad():  # the output projection starts at zero (classifier = W_clip); make it matter
        text.out.weight.normal_(0.0, 1.0)
        text.out.bias.normal_(0.0, 1.0)
    return text


def _classes(names: tuple[str, ...]) -> dict[str, torch.Tensor]:
    return {k: torch.from_numpy(v) for k, v in class_inputs(names, HashEncoder(), SMALL.max_words).items()}


def _v_vr(n: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(5)
    return torch.nn.functional.normalize(torch.randn(n, SMALL.text_dim, generator=gen), dim=-1)


def test_sample_pairs_keeps_k_distinct_sorted_rows_and_is_seeded():
    a = sample_pairs(50, 8, torch.Generator().manual_seed(3))
    b = sample_pairs(50, 8, torch.Generator().manual_seed(3))
    assert a is not None and a.shape == (8,)
    assert torch.equal(a, b)  # same seed, same rows: both prompt strategies see the same pairs
    assert len(set(a.tolist())) == 8 and a.min() >= 0 and a.max() < 50
    assert torch.equal(a, a.sort().values)
    gen = torch.Generator().manual_seed(3)
    first, second = sample_pairs(50, 8, gen), sample_pairs(50, 8, gen)
    assert not torch.equal(first, second)  # the stream moves on from step to step


def test_sample_pairs_all_rows_when_k_is_zero_or_covers_n():
    gen = torch.Generator().manual_seed(0)
    assert sample_pairs(10, 0, gen) is None
    assert sample_pairs(10, 10, gen) is None
    assert sample_pairs(10, 64, gen) is None


def test_subsampled_rows_index_features_and_targets_alike():
    v_vr, y = _v_vr(20), torch.arange(20.0).unsqueeze(1)
    idx = sample_pairs(20, 5, torch.Generator().manual_seed(1))
    sub_v, sub_y = v_vr[idx], y[idx]
    assert sub_v.shape == (5, SMALL.text_dim) and sub_y.shape == (5, 1)
    assert torch.equal(sub_y.squeeze(1).long(), idx)


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 100])
def test_chunked_instance_scores_equal_unchunked(chunk: int):
    text, cls_in, v_vr = _encoder("instance"), _classes(("touching", "holding", "in_front_of")), _v_vr(7)
    with torch.no_grad():
        whole = prompt_scores(text, cls_in, v_vr, SMALL.tau, chunk=7)
        got = prompt_scores(text, cls_in, v_vr, SMALL.tau, chunk=chunk)
    assert whole.shape == (7, 3)
    assert torch.allclose(got, whole, atol=1e-6)


def test_instance_scores_of_no_pairs_are_empty():
    with torch.no_grad():
        got = prompt_scores(_encoder("instance"), _classes(("touching",)), _v_vr(0), SMALL.tau, chunk=4)
    assert got.shape == (0, 1)


@pytest.mark.parametrize("prompt", [None, "class", "instance"])
def test_novel_columns_of_the_all_split_equal_scoring_the_novel_classes_alone(prompt: str | None):
    # evaluate() scores every occurring predicate once and slices the novel columns for the novel split
    text = None if prompt is None else _encoder(prompt)
    occurring = ("holding", "touching", "in", "eating")
    novel = ("touching", "eating")
    v_vr = _v_vr(6)
    with torch.no_grad():
        both = prompt_scores(text, _classes(occurring), v_vr, SMALL.tau, chunk=4)
        alone = prompt_scores(text, _classes(novel), v_vr, SMALL.tau, chunk=4)
    assert torch.allclose(both[:, [1, 3]], alone, atol=1e-6)


def test_default_recipe_evaluates_a_larger_world_with_validation():
    cfg = TrainConfig()
    assert cfg.test_videos == 64 and cfg.val_videos == 32 and cfg.val_seed not in (cfg.seed, cfg.test_seed)
    assert cfg.base == BASE_PREDICATES and cfg.novel == NOVEL_PREDICATES
    assert cfg.stage2_pairs > 0 and cfg.eval_chunk > 0


def test_config_rejects_bad_sampling_fields_and_reads_old_checkpoints():
    with pytest.raises(ValueError):
        TrainConfig(stage2_pairs=-1)
    with pytest.raises(ValueError):
        TrainConfig(eval_chunk=0)
    d = TrainConfig(stage2_pairs=32, eval_chunk=64).to_dict()
    assert TrainConfig.from_dict(d) == TrainConfig(stage2_pairs=32, eval_chunk=64)
    for key in ("val_videos", "val_seed", "stage2_pairs", "eval_chunk"):  # a checkpoint from before these fields
        d.pop(key)
    assert TrainConfig.from_dict(d).stage2_pairs == TrainConfig().stage2_pairs
