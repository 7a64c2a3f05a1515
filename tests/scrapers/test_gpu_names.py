"""Canonical GPU names: exact tables first, tolerant rules second, VRAM decides the size."""
from __future__ import annotations

import pytest

from scrapers.gpu_names import CANONICAL_NAMES, NOMINAL_VRAM_GB, normalise, unknown_name_warning, vram_from_mib

REQUIRED_CANONICAL = [
    "H100 SXM 80GB", "H100 PCIe 80GB", "H100 NVL 94GB", "H200 SXM 141GB", "H200 NVL 141GB", "B200 180GB",
    "B300 288GB", "GH200 96GB", "A100 SXM 80GB", "A100 SXM 40GB", "A100 PCIe 80GB", "A100 PCIe 40GB",
    "L40S 48GB", "L40 48GB", "L4 24GB", "A40 48GB", "A10 24GB", "RTX 4090 24GB", "RTX 5090 32GB",
    "RTX 3090 24GB", "RTX A6000 48GB", "RTX A5000 24GB", "RTX A4000 16GB", "RTX 6000 Ada 48GB",
    "RTX PRO 6000 96GB", "Quadro RTX 6000 24GB", "V100 16GB", "V100 32GB", "MI300X 192GB",
]


@pytest.mark.parametrize("name", REQUIRED_CANONICAL)
def test_the_agreed_canonical_names_are_in_the_vocabulary(name):
    assert name in CANONICAL_NAMES
    assert name.endswith(f"{NOMINAL_VRAM_GB[name]}GB")


@pytest.mark.parametrize("name", REQUIRED_CANONICAL)
def test_a_canonical_name_normalises_to_itself(name):
    assert normalise("any", name) == name


@pytest.mark.parametrize(("raw", "vram", "expected"), [
    ("NVIDIA H100 80GB HBM3", 80, "H100 SXM 80GB"),
    ("NVIDIA H100 PCIe", 80, "H100 PCIe 80GB"),
    ("NVIDIA H100 NVL", 94, "H100 NVL 94GB"),
    ("NVIDIA H200", 141, "H200 SXM 141GB"),
    ("NVIDIA H200 NVL", 143, "H200 NVL 141GB"),
    ("NVIDIA B200", 180, "B200 180GB"),
    ("NVIDIA B300 SXM6 AC", 288, "B300 288GB"),
    ("NVIDIA A100-SXM4-80GB", 80, "A100 SXM 80GB"),
    ("NVIDIA A100 80GB PCIe", 80, "A100 PCIe 80GB"),
    ("NVIDIA GeForce RTX 4090", 24, "RTX 4090 24GB"),
    ("NVIDIA GeForce RTX 5090", 32, "RTX 5090 32GB"),
    ("NVIDIA GeForce RTX 4080 SUPER", 16, "RTX 4080 SUPER 16GB"),
    ("NVIDIA RTX 6000 Ada Generation", 48, "RTX 6000 Ada 48GB"),
    ("NVIDIA RTX A6000", 48, "RTX A6000 48GB"),
    ("NVIDIA RTX PRO 6000 Blackwell Workstation Edition", 96, "RTX PRO 6000 Workstation 96GB"),
    ("NVIDIA RTX PRO 6000 Blackwell Server Edition", 96, "RTX PRO 6000 Server 96GB"),
    ("NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition", 96, "RTX PRO 6000 Max-Q 96GB"),
    ("NVIDIA RTX PRO 6000 Blackwell Server Edition MIG 1g.24gb", 24, "RTX PRO 6000 MIG 24GB"),
    ("NVIDIA RTX PRO 6000 Blackwell Server Edition MIG 2g.48gb", 48, "RTX PRO 6000 MIG 48GB"),
    ("NVIDIA RTX 4000 Ada Generation", 20, "RTX 4000 Ada 20GB"),
    ("NVIDIA RTX 4000 SFF Ada Generation", 20, "RTX 4000 SFF Ada 20GB"),
    ("NVIDIA RTX PRO 4500 Blackwell", 32, "RTX PRO 4500 32GB"),
    ("Tesla V100-PCIE-16GB", 16, "V100 16GB"),
    ("NVIDIA L40S", 48, "L40S 48GB"),
    ("NVIDIA L40", 48, "L40 48GB"),
    ("NVIDIA L4", 24, "L4 24GB"),
    ("Tesla V100-SXM2-32GB", 32, "V100 32GB"),
    ("Tesla V100-FHHL-16GB", 16, "V100 16GB"),
    ("AMD Instinct MI300X OAM", 192, "MI300X 192GB"),
    ("unknown", 0, None),
])
def test_runpod_ids(raw, vram, expected):
    assert normalise("runpod", raw, vram or None) == expected


