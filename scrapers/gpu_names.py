"""Canonical GPU names shared by every GPU collector.

One vocabulary across providers: ``"<model> <variant> <VRAM>GB"``, e.g. ``H100 SXM 80GB``.
``normalise(provider, raw_name, vram_gb)`` maps a provider's raw name to it:

1. an exact per-provider table (ids and instance names that regexes would get wrong);
2. tolerant regex rules over a cleaned name (``NVIDIA``/``GeForce``/``Tesla`` stripped) that
   pick a *family* (model + variant, never dropping SXM/PCIe/NVL/Ada/Ti/SUPER);
3. the VRAM: from the name when it says ("80GB", "(80 GB SXM5)"), else the caller's
   ``vram_gb`` snapped to the family's nominal sizes within ±7% (gpuhunt's
   ``correct_gpu_memory_gib`` idea). A size the family does not have gives ``None``.

``None`` means unknown: callers keep the raw name, add a warning (``unknown_name_warning``)
and never drop the row.
"""
from __future__ import annotations

import re

VRAM_TOLERANCE = 0.07

# family -> {nominal VRAM GB: canonical name}
FAMILIES: dict[str, dict[int, str]] = {
    "H100 SXM": {80: "H100 SXM 80GB"},
    "H100 PCIe": {80: "H100 PCIe 80GB"},
    "H100 NVL": {94: "H100 NVL 94GB"},
    "H200 SXM": {141: "H200 SXM 141GB"},
    "H200 NVL": {141: "H200 NVL 141GB"},
    "B200": {180: "B200 180GB"},
    "B300": {288: "B300 288GB"},
    "GH200": {96: "GH200 96GB"},
    "A100 SXM": {40: "A100 SXM 40GB", 80: "A100 SXM 80GB"},
    "A100 PCIe": {40: "A100 PCIe 40GB", 80: "A100 PCIe 80GB"},
    "L40S": {48: "L40S 48GB"},
    "L40": {48: "L40 48GB"},
    "L4": {24: "L4 24GB"},
    "A40": {48: "A40 48GB"},
    "A30": {24: "A30 24GB"},
    "A10": {24: "A10 24GB"},
    "RTX 5090": {32: "RTX 5090 32GB"},
    "RTX 5080": {16: "RTX 5080 16GB"},
    # 48 GB RTX 4090s are board-modified cards (seen on Vast): their own name, never the 24 GB one.
    "RTX 4090": {24: "RTX 4090 24GB", 48: "RTX 4090 48GB"},
    "RTX 4080 SUPER": {16: "RTX 4080 SUPER 16GB"},
    "RTX 4080": {16: "RTX 4080 16GB"},
    "RTX 4070 Ti": {12: "RTX 4070 Ti 12GB"},
    "RTX 3090 Ti": {24: "RTX 3090 Ti 24GB"},
    "RTX 3090": {24: "RTX 3090 24GB"},
    "RTX 3080 Ti": {12: "RTX 3080 Ti 12GB"},
    "RTX 3080": {10: "RTX 3080 10GB"},
    "RTX 3070": {8: "RTX 3070 8GB"},
    "RTX A6000": {48: "RTX A6000 48GB"},
    "RTX A5000": {24: "RTX A5000 24GB"},
    "RTX A4500": {20: "RTX A4500 20GB"},
    "RTX A4000": {16: "RTX A4000 16GB"},
    "RTX A2000": {6: "RTX A2000 6GB"},
    "RTX 6000 Ada": {48: "RTX 6000 Ada 48GB"},
    "RTX 5000 Ada": {32: "RTX 5000 Ada 32GB"},
    "RTX 4000 Ada": {20: "RTX 4000 Ada 20GB"},
    "RTX 2000 Ada": {16: "RTX 2000 Ada 16GB"},
    "RTX PRO 6000": {96: "RTX PRO 6000 96GB"},
    "RTX PRO 6000 MIG": {24: "RTX PRO 6000 MIG 24GB", 48: "RTX PRO 6000 MIG 48GB"},
    "RTX PRO 4500": {32: "RTX PRO 4500 32GB"},
    "Quadro RTX 6000": {24: "Quadro RTX 6000 24GB"},
    "Quadro RTX 8000": {48: "Quadro RTX 8000 48GB"},
    # A bare "RTX 6000" is ambiguous (Quadro 24 GB, Ada 48 GB, PRO 96 GB): the VRAM decides.
    "RTX 6000 (ambiguous)": {24: "Quadro RTX 6000 24GB", 48: "RTX 6000 Ada 48GB", 96: "RTX PRO 6000 96GB"},
    "V100": {16: "V100 16GB", 32: "V100 32GB"},
    "MI300X": {192: "MI300X 192GB"},
}

