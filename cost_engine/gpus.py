"""GPU hardware specs the compute model needs: dense BF16 peak, memory, bandwidth, MFU class.

Peaks are dense BF16 tensor TFLOP/s with FP32 accumulate (never the 2:4-sparse headline).
Sources: stas00/ml-engineering ``compute/accelerator/README.md`` (TFLOPS comparison table) and the
NVIDIA Ada whitepaper v2.1 (RTX 4090: 165.2 dense BF16 with FP32 accumulate). Rows marked
``verified=False`` are datasheet numbers that could not be checked against a primary source;
estimates on those GPUs say so in their inputs. Memory is the canonical name's nominal VRAM
(``scrapers.gpu_names.NOMINAL_VRAM_GB``), so a spec can only exist for a canonical name.

**Calibration (LoRA/QLoRA).** Peak ratios are not throughput ratios. ``lora_calibration``
multiplies a GPU's modelled LoRA/QLoRA throughput (peak × MFU band) so that the GPUs of one
published same-recipe benchmark keep their measured ratios: vtuber-plan/katheryne
``docs/benchmark.md`` (commit 75ea886167bb7f2c614961e2de0f55698f6552bf), Llama-2-7B LoRA r=16
(q, v), bf16, gradient checkpointing, batch 2, sequence 512, 100 steps: L40S 38 s, RTX 6000 Ada
38 s, A800 80GB PCIe 41 s, A100 40GB PCIe 44 s, RTX 4090 62 s, RTX A6000 73 s, A40 76 s,
RTX 3090 96 s. Anchor: the A800 80GB PCIe (an A100 80GB die; the A100 MFU bands come from
A100 80GB measurements), calibration 1. For GPU g:
``calibration = (41 s / t_g) / ((peak_g × MFU_mid_g) / (312 × 0.31))`` with MFU_mid 0.31 (Ampere
data-centre) and 0.30 (consumer/Ada), e.g. RTX 4090: (41/62) / (165.2×0.30 / 96.72) = 0.6613 /
0.5124 = 1.29; L40S: (41/38) / (362×0.30 / 96.72) = 1.0789 / 1.1228 = 0.96. The engine then has
the L40S 362×0.30×0.96 / (165.2×0.30×1.29) = 1.63× as fast as the RTX 4090, as measured
(62 s / 38 s = 1.63), not the 2.19× of the peaks. One short, small-batch benchmark: GPUs it did
not measure keep calibration 1.

**Sources of the rows added for the finer and catalogue GPU names** (numbered in ``_SPECS``;
every one ``verified=False``: a datasheet or whitepaper figure as published or tabulated, not
checked against a measurement):
(1) RTX PRO 6000 Blackwell (GB202, 188 SMs): NVIDIA's GTC 2025 specification, 4,000 AI TOPS
    (FP4 with sparsity) and 1,792 GB/s (512-bit GDDR7 at 28 Gbps), as reported e.g. by
    hardware-corner.net "RTX 5090 vs RTX PRO 6000 spec comparison" (2025-03-21). Dense BF16 with
    FP32 accumulate = 4,000 / 2 (sparsity) / 2 (FP4 -> FP8) / 2 (FP8 -> BF16) = 500 TFLOPS (a
    professional card: full-rate FP32 accumulate, as the RTX A6000 and RTX 6000 Ada).
(2) GeForce RTX 5090: NVIDIA RTX Blackwell GPU architecture whitepaper, appendix "Peak FP16/BF16
    Tensor TFLOPS with FP32 Accumulate" 209.5 (419 sparse); 1,792 GB/s.
(3) The 48 GB RTX 4090 is a re-boarded AD102 RTX 4090 (same GPU, twice the memory chips): the
    RTX 4090's figures (NVIDIA Ada whitepaper v2.1, appendix A: 165.2 dense BF16 with FP32
    accumulate, 1,008 GB/s) and its katheryne calibration (same silicon).
(4) Quadro RTX 6000 (Turing TU102): NVIDIA Turing GPU architecture whitepaper, Quadro RTX 6000
    column: "Peak FP16 Tensor TFLOPS with FP32 Accumulate" 130.5, 672 GB/s. Turing has no BF16:
    FP16 mixed precision, as the V100 row.
(5) A30 (GA100, 24 GB HBM2): NVIDIA A30 datasheet, BF16 Tensor Core 165 TFLOPS (330 with
    sparsity), 933 GB/s; the A100's per-SM rate (A100 whitepaper: 108 SMs at 1,410 MHz = 312)
    at the A30's 56 SMs and 1,440 MHz gives the same 165. Data-centre Ampere: the A100 MFU band.
(6) V100 16 GB: the same GV100 as the 32 GB part (Volta whitepaper: 125 TFLOPS mixed precision,
    900 GB/s).
GPUs without a spec are listed in ``UNSPECIFIED``.
"""
from __future__ import annotations

from dataclasses import dataclass

from scrapers.gpu_names import NOMINAL_VRAM_GB


@dataclass(frozen=True)
class GpuSpec:
    name: str                # canonical name (gpu_price_history.gpu_model)
    peak_tflops: float       # dense BF16 (FP16 for V100, which has no BF16)
    bandwidth_tbs: float
    mfu_class: str           # consumer | ampere | hopper: picks the MFU band (notes §2.4)
    verified: bool = True
    lora_calibration: float = 1.0   # measured/modelled LoRA throughput (module docstring)

    @property
    def vram_gb(self) -> float:
        return float(NOMINAL_VRAM_GB[self.name])


