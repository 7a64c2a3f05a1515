"""The engine's formulas (docs/cost_engine.md "Formulas"), checked on hand-worked numbers."""
from __future__ import annotations

import pytest

from cost_engine.bands import Band
from cost_engine.compute import (
    ModelArch,
    TrainingSetup,
    billed_tokens,
    break_even_months,
    flops_per_token,
    gpu_training_time,
    hosted_training_cost,
    memory_plan,
    monthly_token_spend,
)
from cost_engine.gpus import gpu_spec

LLAMA2_7B = ModelArch(6.74e9, 32, 4096, 32000)
LLAMA31_8B = ModelArch(8.03e9, 32, 4096, 128256)
LLAMA31_70B = ModelArch(70.6e9, 80, 8192, 128256)
A100 = gpu_spec("A100 SXM 80GB")
H100 = gpu_spec("H100 SXM 80GB")


def test_full_fine_tuning_counts_six_flops_per_parameter_per_token():
    assert flops_per_token(LLAMA2_7B, "full", 2048) == 6 * 6.74e9


def test_lora_and_qlora_count_four_flops_per_parameter_per_token():
    assert flops_per_token(LLAMA2_7B, "lora", 2048) == flops_per_token(LLAMA2_7B, "qlora", 2048) == 4 * 6.74e9


def test_attention_term_is_added_from_4k_sequences():
    assert flops_per_token(LLAMA2_7B, "lora", 4096) == 4 * 6.74e9 + 12 * 32 * 4096 * 4096


def test_single_gpu_lora_hours_follow_the_flops_formula():
    setup = TrainingSetup("lora", tokens=96e6, packing_eff=0.96)   # 100M processed tokens
    est = gpu_training_time(LLAMA2_7B, setup, A100, 1)
    compute_s_mid = 100e6 * 4 * 6.74e9 / (312e12 * 0.31)
    assert est.wall_hours.mid == pytest.approx(compute_s_mid / 3600 + 0.375)
    assert est.gpu_hours == est.wall_hours


def test_band_puts_high_mfu_in_the_low_estimate():
    est = gpu_training_time(LLAMA2_7B, TrainingSetup("lora", tokens=50e6), A100, 1)
    assert est.wall_hours.low < est.wall_hours.mid < est.wall_hours.high


def test_qlora_is_slower_than_lora_because_of_dequantisation():
    lora = gpu_training_time(LLAMA31_8B, TrainingSetup("lora", tokens=40e6), A100, 1)
    qlora = gpu_training_time(LLAMA31_8B, TrainingSetup("qlora", tokens=40e6), A100, 1)
    ratio = (qlora.wall_hours.mid - 0.375) / (lora.wall_hours.mid - 0.375)
    assert 1.25 <= ratio <= 1.4   # notes §2.3: "1.3–1.4 at 2k" tokens per micro-step


def test_full_fine_tuning_on_8_gpus_by_hand():
    # 1e9 tokens / 0.96 packing = 1.0417e9 processed; 6 × 6.74e9 FLOPs each; 8 × 312e12 × 0.50 (full FT,
    # Ampere mid MFU; FSDP bands scale 1.0): t = 1.0417e9 × 40.44e9 / 1.248e15 = 33,754 s = 9.376 h;
    # + 0.375 h overhead = 9.751 h wall, × 8 GPUs = 78.01 GPU-hours.
    est = gpu_training_time(LLAMA2_7B, TrainingSetup("full", tokens=1e9), A100, 8)
    wall = 1e9 / 0.96 * 6 * 6.74e9 / (8 * 312e12 * 0.50) / 3600 + 0.375
    assert est.wall_hours.mid == pytest.approx(wall) and wall == pytest.approx(9.751, abs=1e-3)
    assert est.gpu_hours.mid == pytest.approx(8 * wall)


def test_lora_throughput_keeps_the_measured_l40s_to_rtx_4090_ratio():
    # vtuber-plan/katheryne docs/benchmark.md (commit 75ea886): the same Llama-2-7B LoRA run took 38 s on
    # an L40S and 62 s on an RTX 4090, a 62/38 = 1.63× speed ratio (the peaks alone say 362/165.2 = 2.19×).
    setup = TrainingSetup("lora", tokens=50e6)
    l40s = gpu_training_time(LLAMA2_7B, setup, gpu_spec("L40S 48GB"), 1)
    rtx = gpu_training_time(LLAMA2_7B, setup, gpu_spec("RTX 4090 24GB"), 1)
    compute = [(e.wall_hours.mid - 0.375) for e in (l40s, rtx)]
    assert compute[1] / compute[0] == pytest.approx(62 / 38, rel=0.01)


def test_calibration_applies_to_lora_not_to_full_fine_tuning():
    # Full FT on an RTX 4090 keeps the peak-based time: 1e6 tokens / 0.96 × 6 × 6.74e9 / (165.2e12 × 0.375).
    est = gpu_training_time(LLAMA2_7B, TrainingSetup("full", tokens=1e6), gpu_spec("RTX 4090 24GB"), 1)
    assert est.inputs["throughput_calibration"] == 1.0
    assert est.wall_hours.mid == pytest.approx(1e6 / 0.96 * 6 * 6.74e9 / (165.2e12 * 0.375) / 3600 + 0.375)


