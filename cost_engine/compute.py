"""The pricing math, as pure functions (docs/cost_engine.md "Formulas"; research notes §0, §2, §4, §6).

Self-hosted training time is derived from FLOPs, never looked up:

    T_eff     = training tokens / packing_eff
    F_tok     = k·N (+ 12·L·d·s when s >= 4096);  k = 6 full, 4 LoRA/QLoRA
    MFU       = MFU_kN × F_tok / (k·N)       (the bands are measured on the k·N basis, notes "Conventions")
    t_compute = T_eff × F_tok / (n_gpu × peak × MFU × scale_eff × calibration)   (= T_eff × k·N / (… × MFU_kN × …))
                calibration: the GPU's measured/modelled LoRA throughput (``gpus.py``), 1 for full FT
    t_qlora   = micro_steps_per_gpu × n_pass × N/1e9 × c_deq × (2.0 TB/s / bandwidth)   (QLoRA only)
    wall_h    = (t_compute + t_qlora) / 3600 + fixed_overhead_h
    gpu_hours = n_gpu × wall_h

Every uncertain input is a Band; the low cost uses the favourable end of every input
(high MFU, low dequantisation cost, low overhead) and the high cost the other end.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from cost_engine.bands import Band
from cost_engine.gpus import GpuSpec

METHODS = ("full", "lora", "qlora")

# MFU on the 6N (full) / 4N (LoRA, QLoRA) basis, notes §2.4 "Recommended MFU table".
MFU_BANDS: dict[tuple[str, str], Band] = {
    ("full", "consumer"): Band(0.30, 0.375, 0.45),
    ("full", "ampere"): Band(0.45, 0.50, 0.55),
    ("full", "hopper"): Band(0.35, 0.40, 0.45),
    ("full_offload", "consumer"): Band(0.25, 0.275, 0.30),   # notes give no consumer row: A100's used
    ("full_offload", "ampere"): Band(0.25, 0.275, 0.30),
    ("full_offload", "hopper"): Band(0.22, 0.26, 0.30),
    ("lora_single", "consumer"): Band(0.25, 0.30, 0.35),
    ("lora_single", "ampere"): Band(0.27, 0.31, 0.35),
    ("lora_single", "hopper"): Band(0.22, 0.27, 0.32),
    ("lora_multi", "consumer"): Band(0.25, 0.30, 0.35),
    ("lora_multi", "ampere"): Band(0.30, 0.35, 0.40),
    ("lora_multi", "hopper"): Band(0.28, 0.33, 0.38),
}
# Multi-GPU scaling efficiency (notes §2.4, below the MFU table). Full FT MFU bands were measured
# on multi-GPU FSDP jobs already, so they scale with 1.0.
SCALE_DDP = Band(0.85, 0.90, 0.95)
SCALE_SHARDED_LORA = Band(0.60, 0.70, 0.80)
# QLoRA dequantisation: seconds per 1e9 params per pass on an A100 (2.0 TB/s), notes §2.3.
C_DEQ = Band(0.006, 0.0085, 0.011)
# Per-run fixed overhead (download, load, merge, save), engineering judgement, notes §6.1.
OVERHEAD_SMALL_H = Band(0.25, 0.375, 0.5)
OVERHEAD_LARGE_H = Band(1.0, 1.5, 2.0)
ATTENTION_FROM_SEQ = 4096   # notes §2.1: include the attention term whenever s >= 4k (and rescale MFU)
FRAGMENTATION = 1.15        # notes §6.2: (W + A + Lg) × 1.15 + 1.0 GB
CUDA_CONTEXT_GB = 1.0


@dataclass(frozen=True)
class ModelArch:
    params: float
    layers: int
    hidden: int
    vocab: int
    name: str = ""
    heuristic: bool = False

    @property
    def embed_params(self) -> float:
        """Embedding + lm_head (untied); they stay 16-bit under QLoRA."""
        return 2.0 * self.vocab * self.hidden

    def lora_params(self, rank: int) -> float:
        """r × L × ≈20·d: LoRA on all linear layers of a Llama-style block (notes §4.1, derived)."""
        return rank * self.layers * 20.0 * self.hidden


def guess_arch(params: float, name: str = "") -> ModelArch:
    """A Llama-like shape for an ad-hoc parameter count (N ≈ 12·L·d², vocabulary 32k)."""
    layers = 32 if params < 10e9 else 40 if params < 20e9 else 60 if params < 40e9 else 80
    hidden = int(round(math.sqrt(params / (12 * layers)) / 128) * 128) or 128
    return ModelArch(params=params, layers=layers, hidden=hidden, vocab=32000, name=name, heuristic=True)


@dataclass(frozen=True)
class TrainingSetup:
    method: str              # full | lora | qlora
    tokens: float            # examples × tokens_per_example × epochs
    seq_len: int = 2048
    micro_batch: int = 1
    packing_eff: float = 0.96
    gradient_checkpointing: bool = True
    lora_rank: int = 16
    overhead_h: Band | None = None   # default by model size


@dataclass(frozen=True)
class MemoryPlan:
    fits: bool
    mode: str                # single | ddp | fsdp | offload | none
    per_gpu_gb: float
    usable_gb: float
    note: str


def _gb(x: float) -> float:
    return x / 1e9


def _with_margin(bytes_: float) -> float:
    return _gb(bytes_) * FRAGMENTATION + CUDA_CONTEXT_GB


def memory_plan(arch: ModelArch, setup: TrainingSetup, gpu: GpuSpec, n_gpu: int) -> MemoryPlan:
    """Per-GPU memory for the cheapest layout that fits (notes §4, §6.2)."""
    s, b = setup.seq_len, setup.micro_batch
    act = (2.0 * s * b * arch.hidden * arch.layers if setup.gradient_checkpointing
           else s * b * arch.hidden * 34.0 * arch.layers)
    logits = b * s * arch.vocab * 4.0 * 2
    extra = act + logits
    usable = gpu.vram_gb
    n_lora = arch.lora_params(setup.lora_rank)
    n = arch.params

    def plan(weights: float, mode: str, note: str) -> MemoryPlan | None:
        need = _with_margin(weights + extra)
        return MemoryPlan(True, mode, round(need, 1), usable, note) if need <= usable else None

    replica_mode = "single" if n_gpu == 1 else "ddp"
    if setup.method == "full":
        full_state = 16.0 * n
        found = plan(full_state / n_gpu, "fsdp" if n_gpu > 1 else "single",
                     "16 B/param mixed-precision AdamW" + (" sharded (FSDP/ZeRO-3)" if n_gpu > 1 else ""))
        if found:
            return found
        gpus_needed = math.ceil(_gb(full_state) * FRAGMENTATION / max(usable - CUDA_CONTEXT_GB - _gb(extra), 1))
        found = plan(4.0 * n / n_gpu, "offload",
                     f"does not fit at 16 B/param ({_gb(full_state):,.0f} GB of weights, grads and Adam states "
                     f"> {n_gpu}×{usable:g} GB): requires CPU optimizer offload or 8-bit/bf16 optimizer states, "
                     f"or about {gpus_needed} GPUs of this type; priced with the offload MFU band")
        if found:
            return found
        need = _with_margin(4.0 * n / n_gpu + extra)
        return MemoryPlan(False, "none", round(need, 1), usable,
                          f"does not fit even with CPU optimizer offload ({need:,.0f} GB per GPU > {usable:g} GB); "
                          f"needs about {math.ceil(n_gpu * need / usable)} GPUs of this type")
    if setup.method == "lora":
        weights = 2.0 * n + 16.0 * n_lora
        note = "bf16 frozen weights (2 B/param) + 16 B per LoRA param"
    else:
        weights = 0.516 * (n - arch.embed_params) + 2.0 * arch.embed_params + 16.0 * n_lora
        note = "NF4 weights (0.516 B/param) + 16-bit embeddings + 16 B per LoRA param"
    found = plan(weights, replica_mode, note + (", one replica per GPU" if n_gpu > 1 else ""))
    if found:
        return found
    if n_gpu > 1:
        found = plan(weights / n_gpu, "fsdp", note + ", sharded across GPUs (FSDP)")
        if found:
            return found
    need = _with_margin(weights / n_gpu + extra)
    return MemoryPlan(False, "none", round(need, 1), usable,
                      f"does not fit: about {need:,.0f} GB per GPU needed, {usable:g} GB available; "
                      f"needs about {math.ceil(n_gpu * need / usable)} GPUs of this type or a lighter method")


@dataclass(frozen=True)
class GpuTimeEstimate:
    wall_hours: Band
    gpu_hours: Band
    memory: MemoryPlan
    inputs: dict[str, Any] = field(default_factory=dict)


def weight_flops_per_token(arch: ModelArch, method: str) -> float:
    """k·N: the basis the MFU bands were measured on (k = 6 full, 4 LoRA/QLoRA)."""
    return (6.0 if method == "full" else 4.0) * arch.params


def flops_per_token(arch: ModelArch, method: str, seq_len: int) -> float:
    attention = 12.0 * arch.layers * arch.hidden * seq_len if seq_len >= ATTENTION_FROM_SEQ else 0.0
    return weight_flops_per_token(arch, method) + attention


def mfu_band(method: str, mode: str, gpu: GpuSpec, n_gpu: int) -> Band:
    if method == "full":
        key = "full_offload" if mode == "offload" else "full"
    else:
        key = "lora_single" if n_gpu == 1 else "lora_multi"
    return MFU_BANDS[(key, gpu.mfu_class)]


def scale_band(method: str, mode: str, n_gpu: int) -> Band:
    if n_gpu == 1 or method == "full":
        return Band.point(1.0)
    return SCALE_SHARDED_LORA if mode == "fsdp" else SCALE_DDP


def gpu_training_time(arch: ModelArch, setup: TrainingSetup, gpu: GpuSpec, n_gpu: int) -> GpuTimeEstimate:
    if setup.method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {setup.method!r}")
    if n_gpu < 1:
        raise ValueError("GPU count must be at least 1")
    memory = memory_plan(arch, setup, gpu, n_gpu)
    t_eff = setup.tokens / setup.packing_eff
    f_tok = flops_per_token(arch, setup.method, setup.seq_len)
    mfu_kn = mfu_band(setup.method, memory.mode, gpu, n_gpu)
    # The bands are on the k·N basis (notes, "Conventions"): with the attention term in F_tok the
    # same run has a proportionally higher MFU, so time does not jump where the term starts.
    mfu = mfu_kn * (f_tok / weight_flops_per_token(arch, setup.method))
    scale = scale_band(setup.method, memory.mode, n_gpu)
    peak = gpu.peak_tflops * 1e12
    calibration = gpu.lora_calibration if setup.method in ("lora", "qlora") else 1.0
    # Favourable ends for the low estimate: high MFU, high scaling efficiency.
    eff = mfu.reversed() * scale.reversed() * (n_gpu * peak * calibration)
    t_compute = Band(t_eff * f_tok / eff.low, t_eff * f_tok / eff.mid, t_eff * f_tok / eff.high)
    t_qlora = Band.point(0.0)
    micro_steps = t_eff / (setup.seq_len * setup.micro_batch * n_gpu)
    if setup.method == "qlora":
        n_pass = 3 if setup.gradient_checkpointing else 2
        t_qlora = C_DEQ * (micro_steps * n_pass * arch.params / 1e9 * (2.0 / gpu.bandwidth_tbs))
    overhead = setup.overhead_h or (OVERHEAD_SMALL_H if arch.params <= 20e9 else OVERHEAD_LARGE_H)
    wall = (t_compute + t_qlora) * (1 / 3600) + overhead
    inputs = {
        "tokens_processed": round(t_eff),
        "flops_per_token": f_tok,
        "mfu": mfu_kn.as_list(),
        "mfu_on_flops_per_token_basis": mfu.rounded(4),
        "scale_eff": scale.as_list(),
        "peak_tflops": gpu.peak_tflops,
        "peak_verified": gpu.verified,
        "throughput_calibration": calibration,
        "qlora_dequant_hours": (t_qlora * (1 / 3600)).rounded(3),
        "fixed_overhead_hours": overhead.as_list(),
        "wall_hours": wall.rounded(3),
        "memory": {"fits": memory.fits, "mode": memory.mode, "per_gpu_gb": memory.per_gpu_gb,
                   "gpu_gb": memory.usable_gb, "note": memory.note},
        "arch": {"params": arch.params, "layers": arch.layers, "hidden": arch.hidden, "vocab": arch.vocab,
                 "heuristic": arch.heuristic},
    }
    return GpuTimeEstimate(wall_hours=wall, gpu_hours=wall * n_gpu, memory=memory, inputs=inputs)


def billed_tokens(tokens_per_epoch: float, epochs: float, validation_tokens: float = 0.0, n_evals: int = 0) -> float:
    """Hosted SFT billing (notes §0.6): epochs × dataset tokens (+ n_evals × validation tokens)."""
    return epochs * tokens_per_epoch + n_evals * validation_tokens


def hosted_training_cost(tokens: float, usd_per_1m: float, min_charge: float | None = None) -> float:
    cost = tokens / 1e6 * usd_per_1m
    return max(cost, min_charge) if min_charge else cost


def monthly_token_spend(requests: float, input_tokens: float, output_tokens: float,
                        usd_in_per_1m: float, usd_out_per_1m: float) -> float:
    return requests * (input_tokens * usd_in_per_1m + output_tokens * usd_out_per_1m) / 1e6


def break_even_months(one_off_usd: float, monthly_base_usd: float, monthly_ft_usd: float) -> tuple[float | None, str]:
    """Training cost / (monthly base spend − monthly fine-tuned spend); None when not positive."""
    saving = monthly_base_usd - monthly_ft_usd
    if saving <= 0:
        return None, (f"never pays back on cost: the fine-tuned model costs ${monthly_ft_usd:,.2f}/month, "
                      f"the base model ${monthly_base_usd:,.2f}/month (justified on quality, not cost)")
    return one_off_usd / saving, f"saves ${saving:,.2f}/month against the base model"
