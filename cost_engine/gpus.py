"""GPU hardware specs the compute model needs: dense BF16 peak, memory, bandwidth, MFU class.

Peaks are dense BF16 tensor TFLOP/s with FP32 accumulate (never the 2:4-sparse headline).
Source: /work/shared/notes/cost_models.md §1 (stas00/ml-engineering, NVIDIA whitepapers).
Rows marked ``verified=False`` are datasheet numbers from memory that the notes could not check;
estimates on those GPUs say so in their inputs. Memory is the canonical name's nominal VRAM
(``scrapers.gpu_names.NOMINAL_VRAM_GB``), so a spec can only exist for a canonical name.
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

    @property
    def vram_gb(self) -> float:
        return float(NOMINAL_VRAM_GB[self.name])


_SPECS = (
    GpuSpec("H100 SXM 80GB", 989.0, 3.35, "hopper"),
    GpuSpec("H100 PCIe 80GB", 756.0, 2.0, "hopper"),
    GpuSpec("H100 NVL 94GB", 835.0, 3.9, "hopper", verified=False),   # notes: not Lightning's pair value
    GpuSpec("H200 SXM 141GB", 989.0, 4.8, "hopper"),
    GpuSpec("B200 180GB", 2250.0, 8.0, "hopper", verified=False),
    GpuSpec("A100 SXM 80GB", 312.0, 2.0, "ampere"),
    GpuSpec("A100 SXM 40GB", 312.0, 1.555, "ampere"),
    GpuSpec("A100 PCIe 80GB", 312.0, 1.94, "ampere"),
    GpuSpec("A100 PCIe 40GB", 312.0, 1.555, "ampere"),
    GpuSpec("L40S 48GB", 362.0, 0.864, "consumer"),
    GpuSpec("L40 48GB", 181.0, 0.864, "consumer", verified=False),
    GpuSpec("L4 24GB", 121.0, 0.3, "consumer", verified=False),
    GpuSpec("A40 48GB", 149.7, 0.696, "consumer", verified=False),
    GpuSpec("A10 24GB", 125.0, 0.6, "consumer", verified=False),
    GpuSpec("RTX 4090 24GB", 165.2, 1.008, "consumer"),
    GpuSpec("RTX 3090 24GB", 71.0, 0.936, "consumer", verified=False),
    GpuSpec("RTX A6000 48GB", 154.8, 0.768, "consumer"),
    GpuSpec("RTX 6000 Ada 48GB", 364.0, 0.96, "consumer", verified=False),
    GpuSpec("RTX PRO 6000 96GB", 500.0, 1.79, "consumer", verified=False),
    GpuSpec("V100 32GB", 125.0, 0.9, "consumer", verified=False),
    GpuSpec("MI300X 192GB", 1307.0, 5.3, "hopper", verified=False),
)

GPU_SPECS: dict[str, GpuSpec] = {s.name: s for s in _SPECS}


class UnknownGpu(ValueError):
    """A GPU name that is not canonical (a ValueError, so catalogue validation reports it)."""


def gpu_spec(name: str) -> GpuSpec:
    try:
        return GPU_SPECS[name]
    except KeyError:
        known = ", ".join(sorted(GPU_SPECS))
        raise UnknownGpu(f"unknown GPU {name!r}; use a canonical name: {known}") from None