@pytest.mark.parametrize(("raw", "gpu_ram_mib", "expected"), [
    ("H100 SXM", 81559, "H100 SXM 80GB"),
    ("H100 PCIE", 81559, "H100 PCIe 80GB"),
    ("H100 NVL", 95830, "H100 NVL 94GB"),
    ("H200", 143771, "H200 SXM 141GB"),
    ("B200", 183359, "B200 180GB"),
    ("A100 SXM4", 81920, "A100 SXM 80GB"),
    ("A100 SXM4", 40960, "A100 SXM 40GB"),
    ("A100 PCIE", 40960, "A100 PCIe 40GB"),
    ("A100X", 81920, "A100 PCIe 80GB"),
    ("RTX 4090", 24564, "RTX 4090 24GB"),
    ("RTX 6000Ada", 49140, "RTX 6000 Ada 48GB"),
    ("Q RTX 6000", 24576, "Quadro RTX 6000 24GB"),
    ("RTX PRO 6000 S", 97887, "RTX PRO 6000 Server 96GB"),
    ("RTX PRO 6000 WS", 97887, "RTX PRO 6000 Workstation 96GB"),
    # Names from the Vast catalogue (SkyPilot's vast/vms.csv InstanceType, "_" read as " "),
    # VRAM per GPU = the row's SizeInMiB / count.
    ("RTX 3060", 12288, "RTX 3060 12GB"),
    ("RTX 3060 Ti", 8192, "RTX 3060 Ti 8GB"),
    ("RTX 4060 Ti", 16380, "RTX 4060 Ti 16GB"),
    ("RTX 4070S Ti", 16376, "RTX 4070 Ti SUPER 16GB"),
    ("RTX 3070", 8192, "RTX 3070 8GB"),
    ("RTX 3080", 10240, "RTX 3080 10GB"),
    ("RTX 5090", 32607, "RTX 5090 32GB"),
    ("RTX A2000", 6138, "RTX A2000 6GB"),
    ("Tesla V100", 16384, "V100 16GB"),
    ("Tesla V100", 32768, "V100 32GB"),
])
def test_vast_names_with_measured_vram(raw, gpu_ram_mib, expected):
    assert normalise("vastai", raw, vram_from_mib(gpu_ram_mib)) == expected


def test_a_48gb_modified_rtx_4090_gets_its_own_name_not_the_24gb_one():
    assert normalise("vastai", "RTX 4090", vram_from_mib(49140)) == "RTX 4090 48GB"


def test_a_vram_size_the_family_does_not_have_is_unknown():
    assert normalise("vastai", "RTX 4090", vram_from_mib(36864)) is None
    assert normalise("vastai", "H200", vram_from_mib(40960)) is None


def test_a_name_and_a_measured_vram_that_disagree_are_unknown():
    assert normalise("runpod", "NVIDIA A100-SXM4-80GB", 40) is None


def test_vram_snaps_within_seven_percent_only():
    assert normalise("vastai", "A100 SXM4", 76.0) == "A100 SXM 80GB"  # -5%
    assert normalise("vastai", "A100 SXM4", 70.0) is None  # -12.5%


def test_a_family_with_several_sizes_needs_the_vram():
    assert normalise("vastai", "A100 SXM4") is None


@pytest.mark.parametrize(("raw", "vram", "expected"), [
    ("gpu_1x_rtx6000", None, "Quadro RTX 6000 24GB"),
    ("RTX 6000", None, "Quadro RTX 6000 24GB"),
    ("NVIDIA Quadro RTX 6000", 24, "Quadro RTX 6000 24GB"),
    ("gpu_8x_a100", None, "A100 SXM 40GB"),
    ("gpu_1x_a100_sxm4", None, "A100 SXM 40GB"),
    ("gpu_8x_a100_80gb_sxm4", None, "A100 SXM 80GB"),
    ("gpu_8x_h100_sxm5", None, "H100 SXM 80GB"),
    ("gpu_1x_h100_pcie", None, "H100 PCIe 80GB"),
    ("gpu_8x_b200_sxm6", None, "B200 180GB"),
    ("gpu_1x_gh200", None, "GH200 96GB"),
    ("gpu_4x_a6000", None, "RTX A6000 48GB"),
    ("gpu_1x_a10", None, "A10 24GB"),
    ("gpu_8x_v100_n", 16, "V100 16GB"),
    ("H100 (80 GB SXM5)", None, "H100 SXM 80GB"),
    ("NVIDIA H100 SXM", 80, "H100 SXM 80GB"),
    ("NVIDIA A100 SXM", 80, "A100 SXM 80GB"),
    ("NVIDIA A100 SXM", 40, "A100 SXM 40GB"),
    ("NVIDIA A100 PCIe", 40, "A100 PCIe 40GB"),
    ("NVIDIA A6000", 48, "RTX A6000 48GB"),
    ("NVIDIA Tesla V100", 16, "V100 16GB"),
    ("NVIDIA B200 SXM6", 180, "B200 180GB"),
    ("NVIDIA GH200", 96, "GH200 96GB"),
])
def test_lambda_names(raw, vram, expected):
    assert normalise("lambda", raw, vram) == expected