_SPECS = (
    GpuSpec("H100 SXM 80GB", 989.0, 3.35, "hopper"),
    GpuSpec("H100 PCIe 80GB", 756.0, 2.0, "hopper"),
    GpuSpec("H100 NVL 94GB", 835.0, 3.9, "hopper", verified=False),   # notes: not Lightning's pair value
    GpuSpec("H200 SXM 141GB", 989.0, 4.8, "hopper"),
    GpuSpec("GH200 96GB", 989.0, 4.0, "hopper"),      # stas00: GH200 theory 989 (H100 die); 4.0 TB/s datasheet
    GpuSpec("B200 180GB", 2250.0, 8.0, "hopper", verified=False),
    GpuSpec("A100 SXM 80GB", 312.0, 2.0, "ampere"),
    GpuSpec("A100 SXM 40GB", 312.0, 1.555, "ampere"),
    GpuSpec("A100 PCIe 80GB", 312.0, 1.94, "ampere"),
    GpuSpec("A100 PCIe 40GB", 312.0, 1.555, "ampere", lora_calibration=0.93),   # (41/44) / 1.0
    GpuSpec("L40S 48GB", 362.0, 0.864, "consumer", lora_calibration=0.96),       # (41/38) / (108.6/96.72)
    GpuSpec("L40 48GB", 181.0, 0.864, "consumer", verified=False),
    GpuSpec("L4 24GB", 121.0, 0.3, "consumer", verified=False),
    GpuSpec("A40 48GB", 149.7, 0.696, "consumer", verified=False, lora_calibration=1.16),  # (41/76) / (44.91/96.72)
    GpuSpec("A10 24GB", 125.0, 0.6, "consumer", verified=False),
    GpuSpec("RTX 4090 24GB", 165.2, 1.008, "consumer", lora_calibration=1.29),   # (41/62) / (49.56/96.72)
    GpuSpec("RTX 3090 24GB", 71.0, 0.936, "consumer", verified=False,
            lora_calibration=1.94),                                                # (41/96) / (21.3/96.72)
    GpuSpec("RTX A6000 48GB", 154.8, 0.768, "consumer", lora_calibration=1.17),  # (41/73) / (46.44/96.72)
    GpuSpec("RTX 6000 Ada 48GB", 364.0, 0.96, "consumer", verified=False,
            lora_calibration=0.96),                                                # (41/38) / (109.2/96.72)
    GpuSpec("RTX PRO 6000 96GB", 500.0, 1.792, "consumer", verified=False),              # (1)
    # The editions providers price apart (scrapers.gpu_names): the 600 W Server and Workstation
    # editions share the plain name's GB202 configuration and headline (1); the 300 W Max-Q has
    # lower clocks and no sourced figure (not listed, see UNSPECIFIED below).
    GpuSpec("RTX PRO 6000 Server 96GB", 500.0, 1.792, "consumer", verified=False),       # (1)
    GpuSpec("RTX PRO 6000 Workstation 96GB", 500.0, 1.792, "consumer", verified=False),  # (1)
    GpuSpec("RTX 5090 32GB", 209.5, 1.792, "consumer", verified=False),                  # (2)
    GpuSpec("RTX 4090 48GB", 165.2, 1.008, "consumer", verified=False,                   # (3)
            lora_calibration=1.29),
    GpuSpec("Quadro RTX 6000 24GB", 130.5, 0.672, "consumer", verified=False),           # (4)
    GpuSpec("A30 24GB", 165.0, 0.933, "ampere", verified=False),                         # (5)
    GpuSpec("V100 32GB", 125.0, 0.9, "consumer", verified=False),
    GpuSpec("V100 16GB", 125.0, 0.9, "consumer", verified=False),                        # (6)
    GpuSpec("MI300X 192GB", 1307.0, 5.3, "hopper", verified=False),
)

GPU_SPECS: dict[str, GpuSpec] = {s.name: s for s in _SPECS}

# Canonical GPUs seen in the bundled market data (or named by issue #12) with no spec here: no
# primary figure was at hand for their dense BF16 (FP32 accumulate) peak, or the engine's MFU
# bands do not apply (Gaudi 2 is not a CUDA GPU; its 432 TFLOPS peak is in stas00's table but no
# LoRA/QLoRA stack or MFU band of ours covers it). Their offers are not priced; `estimate` names
# them (cost_engine.service.gpus_without_spec) instead of dropping them silently.
UNSPECIFIED = (
    "RTX PRO 6000 Max-Q 96GB", "RTX 4000 SFF Ada 20GB", "RTX 4000 Ada 20GB", "RTX 5000 Ada 32GB",
    "RTX 2000 Ada 16GB", "RTX A2000 6GB", "RTX A4000 16GB", "RTX A4500 20GB", "RTX A5000 24GB",
    "RTX 3060 12GB", "RTX 3060 Ti 8GB", "RTX 3070 8GB", "RTX 3080 10GB", "RTX 3080 Ti 12GB", "RTX 3090 Ti 24GB",
    "RTX 4060 Ti 16GB", "RTX 4070 Ti 12GB", "RTX 4070 Ti SUPER 16GB", "RTX 4080 16GB", "RTX 4080 SUPER 16GB",
    "RTX 5080 16GB", "A16 16GB", "B300 288GB", "Gaudi 2 96GB",
)


class UnknownGpu(ValueError):
    """A GPU name that is not canonical (a ValueError, so catalogue validation reports it)."""


def gpu_spec(name: str) -> GpuSpec:
    try:
        return GPU_SPECS[name]
    except KeyError:
        known = ", ".join(sorted(GPU_SPECS))
        raise UnknownGpu(f"unknown GPU {name!r}; use a canonical name: {known}") from None
