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
and never drop the row. ``normalise`` is cached (a market of 20,000 offers repeats a few dozen
raw names), so callers may call it per row.

Editions that providers price apart keep apart: the RTX PRO 6000 Server, Workstation and Max-Q
(and the plain name when the provider does not say which), the RTX 4000 Ada and its SFF version.
"""
from __future__ import annotations

import functools
import math
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
    # B300: 288 GB HBM3e on paper; drivers and some catalogues report ~262-268 GiB.
    "B300": {288: "B300 288GB", 262: "B300 288GB"},
    "GH200": {96: "GH200 96GB", 144: "GH200 144GB"},
    "GB200": {186: "GB200 186GB"},
    "H800": {80: "H800 80GB"},
    "H20": {96: "H20 96GB"},
    "A100 SXM": {40: "A100 SXM 40GB", 80: "A100 SXM 80GB"},
    "A100 PCIe": {40: "A100 PCIe 40GB", 80: "A100 PCIe 80GB"},
    "A800": {40: "A800 40GB", 80: "A800 80GB"},
    "L40S": {48: "L40S 48GB"},
    "L40": {48: "L40 48GB"},
    "L4": {24: "L4 24GB"},
    "A40": {48: "A40 48GB"},
    "A30": {24: "A30 24GB"},
    "A10": {24: "A10 24GB"},
    "A10G": {24: "A10G 24GB"},
    "A16": {16: "A16 16GB"},
    "A2": {16: "A2 16GB"},
    "L20": {48: "L20 48GB"},
    "T4": {16: "T4 16GB"},
    "P100": {16: "P100 16GB"},
    "P40": {24: "P40 24GB"},
    "P4": {8: "P4 8GB"},
    "K80": {12: "K80 12GB"},
    "M60": {8: "M60 8GB"},
    "RTX 5090": {32: "RTX 5090 32GB"},
    "RTX 5080": {16: "RTX 5080 16GB"},
    "RTX 5070 Ti": {16: "RTX 5070 Ti 16GB"},
    "RTX 5070": {12: "RTX 5070 12GB"},
    "RTX 5060 Ti": {8: "RTX 5060 Ti 8GB", 16: "RTX 5060 Ti 16GB"},
    "RTX 5060": {8: "RTX 5060 8GB"},
    # 48 GB RTX 4090s are board-modified cards (seen on Vast): their own name, never the 24 GB one.
    "RTX 4090": {24: "RTX 4090 24GB", 48: "RTX 4090 48GB"},
    "RTX 4080 SUPER": {16: "RTX 4080 SUPER 16GB"},
    "RTX 4080": {16: "RTX 4080 16GB"},
    "RTX 4070 Ti SUPER": {16: "RTX 4070 Ti SUPER 16GB"},
    "RTX 4070 Ti": {12: "RTX 4070 Ti 12GB"},
    "RTX 4070 SUPER": {12: "RTX 4070 SUPER 12GB"},
    "RTX 4070": {12: "RTX 4070 12GB"},
    "RTX 4060 Ti": {8: "RTX 4060 Ti 8GB", 16: "RTX 4060 Ti 16GB"},
    "RTX 4060": {8: "RTX 4060 8GB"},
    "RTX 3090 Ti": {24: "RTX 3090 Ti 24GB"},
    "RTX 3090": {24: "RTX 3090 24GB"},
    "RTX 3080 Ti": {12: "RTX 3080 Ti 12GB"},
    "RTX 3080": {10: "RTX 3080 10GB", 12: "RTX 3080 12GB"},
    "RTX 3070 Ti": {8: "RTX 3070 Ti 8GB"},
    "RTX 3070": {8: "RTX 3070 8GB"},
    "RTX 3060 Ti": {8: "RTX 3060 Ti 8GB"},
    "RTX 3060": {12: "RTX 3060 12GB", 8: "RTX 3060 8GB"},
    "RTX 2080 Ti": {11: "RTX 2080 Ti 11GB"},
    "RTX 2080 SUPER": {8: "RTX 2080 SUPER 8GB"},
    "RTX 2080": {8: "RTX 2080 8GB"},
    "RTX 2070 SUPER": {8: "RTX 2070 SUPER 8GB"},
    "RTX 2070": {8: "RTX 2070 8GB"},
    "GTX 1080 Ti": {11: "GTX 1080 Ti 11GB"},
    "GTX 1660 SUPER": {6: "GTX 1660 SUPER 6GB"},
    "TITAN RTX": {24: "TITAN RTX 24GB"},
    "TITAN V": {12: "TITAN V 12GB"},
    "RTX A6000": {48: "RTX A6000 48GB"},
    "RTX A5500": {24: "RTX A5500 24GB"},
    "RTX A5000": {24: "RTX A5000 24GB"},
    "RTX A4500": {20: "RTX A4500 20GB"},
    "RTX A4000": {16: "RTX A4000 16GB"},
    "RTX A2000": {6: "RTX A2000 6GB", 12: "RTX A2000 12GB"},
    "RTX 6000 Ada": {48: "RTX 6000 Ada 48GB"},
    "RTX 5000 Ada": {32: "RTX 5000 Ada 32GB"},
    "RTX 4000 SFF Ada": {20: "RTX 4000 SFF Ada 20GB"},
    "RTX 4000 Ada": {20: "RTX 4000 Ada 20GB"},
    "RTX 2000 Ada": {16: "RTX 2000 Ada 16GB"},
    # The editions are priced apart (RunPod lists all three); the plain name is kept for providers
    # that do not say which edition they rent.
    "RTX PRO 6000 Server": {96: "RTX PRO 6000 Server 96GB"},
    "RTX PRO 6000 Workstation": {96: "RTX PRO 6000 Workstation 96GB"},
    "RTX PRO 6000 Max-Q": {96: "RTX PRO 6000 Max-Q 96GB"},
    "RTX PRO 6000": {96: "RTX PRO 6000 96GB"},
    "RTX PRO 6000 MIG": {24: "RTX PRO 6000 MIG 24GB", 48: "RTX PRO 6000 MIG 48GB"},
    "RTX PRO 4500": {32: "RTX PRO 4500 32GB"},
    "Quadro RTX 6000": {24: "Quadro RTX 6000 24GB"},
    "Quadro RTX 8000": {48: "Quadro RTX 8000 48GB"},
    "Quadro RTX 5000": {16: "Quadro RTX 5000 16GB"},
    "Quadro RTX 4000": {8: "Quadro RTX 4000 8GB"},
    "Quadro P4000": {8: "Quadro P4000 8GB"},
    "Quadro M4000": {8: "Quadro M4000 8GB"},
    # A bare "RTX 6000" is ambiguous (Quadro 24 GB, Ada 48 GB, PRO 96 GB): the VRAM decides.
    "RTX 6000 (ambiguous)": {24: "Quadro RTX 6000 24GB", 48: "RTX 6000 Ada 48GB", 96: "RTX PRO 6000 96GB"},
    "V100": {16: "V100 16GB", 32: "V100 32GB"},
    "MI300X": {192: "MI300X 192GB"},
    "MI325X": {256: "MI325X 256GB"},
    "MI250": {128: "MI250 128GB"},
    "MI25": {16: "Radeon Instinct MI25 16GB"},
    "Radeon Pro V520": {8: "Radeon Pro V520 8GB"},
    # Intel's Gaudi accelerators are rented like GPUs for training.
    "Gaudi 2": {96: "Gaudi 2 96GB"},
    "Gaudi": {32: "Gaudi 32GB"},
}

CANONICAL_NAMES: frozenset[str] = frozenset(n for sizes in FAMILIES.values() for n in sizes.values())
# The size a canonical name is listed at (the first size a family gives it; later sizes are
# what some drivers or catalogues report for the same card, e.g. B300's 262 GiB).
NOMINAL_VRAM_GB: dict[str, int] = {}
for _sizes in FAMILIES.values():
    for _gb, _name in _sizes.items():
        NOMINAL_VRAM_GB.setdefault(_name, _gb)
_FAMILY_OF_NAME: dict[str, str] = {n: f for f, sizes in FAMILIES.items() for n in sizes.values()}

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
        # Vast suffixes the RTX PRO 6000 edition: S = Server, WS = Workstation.
        "RTX PRO 6000 S": "RTX PRO 6000 Server 96GB",
        "RTX PRO 6000 WS": "RTX PRO 6000 Workstation 96GB",
        "A100X": "A100 PCIe 80GB",
    },
    "lambda": {
        # Lambda's "RTX 6000" is the 24 GB Quadro RTX 6000 (Turing).
        "gpu_1x_rtx6000": "Quadro RTX 6000 24GB",
        "RTX 6000": "Quadro RTX 6000 24GB",
        "RTX6000": "Quadro RTX 6000 24GB",
        "NVIDIA RTX 6000": "Quadro RTX 6000 24GB",
        # An A100 without a size is 40 GB at Lambda: SXM4 in the 8x node, PCIe in the 1x.
        "gpu_8x_a100": "A100 SXM 40GB",
        "gpu_4x_a100": "A100 SXM 40GB",
        "gpu_2x_a100": "A100 SXM 40GB",
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
        (r"\bGB200\b", "GB200"),
        (r"\bH200\b.*\bNVL\b", "H200 NVL"),
        (r"\bH200\b", "H200 SXM"),
        (r"\bH100\b.*\bNVL\b", "H100 NVL"),
        (r"\bH100\b.*\bPCIE\b", "H100 PCIe"),
        (r"\bH100\b.*\b(SXM\d?|HBM3|MEGA)\b", "H100 SXM"),
        (r"\bH800\b", "H800"),
        (r"\bH20\b", "H20"),
        (r"\bB300\b", "B300"),
        (r"\bB200\b", "B200"),
        (r"\bA100X\b", "A100 PCIe"),
        (r"\bA100\b.*\bSXM\d?\b", "A100 SXM"),
        (r"\bA100\b.*\bPCIE\b", "A100 PCIe"),
        (r"\bA800\b", "A800"),
        (r"\bL40S\b", "L40S"),
        (r"\bL40\b", "L40"),
        (r"\bL20\b", "L20"),
        (r"\bL4\b", "L4"),
        (r"\bA40\b", "A40"),
        (r"\bA30\b", "A30"),
        (r"\bA10G\b", "A10G"),
        (r"\bA10\b", "A10"),
        (r"\bA16\b", "A16"),
        (r"\bA2\b", "A2"),
        (r"\bT4G?\b", "T4"),
        (r"\bP100\b", "P100"),
        (r"\bP40\b", "P40"),
        (r"\bP4\b", "P4"),
        (r"\bK80\b", "K80"),
        (r"\bM60\b", "M60"),
        (r"\bMI300X\b", "MI300X"),
        (r"\bMI325X\b", "MI325X"),
        (r"\bMI250X?\b", "MI250"),
        (r"\bMI25\b", "MI25"),
        (r"\bRADEON PRO V520\b", "Radeon Pro V520"),
        (r"\bGAUDI ?2\b", "Gaudi 2"),
        (r"\b(GAUDI|HL 205)\b", "Gaudi"),
        (r"\bV100\b", "V100"),
        (r"\bPRO 6000\b.*\bMIG\b", "RTX PRO 6000 MIG"),
        (r"\bPRO 6000\b.*\bMAX ?Q\b", "RTX PRO 6000 Max-Q"),
        (r"\bPRO 6000\b.*\b(SERVER|S)\b", "RTX PRO 6000 Server"),
        (r"\bPRO 6000\b.*\b(WORKSTATION|WS|WK)\b", "RTX PRO 6000 Workstation"),
        (r"\bPRO 6000\b", "RTX PRO 6000"),
        (r"\bPRO 4500\b", "RTX PRO 4500"),
        (r"\b(QUADRO|Q) RTX 6000\b", "Quadro RTX 6000"),
        (r"\b(QUADRO|Q) RTX 8000\b", "Quadro RTX 8000"),
        (r"\b(QUADRO|Q) RTX 5000\b", "Quadro RTX 5000"),
        (r"\b(QUADRO|Q) RTX 4000\b", "Quadro RTX 4000"),
        (r"\b(QUADRO )?P4000\b", "Quadro P4000"),
        (r"\b(QUADRO )?M4000\b", "Quadro M4000"),
        (r"\bRTX 6000 ?ADA\b", "RTX 6000 Ada"),
        (r"\bRTX 5000 ?ADA\b", "RTX 5000 Ada"),
        (r"\bRTX 4000 ?(SFF ?ADA|ADA ?SFF)\b", "RTX 4000 SFF Ada"),
        (r"\bRTX 4000 ?ADA\b", "RTX 4000 Ada"),
        (r"\bRTX 2000 ?ADA\b", "RTX 2000 Ada"),
        (r"\bRTX 6000\b", "RTX 6000 (ambiguous)"),
        (r"\b(RTX )?A6000\b", "RTX A6000"),
        (r"\b(RTX )?A5500\b", "RTX A5500"),
        (r"\b(RTX )?A5000\b", "RTX A5000"),
        (r"\b(RTX )?A4500\b", "RTX A4500"),
        (r"\b(RTX )?A4000\b", "RTX A4000"),
        (r"\b(RTX )?A2000\b", "RTX A2000"),
        (r"\bTITAN RTX\b", "TITAN RTX"),
        (r"\bTITAN V\b", "TITAN V"),
        (r"\bRTX 5090\b", "RTX 5090"),
        (r"\bRTX 5080\b", "RTX 5080"),
        (r"\bRTX 5070 ?TI\b", "RTX 5070 Ti"),
        (r"\bRTX 5070\b", "RTX 5070"),
        (r"\bRTX 5060 ?TI\b", "RTX 5060 Ti"),
        (r"\bRTX 5060\b", "RTX 5060"),
        (r"\bRTX 4090\b", "RTX 4090"),
        (r"\bRTX 4080 ?(SUPER|S)\b", "RTX 4080 SUPER"),
        (r"\bRTX 4080\b", "RTX 4080"),
        # Vast writes the 4070 Ti SUPER "RTX 4070S Ti".
        (r"\bRTX 4070 ?((SUPER|S) ?TI|TI ?(SUPER|S))\b", "RTX 4070 Ti SUPER"),
        (r"\bRTX 4070 ?TI\b", "RTX 4070 Ti"),
        (r"\bRTX 4070 ?(SUPER|S)\b", "RTX 4070 SUPER"),
        (r"\bRTX 4070\b", "RTX 4070"),
        (r"\bRTX 4060 ?TI\b", "RTX 4060 Ti"),
        (r"\bRTX 4060\b", "RTX 4060"),
        (r"\bRTX 3090 ?TI\b", "RTX 3090 Ti"),
        (r"\bRTX 3090\b", "RTX 3090"),
        (r"\bRTX 3080 ?TI\b", "RTX 3080 Ti"),
        (r"\bRTX 3080\b", "RTX 3080"),
        (r"\bRTX 3070 ?TI\b", "RTX 3070 Ti"),
        (r"\bRTX 3070\b", "RTX 3070"),
        (r"\bRTX 3060 ?TI\b", "RTX 3060 Ti"),
        (r"\bRTX 3060\b", "RTX 3060"),
        (r"\bRTX 2080 ?TI\b", "RTX 2080 Ti"),
        (r"\bRTX 2080 ?(SUPER|S)\b", "RTX 2080 SUPER"),
        (r"\bRTX 2080\b", "RTX 2080"),
        (r"\bRTX 2070 ?(SUPER|S)\b", "RTX 2070 SUPER"),
        (r"\bRTX 2070\b", "RTX 2070"),
        (r"\bGTX 1080 ?TI\b", "GTX 1080 Ti"),
        (r"\bGTX 1660 ?(SUPER|S)\b", "GTX 1660 SUPER"),
    ]
]

# A bare model name (no form factor) where a provider only rents one: Lambda's bare A100 is the
# SXM4 node (its 1x PCIe is named in EXACT); AWS (p4d/p4de/p5/p5e), Google Cloud (a2/a3) and
# Nebius (gpu-h100-sxm...) rent only SXM boards; Hyperstack's plain n3-A100/n3-H100 flavours are
# PCIe (its own catalogue names them A100-80G-PCIe / H100-80G-PCIe; its SXM flavour says SXM5).
_PROVIDER_DEFAULT_FAMILY: dict[str, dict[str, str]] = {
    "lambda": {"A100": "A100 SXM"},
    "aws": {"A100": "A100 SXM", "H100": "H100 SXM"},
    "gcp": {"A100": "A100 SXM", "H100": "H100 SXM"},
    "nebius": {"H100": "H100 SXM"},
    "hyperstack": {"A100": "A100 PCIe", "H100": "H100 PCIe"},
}

_STRIP = re.compile(r"\b(NVIDIA|GEFORCE|TESLA|AMD|INSTINCT|INTEL|HABANA)\b")
_VRAM_IN_NAME = re.compile(r"(?<!\d)(\d{1,3})\s*GB\b")
_LAMBDA_INSTANCE = re.compile(r"^GPU_\d+X_")
_BARE = re.compile(r"\b(A100|H100)\b")
# Names written without spaces in catalogues ("RTX4090", "RTXA6000", "RTXPRO6000S", "GAUDI2").
_GLUED = [
    (re.compile(r"\bRTXPRO ?(\d{4})"), r"RTX PRO \1 "),
    (re.compile(r"\bPRO(\d{4})"), r"PRO \1 "),
    (re.compile(r"\bRTXA(\d{4})"), r"RTX A\1 "),
    (re.compile(r"\b(RTX|GTX)(\d{4})"), r"\1 \2 "),
    (re.compile(r"\b(\d{4})(ADA|TI|SFF)\b"), r"\1 \2"),
    (re.compile(r"\b(\d{4}) (S|WS)(\d)"), r"\1 \2 \3"),
]


def _clean(raw_name: str) -> str:
    text = _LAMBDA_INSTANCE.sub("", raw_name.upper())  # gpu_8x_h100_sxm5 -> H100_SXM5
    text = text.replace("_", " ").replace("-", " ")
    text = _STRIP.sub(" ", text)
    for pattern, repl in _GLUED:
        text = pattern.sub(repl, text)
    text = re.sub(r"(\d+)\s*GB", r" \1GB ", text)  # "80GB", "80 GB", "1g.24gb" -> " 80GB "
    text = re.sub(r"\b(\d{2,3})G\b", r" \1GB ", text)  # Hyperstack's "A100-80G-PCIe"
    text = re.sub(r"SXM(\d)", r"SXM\1 ", text)
    return " ".join(text.split())


def family_of(provider: str, raw_name: str) -> str | None:
    """The family (model + variant) a raw name belongs to, or None."""
    return _family_of_clean(provider, _clean(raw_name))


def _family_of_clean(provider: str, cleaned: str) -> str | None:
    for pattern, family in _RULES:
        if pattern.search(cleaned):
            return family
    bare = _BARE.search(cleaned)
    if bare:
        return _PROVIDER_DEFAULT_FAMILY.get(provider, {}).get(bare[1])
    return None


def snap_vram(family: str, vram_gb: float) -> int | None:
    """The family's nominal size within ±7% of ``vram_gb``, or None."""
    best = None
    for nominal in FAMILIES[family]:
        if abs(vram_gb - nominal) <= VRAM_TOLERANCE * nominal:
            if best is None or abs(vram_gb - nominal) < abs(vram_gb - best):
                best = nominal
    return best