def test_a_bare_rtx_6000_elsewhere_is_decided_by_its_vram():
    assert normalise("vastai", "RTX 6000", 48) == "RTX 6000 Ada 48GB"
    assert normalise("vastai", "RTX 6000") is None


@pytest.mark.parametrize("raw", ["", "  ", "Imaginary RTX 9999", "H100"])
def test_names_nobody_has_mapped_are_unknown(raw):
    assert normalise("vastai", raw) is None


def test_the_unknown_name_warning_says_what_to_do():
    text = unknown_name_warning("vastai", "Imaginary RTX 9999", 15.99)
    assert text.startswith("unknown GPU name 'Imaginary RTX 9999'") and "scrapers/gpu_names.py" in text


@pytest.mark.parametrize(("provider", "raw", "vram", "expected"), [
    # SkyPilot catalogue names (AcceleratorName, plus the form factor the instance name gives).
    ("aws", "H100", 80, "H100 SXM 80GB"),  # p5: SXM only
    ("aws", "A100", 40, "A100 SXM 40GB"),  # p4d
    ("aws", "B300", 268.59, "B300 288GB"),  # p6-b300 reports 275040 MiB
    ("gcp", "H100 MEGA", 80, "H100 SXM 80GB"),  # a3-megagpu
    ("gcp", "L4", 24, "L4 24GB"),
    ("hyperstack", "A100-80G-PCIe", 80, "A100 PCIe 80GB"),
    ("hyperstack", "H100-80G-PCIe-NVLink", 80, "H100 PCIe 80GB"),  # NVLink bridge, not the NVL card
    ("hyperstack", "H100-80G-SXM5", 80, "H100 SXM 80GB"),
    ("hyperstack", "RTX-A4000", 16, "RTX A4000 16GB"),
    ("verda", "RTX-PRO-6000", 96, "RTX PRO 6000 96GB"),  # edition not said
    ("verda", "RTX-6000-Ada", 48, "RTX 6000 Ada 48GB"),
    ("verda", "B300", 262, "B300 288GB"),
    ("shadeform", "RTXPro6000", 96, "RTX PRO 6000 96GB"),
    ("shadeform", "RTX6000Ada", 48, "RTX 6000 Ada 48GB"),
    ("shadeform", "GAUDI2", 96, "Gaudi 2 96GB"),
    ("shadeform", "A16", 16, "A16 16GB"),
    ("runpod", "RTX4000-Ada", 20, "RTX 4000 Ada 20GB"),
    ("runpod", "RTXA4500", 20, "RTX A4500 20GB"),
    ("aws", "A10G", 24, "A10G 24GB"),
    ("aws", "T4g", 16, "T4 16GB"),
    ("vastai", "GTX1660S", 6, "GTX 1660 SUPER 6GB"),
    ("paperspace", "H100", 80, None),  # form factor not said, and Paperspace rents both
])
def test_catalogue_names(provider, raw, vram, expected):
    assert normalise(provider, raw, vram) == expected


def test_the_normaliser_is_cached():
    normalise.cache_clear()
    normalise("vastai", "RTX 4090", 23.99)
    normalise("vastai", "RTX 4090", 23.99)
    assert normalise.cache_info().hits == 1


@pytest.mark.parametrize("vram", [float("nan"), float("inf"), -24.0, 0.0])
def test_a_nonsense_vram_is_ignored_not_trusted(vram):
    assert normalise("vastai", "RTX 4090", vram) is None  # two sizes, none measured
    assert normalise("runpod", "NVIDIA L40S", vram) == "L40S 48GB"


def _catalogue_accelerators(cloud: str) -> list[str]:
    import ast
    import csv

    from tests.scrapers.conftest import GPU_FIXTURES

    with (GPU_FIXTURES / "skypilot_catalog_v8_common_accelerators.csv").open(newline="") as handle:
        return [row["AcceleratorName"] for row in csv.DictReader(handle) if cloud in ast.literal_eval(row["Clouds"])]


# SkyPilot strips the form factor from these (its fetcher drops SXM4/PCIE/NVL); Vast's own names
# carry it ("A100 SXM4", "H100 NVL"), and those map (test_vast_names_with_measured_vram).
_MERGED_BY_SKYPILOT = {"A100", "H100"}


@pytest.mark.parametrize("name", [n for n in _catalogue_accelerators("Vast") if n not in _MERGED_BY_SKYPILOT])
def test_every_name_the_catalogue_lists_for_vast_belongs_to_a_gpu_family(name):
    # SkyPilot writes Vast's names without spaces (RTX3060, RTXPRO6000WS, GTX1660S)
    from scrapers.gpu_names import family_of

    assert family_of("vastai", name) is not None


def test_the_names_skypilot_merged_are_unknown_without_their_form_factor():
    from scrapers.gpu_names import family_of

    assert {n for n in _catalogue_accelerators("Vast") if family_of("vastai", n) is None} == _MERGED_BY_SKYPILOT
