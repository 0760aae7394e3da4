"""HRank's per-layer compress rates: the paper's string format and dicts."""
import re
from typing import Dict, List, Sequence, Union

_TERM = re.compile(r'^\[\s*([0-9]*\.?[0-9]+)\s*\](?:\s*\*\s*([0-9]+))?$')


def parse_compress_rate(spec: Union[str, Sequence[float]]) -> List[float]:
    """Expand ``'[0.1]+[0.60]*35+[0.0]*2'`` into a flat list of floats.

    The official HRank format: ``+``-joined terms ``[rate]`` or ``[rate]*n``,
    one rate per prunable conv in network order; a rate is the *fraction of
    filters removed* (0 keeps every filter). A list is returned as floats.

    Raises:
        ValueError: a malformed term or a rate outside [0, 1).
    """
    if isinstance(spec, str):
        rates: List[float] = []
        for term in spec.replace(' ', '').split('+'):
            match = _TERM.match(term)
            if match is None:
                raise ValueError(f'compress rate {spec!r}: cannot parse term {term!r}; '
                                 "expected '[rate]' or '[rate]*count'")
            rates += [float(match.group(1))] * int(match.group(2) or 1)
    else:
        rates = [float(r) for r in spec]
    for i, r in enumerate(rates):
        if not 0.0 <= r < 1.0:
            raise ValueError(f'compress rate #{i} is {r}; rates are the fraction of '
                             'filters removed, in [0, 1)')
    return rates


def rates_for_layers(spec: Union[str, Sequence[float], Dict[str, float]],
                     layers: Sequence[str], source: str = 'compress_rate') -> Dict[str, float]:
    """Map a compress-rate spec onto the model's prunable layers.

    Args:
        spec: the paper's string, a list (one rate per layer, in order), or a
            dict ``{layer name: rate}`` (layers not named keep all filters).
        layers: the prunable layer names of the model, in network order.
        source: how to name the spec in errors.

    Raises:
        ValueError: a list/string of the wrong length (naming both counts) or
            a dict naming unknown layers.
    """
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - set(layers))
        if unknown:
            raise ValueError(f'{source} names layers that are not prunable here: '
                             f'{unknown[:5]}; prunable layers are e.g. {list(layers)[:5]}')
        rates = {name: 0.0 for name in layers}
        for name, rate in spec.items():
            rates[name] = parse_compress_rate([rate])[0]
        return rates
    rates = parse_compress_rate(spec)
    if len(rates) != len(layers):
        raise ValueError(f'{source} gives {len(rates)} rates but the model has '
                         f'{len(layers)} prunable layers (one rate per layer, in '
                         'network order)')
    return dict(zip(layers, rates))


def rates_for_units(spec, units, source: str = 'compress_rate') -> Dict[str, float]:
    """:func:`rates_for_layers` for :class:`PruneUnit` lists: units with a
    ``rate_index`` read that entry of the string (GoogLeNet: one rate per
    Inception module), the others one entry each, in order."""
    names = [u.conv for u in units]
    if isinstance(spec, dict) or all(u.rate_index is None for u in units):
        return rates_for_layers(spec, names, source)
    rates = parse_compress_rate(spec)
    slots = max(u.rate_index for u in units) + 1
    if len(rates) != slots:
        raise ValueError(f'{source} gives {len(rates)} rates but this model reads {slots} '
                         '(one per stem/Inception module, in the official order)')
    return {u.conv: rates[u.rate_index] for u in units}