def test_full_70b_on_8_h100_is_flagged_as_needing_offload():
    plan = memory_plan(LLAMA31_70B, TrainingSetup("full", tokens=1e9), H100, 8)
    assert plan.fits and plan.mode == "offload"
    assert "requires CPU optimizer offload" in plan.note


def test_offload_uses_the_lower_offload_mfu_band():
    est = gpu_training_time(LLAMA31_70B, TrainingSetup("full", tokens=1e9), H100, 8)
    assert est.inputs["mfu"] == [0.22, 0.26, 0.30]


def test_lora_70b_does_not_fit_one_h100():
    plan = memory_plan(LLAMA31_70B, TrainingSetup("lora", tokens=1e6), H100, 1)
    assert not plan.fits and "does not fit" in plan.note


def test_qlora_70b_fits_one_h100_and_qlora_8b_fits_a_4090():
    assert memory_plan(LLAMA31_70B, TrainingSetup("qlora", tokens=1e6), H100, 1).fits
    assert memory_plan(LLAMA31_8B, TrainingSetup("qlora", tokens=1e6), gpu_spec("RTX 4090 24GB"), 1).fits


def test_qlora_weights_match_the_notes_derivation():
    # notes §4.1: Llama-70B QLoRA weights ≈ 39.5 GB; our plan adds LoRA params, activations and margin.
    plan = memory_plan(LLAMA31_70B, TrainingSetup("qlora", tokens=1e6), H100, 1)
    assert 45 < plan.per_gpu_gb < 65


def test_hosted_billed_tokens_are_epochs_times_dataset_tokens():
    assert billed_tokens(1000 * 500, 3) == 1.5e6        # notes §0.6
    assert billed_tokens(1000 * 500, 3, validation_tokens=1e5, n_evals=2) == 1.7e6


def test_minimum_charge_applies_when_the_token_cost_is_lower():
    assert hosted_training_cost(1e6, 10.0, min_charge=20.0) == 20.0
    assert hosted_training_cost(5e6, 10.0, min_charge=20.0) == 50.0


def test_monthly_token_spend():
    assert monthly_token_spend(1000, 500, 200, 0.30, 1.20) == pytest.approx(1000 * (500 * 0.30 + 200 * 1.20) / 1e6)


def test_break_even_is_training_cost_over_monthly_saving():
    months, _ = break_even_months(300.0, monthly_base_usd=250.0, monthly_ft_usd=150.0)
    assert months == 3.0


def test_break_even_is_undefined_when_fine_tuned_inference_costs_as_much_or_more():
    months, reason = break_even_months(300.0, monthly_base_usd=100.0, monthly_ft_usd=100.0)
    assert months is None and "never pays back" in reason


def test_band_of_a_pair_takes_the_midpoint():
    assert Band.of([2, 4]) == Band(2, 3, 4)


def test_gpu_hours_do_not_jump_where_the_attention_term_starts():
    # The MFU bands are on the k·N basis: adding the attention FLOPs raises MFU by the same factor.
    below = gpu_training_time(LLAMA2_7B, TrainingSetup("lora", tokens=50e6, seq_len=4095), A100, 1)
    at = gpu_training_time(LLAMA2_7B, TrainingSetup("lora", tokens=50e6, seq_len=4096), A100, 1)
    assert at.gpu_hours.mid == pytest.approx(below.gpu_hours.mid, rel=1e-3)
    assert at.gpu_hours.high == pytest.approx(below.gpu_hours.high, rel=1e-3)


def test_mfu_is_rescaled_to_the_flops_per_token_that_include_attention():
    est = gpu_training_time(LLAMA2_7B, TrainingSetup("lora", tokens=50e6, seq_len=8192), A100, 1)
    factor = flops_per_token(LLAMA2_7B, "lora", 8192) / (4 * 6.74e9)
    assert est.inputs["mfu"] == [0.27, 0.31, 0.35]
    assert est.inputs["mfu_on_flops_per_token_basis"][1] == pytest.approx(0.31 * factor, abs=1e-4)


def test_gpu_memory_is_the_canonical_names_nominal_vram():
    from cost_engine.gpus import GPU_SPECS
    from scrapers.gpu_names import NOMINAL_VRAM_GB

    assert all(spec.vram_gb == NOMINAL_VRAM_GB[name] for name, spec in GPU_SPECS.items())
    assert A100.vram_gb == 80 and gpu_spec("H200 SXM 141GB").vram_gb == 141


def test_unknown_gpu_is_a_value_error_naming_the_canonical_names():
    from cost_engine.gpus import UnknownGpu

    with pytest.raises(ValueError, match="A100 SXM 80GB"):
        gpu_spec("A100")
    assert issubclass(UnknownGpu, ValueError) and not issubclass(UnknownGpu, KeyError)