CANONICAL_NAMES: frozenset[str] = frozenset(n for sizes in FAMILIES.values() for n in sizes.values())
NOMINAL_VRAM_GB: dict[str, int] = {n: gb for sizes in FAMILIES.values() for gb, n in sizes.items()}

# Exact raw names per provider -> canonical name (checked first; also documents the odd ones).
EXACT: dict[str, dict[str, str]] = {
    "runpod": {
        "NVIDIA H100 80GB HBM3": "H100 SXM 80GB",
        "NVIDIA H200": "H200 SXM 141GB",
        "NVIDIA H200 NVL": "H200 NVL 141GB",  # memoryInGb 143
        "NVIDIA B300 SXM6 AC": "B300 288GB",
        "AMD Instinct MI300X OAM": "MI300X 192GB",
        "Tesla V100-FHHL-16GB": "V100 16GB",
    },
    "vastai": {
        "H200": "H200 SXM 141GB",
        "Q RTX 6000": "Quadro RTX 6000 24GB",
        "Q RTX 8000": "Quadro RTX 8000 48GB",
        "RTX 6000Ada": "RTX 6000 Ada 48GB",
        "RTX PRO 6000 S": "RTX PRO 6000 96GB",
        "RTX PRO 6000 WS": "RTX PRO 6000 96GB",
        "A100X": "A100 PCIe 80GB",
    },
    "lambda": {
        # Lambda's "RTX 6000" is the 24 GB Quadro RTX 6000 (Turing).
        "gpu_1x_rtx6000": "Quadro RTX 6000 24GB",
        "RTX 6000": "Quadro RTX 6000 24GB",
        "NVIDIA RTX 6000": "Quadro RTX 6000 24GB",
        # An A100 without a size is 40 GB at Lambda: SXM4 in the 8x node, PCIe in the 1x.
        "gpu_8x_a100": "A100 SXM 40GB",
        "gpu_1x_a100": "A100 PCIe 40GB",
        "gpu_1x_a100_sxm4": "A100 SXM 40GB",
        "gpu_8x_a100_80gb_sxm4": "A100 SXM 80GB",
        "gpu_1x_gh200": "GH200 96GB",
    },
}

# (pattern over the cleaned, upper-cased name, family). First match wins: specific before general.
_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), fam) for p, fam in [
        (r"\bGH200\b", "GH200"),
        (r"\bH200\b.*\bNVL\b", "H200 NVL"),
        (r"\bH200\b", "H200 SXM"),
        (r"\bH100\b.*\bNVL\b", "H100 NVL"),
        (r"\bH100\b.*\bPCIE\b", "H100 PCIe"),
        (r"\bH100\b.*\b(SXM\d?|HBM3)\b", "H100 SXM"),
        (r"\bB300\b", "B300"),
        (r"\bB200\b", "B200"),
        (r"\bA100X\b", "A100 PCIe"),
        (r"\bA100\b.*\bSXM\d?\b", "A100 SXM"),
        (r"\bA100\b.*\bPCIE\b", "A100 PCIe"),
        (r"\bL40S\b", "L40S"),
        (r"\bL40\b", "L40"),
        (r"\bL4\b", "L4"),
        (r"\bA40\b", "A40"),
        (r"\bA30\b", "A30"),
        (r"\bA10\b", "A10"),
        (r"\bMI300X\b", "MI300X"),
        (r"\bV100\b", "V100"),
        (r"\bPRO 6000\b.*\bMIG\b", "RTX PRO 6000 MIG"),
        (r"\bPRO 6000\b", "RTX PRO 6000"),
        (r"\bPRO 4500\b", "RTX PRO 4500"),
        (r"\b(QUADRO|Q) RTX 6000\b", "Quadro RTX 6000"),
        (r"\b(QUADRO|Q) RTX 8000\b", "Quadro RTX 8000"),
        (r"\bRTX 6000 ?ADA\b", "RTX 6000 Ada"),
        (r"\bRTX 5000 ?ADA\b", "RTX 5000 Ada"),
        (r"\bRTX 4000 ?(SFF )?ADA\b", "RTX 4000 Ada"),
        (r"\bRTX 2000 ?ADA\b", "RTX 2000 Ada"),
        (r"\bRTX 6000\b", "RTX 6000 (ambiguous)"),
        (r"\b(RTX )?A6000\b", "RTX A6000"),
        (r"\b(RTX )?A5000\b", "RTX A5000"),
        (r"\b(RTX )?A4500\b", "RTX A4500"),
        (r"\b(RTX )?A4000\b", "RTX A4000"),
        (r"\b(RTX )?A2000\b", "RTX A2000"),
        (r"\bRTX 5090\b", "RTX 5090"),
        (r"\bRTX 5080\b", "RTX 5080"),
        (r"\bRTX 4090\b", "RTX 4090"),
        (r"\bRTX 4080 ?(SUPER|S)\b", "RTX 4080 SUPER"),
        (r"\bRTX 4080\b", "RTX 4080"),
        (r"\bRTX 4070 ?TI\b", "RTX 4070 Ti"),
        (r"\bRTX 3090 ?TI\b", "RTX 3090 Ti"),
        (r"\bRTX 3090\b", "RTX 3090"),
        (r"\bRTX 3080 ?TI\b", "RTX 3080 Ti"),
        (r"\bRTX 3080\b", "RTX 3080"),
        (r"\bRTX 3070\b", "RTX 3070"),
    ]
]

