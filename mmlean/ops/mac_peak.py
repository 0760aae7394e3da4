"""Peak multiply-accumulate rates of this CPU core: the ceiling of an int8-vs-FP32 speed-up.

An int8 conv cannot be faster than FP32 by more than the ratio of the rates at
which the core's vector units retire int8 and FP32 multiply-accumulates.
:func:`peak_mac_rates` measures those rates with register-only loops of the
instructions the x86 kernels are built from (``mmlean._ext.mac_peak``):

* ``fp32_fma``: ``vfmadd231ps``, 8 MACs each (oneDNN's FP32 convs);
* ``int8_u8s8``: ``vpmaddubsw`` + ``vpmaddwd`` + ``vpaddd``, 32 MACs per three
  (the int8 kernels of fbgemm/oneDNN without VNNI; a pair of u8 x s8 products
  saturates in int16, so it is exact only for small codes);
* ``int8_exact``: the same after ``vpabsb``/``vpsignb`` (``|a| * (sign(a) b)``),
  exact for any signed 8-bit codes in [-127, 127].

AVX2 only (256-bit); the AVX-512/VNNI instructions are not measured.
"""
from typing import Dict

from mmlean.utils.ext_loader import load_ext

KINDS = ('fp32_fma', 'int8_u8s8', 'int8_exact')


def _ext():
    ext = load_ext('_ext', ['mac_peak'])
    if ext is None:
        raise RuntimeError('peak_mac_rates needs the compiled mmlean._ext (tools/setup_env.sh)')
    return ext


def mac_loop(kind: str, iters: int, a: int = 1, b: int = 1):
    """Run ``iters`` steps of one kind; returns (seconds, MACs, checksum).

    The checksum is the sum over all accumulator lanes: ``MACs * a * b`` when
    nothing saturates."""
    return _ext().mac_peak(kind, iters, a, b)


def peak_mac_rates(seconds: float = 0.3, repeats: int = 5) -> Dict[str, float]:
    """Best-of-``repeats`` rate of each kind in MACs per second (one thread, ~``seconds`` each)."""
    rates = {}
    for kind in KINDS:
        spent, macs, _ = mac_loop(kind, 10000)
        iters = max(10000, int(10000 * seconds / repeats / max(spent, 1e-9)))
        best = 0.0
        for _ in range(repeats):
            spent, macs, _ = mac_loop(kind, iters)
            best = max(best, macs / spent)
        rates[kind] = best
    return rates