@functools.lru_cache(maxsize=65536)
def normalise(provider: str, raw_name: str, vram_gb: float | None = None) -> str | None:
    """Canonical name for a provider's raw GPU name, or None when unknown.

    ``vram_gb`` (per GPU, as measured or listed) picks the size inside a family and guards
    against silent mislabels: a 48 GB RTX 4090 becomes ``RTX 4090 48GB``; a size the family
    does not have (an exact-table hit included) gives None. Cached: a pure function of its
    arguments.
    """
    if not isinstance(raw_name, str) or not raw_name.strip():
        return None
    if vram_gb is not None and not (isinstance(vram_gb, int | float) and math.isfinite(vram_gb) and vram_gb > 0):
        vram_gb = None  # a nonsense measurement says nothing about the size
    name = raw_name.strip()
    exact = EXACT.get(provider, {}).get(name)
    if exact is None and name in CANONICAL_NAMES:
        exact = name
    if exact is not None:
        return _resize(exact, vram_gb)

    cleaned = _clean(name)
    family = _family_of_clean(provider, cleaned)
    return None if family is None else _size(provider, family, cleaned, vram_gb)


def _size(provider: str, family: str, cleaned: str, vram_gb: float | None) -> str | None:
    """The family member: the size in the name (checked against the measured VRAM), else the
    measured VRAM snapped to a nominal size, else the family's only size."""
    sizes = FAMILIES[family]
    in_name = [int(m) for m in _VRAM_IN_NAME.findall(cleaned) if int(m) in sizes]
    if in_name:
        size = in_name[0]
        if vram_gb is not None and not _close(vram_gb, size):
            return None  # the name and the measured VRAM disagree
        return sizes[size]
    if vram_gb is not None:
        snapped = snap_vram(family, vram_gb)
        return sizes[snapped] if snapped is not None else None
    if len(set(sizes.values())) == 1:
        return next(iter(sizes.values()))
    if provider == "lambda" and family in ("A100 SXM", "A100 PCIe"):
        return sizes[40]
    return None


def _resize(name: str, vram_gb: float | None) -> str | None:
    """A canonical name checked against the measured VRAM: itself when it fits, the family's
    other size when that fits, else None (a mislabel)."""
    if vram_gb is None or _close(vram_gb, NOMINAL_VRAM_GB[name]):
        return name
    family = _FAMILY_OF_NAME[name]
    snapped = snap_vram(family, vram_gb)
    return FAMILIES[family][snapped] if snapped is not None else None


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
