"""The MAC-rate loops compute what they claim: checksums against the closed form."""
import pytest

from mmlean.ops import cpu_isa

pytestmark = pytest.mark.skipif(cpu_isa() in ('scalar', 'reference'),
                                reason='needs the compiled op and AVX2')

PER_STEP = {'fp32_fma': 12 * 8, 'int8_u8s8': 12 * 32, 'int8_exact': 12 * 32}


@pytest.mark.parametrize('kind,a,b', [('fp32_fma', 3, -2), ('int8_u8s8', 3, 5),
                                      ('int8_u8s8', 127, -127), ('int8_exact', -3, 5),
                                      ('int8_exact', -127, -127)])
def test_checksum_is_macs_times_product(kind, a, b):
    from mmlean.ops.mac_peak import mac_loop
    _, macs, checksum = mac_loop(kind, 100, a, b)
    assert macs == 100 * PER_STEP[kind]
    assert checksum == macs * a * b


def test_u8s8_pairs_saturate_in_int16_where_the_sign_form_does_not():
    from mmlean.ops.mac_peak import mac_loop

    # two products 255 * 127 = 32385 make a pair of 64770: int16 keeps 32767
    _, macs, checksum = mac_loop('int8_u8s8', 10, 255, 127)
    assert checksum == macs / 2 * 32767
    # the largest signed codes stay exact: a pair is 2 * 127 * 127 = 32258
    _, macs, checksum = mac_loop('int8_exact', 10, 127, 127)
    assert checksum == macs * 127 * 127


def test_bad_kind_and_codes_are_refused():
    from mmlean.ops.mac_peak import mac_loop
    with pytest.raises(RuntimeError, match='kind must be'):
        mac_loop('fp16', 10)
    with pytest.raises(RuntimeError, match=r'\[0, 255\]'):
        mac_loop('int8_u8s8', 10, -1, 1)


def test_peak_rates_are_positive_for_every_kind():
    from mmlean.ops.mac_peak import KINDS, peak_mac_rates
    rates = peak_mac_rates(seconds=0.01, repeats=1)
    assert set(rates) == set(KINDS) and all(r > 0 for r in rates.values())