# Lambda names its A100 nodes without a variant; at Lambda a bare A100 is the 40 GB SXM4.
_PROVIDER_DEFAULT_FAMILY = {"lambda": {"A100": "A100 SXM"}}

_STRIP = re.compile(r"\b(NVIDIA|GEFORCE|TESLA|AMD|INSTINCT)\b")
_VRAM_IN_NAME = re.compile(r"(\d{1,3})\s*GB\b")
_LAMBDA_INSTANCE = re.compile(r"^GPU_\d+X_")


def _clean(raw_name: str) -> str:
    text = _LAMBDA_INSTANCE.sub("", raw_name.upper())  # gpu_8x_h100_sxm5 -> H100_SXM5
    text = text.replace("_", " ").replace("-", " ")
    text = _STRIP.sub(" ", text)
    text = re.sub(r"(\d+)\s*GB", r" \1GB ", text)  # "80GB", "80 GB", "1g.24gb" -> " 80GB "
    text = re.sub(r"SXM(\d)", r"SXM\1 ", text)
    return " ".join(text.split())


def family_of(provider: str, raw_name: str) -> str | None:
    """The family (model + variant) a raw name belongs to, or None."""
    cleaned = _clean(raw_name)
    for pattern, family in _RULES:
        if pattern.search(cleaned):
            return family
    if re.search(r"\bA100\b", cleaned):
        return _PROVIDER_DEFAULT_FAMILY.get(provider, {}).get("A100")
    return None


def snap_vram(family: str, vram_gb: float) -> int | None:
    """The family's nominal size within ±7% of ``vram_gb``, or None."""
    best = None
    for nominal in FAMILIES[family]:
        if abs(vram_gb - nominal) <= VRAM_TOLERANCE * nominal:
            if best is None or abs(vram_gb - nominal) < abs(vram_gb - best):
                best = nominal
    return best


def normalise(provider: str, raw_name: str, vram_gb: float | None = None) -> str | None:
    """Canonical name for a provider's raw GPU name, or None when unknown.

    ``vram_gb`` (per GPU, as measured or listed) picks the size inside a family and guards
    against silent mislabels: a 48 GB RTX 4090 becomes ``RTX 4090 48GB``; a size the family
    does not have (an exact-table hit included) gives None.
    """
    if not raw_name or not raw_name.strip():
        return None
    name = raw_name.strip()
    exact = EXACT.get(provider, {}).get(name)
    if exact is None and name in CANONICAL_NAMES:
        exact = name
    if exact is not None:
        if vram_gb is None or _close(vram_gb, NOMINAL_VRAM_GB[exact]):
            return exact
        family = next(f for f, sizes in FAMILIES.items() if exact in sizes.values())
        snapped = snap_vram(family, vram_gb)
        return FAMILIES[family][snapped] if snapped is not None else None

    family = family_of(provider, name)
    if family is None:
        return None
    sizes = FAMILIES[family]
    in_name = [int(m) for m in _VRAM_IN_NAME.findall(_clean(name)) if int(m) in sizes]
    if in_name:
        size = in_name[0]
        if vram_gb is not None and not _close(vram_gb, size):
            return None  # the name and the measured VRAM disagree
        return sizes[size]
    if vram_gb is not None:
        snapped = snap_vram(family, vram_gb)
        return sizes[snapped] if snapped is not None else None
    if len(sizes) == 1:
        return next(iter(sizes.values()))
    if provider == "lambda" and family in ("A100 SXM", "A100 PCIe"):
        return sizes[40]
    return None


def _close(vram_gb: float, nominal: int) -> bool:
    return abs(vram_gb - nominal) <= VRAM_TOLERANCE * nominal


def vram_from_mib(mib: float | None) -> float | None:
    """Vast's ``gpu_ram`` (MiB measured by the driver) in GB (GiB, as vendors quote it)."""
    if mib is None:
        return None
    return round(float(mib) / 1024, 2)


def unknown_name_warning(provider: str, raw_name: str, vram_gb: float | None = None) -> str:
    vram = f" with {vram_gb:g} GB" if vram_gb is not None else ""
    return (f"unknown GPU name {raw_name!r}{vram} from {provider}: kept with gpu_model NULL; "
            f"add it to scrapers/gpu_names.py")
