"""ABanditNAS genotypes: the released cells and their mmrazor ``fix_subnet`` form.

A genotype maps each cell kind (``a`` .. ``f``) to its nodes ``B_1 .. B_4``, one
``(op, input)`` pair per node (the single kept input edge), e.g.
``'a': [('conv_3x3', 0), ('gab_filt_3x3', 1), ...]``; every cell outputs the
concatenation of ``B_1 .. B_4``.
"""
from typing import Dict, List, Tuple

# The K = 9 operations of ABanditNAS (arXiv 2008.00698, Sec. 3.2), named as in
# the official code (github.com/bczhangbczhang/ABanditNAS, models/darts_ops_1.py).
ABANDIT_PRIMITIVES = ('max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'conv_3x3', 'conv_5x5',
                      'sep_conv_3x3', 'sep_conv_5x5', 'gab_filt_3x3', 'dtp_blok_3x3')

Genotype = Dict[str, List[Tuple[str, int]]]

# The released searched cells (official utils/genotypes_all.py, ABANDIT_CIFAR_1 and
# ABANDIT_CIFAR_2, "a better structure that we search for later").
ABANDIT_CIFAR_1: Genotype = dict(
    a=[('conv_3x3', 0), ('gab_filt_3x3', 1), ('sep_conv_3x3', 2), ('dtp_blok_3x3', 1)],
    b=[('avg_pool_3x3', 0), ('gab_filt_3x3', 0), ('sep_conv_5x5', 2), ('conv_3x3', 1)],
    c=[('conv_3x3', 0), ('max_pool_3x3', 0), ('conv_5x5', 0), ('sep_conv_5x5', 3)],
    d=[('dtp_blok_3x3', 0), ('sep_conv_5x5', 1), ('avg_pool_3x3', 2), ('conv_3x3', 3)],
    e=[('dtp_blok_3x3', 0), ('sep_conv_5x5', 1), ('sep_conv_3x3', 1), ('avg_pool_3x3', 3)],
    f=[('gab_filt_3x3', 0), ('conv_3x3', 0), ('dtp_blok_3x3', 1), ('avg_pool_3x3', 2)])
ABANDIT_CIFAR_2: Genotype = dict(
    a=[('dtp_blok_3x3', 0), ('sep_conv_3x3', 0), ('conv_3x3', 1), ('sep_conv_3x3', 3)],
    b=[('conv_5x5', 0), ('gab_filt_3x3', 0), ('max_pool_3x3', 0), ('dtp_blok_3x3', 2)],
    c=[('sep_conv_3x3', 0), ('dtp_blok_3x3', 0), ('max_pool_3x3', 1), ('sep_conv_5x5', 3)],
    d=[('sep_conv_5x5', 0), ('dtp_blok_3x3', 0), ('gab_filt_3x3', 2), ('conv_3x3', 1)],
    e=[('sep_conv_5x5', 0), ('skip_connect', 1), ('sep_conv_5x5', 1), ('sep_conv_5x5', 1)],
    f=[('max_pool_3x3', 0), ('skip_connect', 0), ('sep_conv_5x5', 2), ('gab_filt_3x3', 0)])
ABANDIT_GENOTYPES = dict(ABANDIT_CIFAR_1=ABANDIT_CIFAR_1, ABANDIT_CIFAR_2=ABANDIT_CIFAR_2)


class AbanditGenotypeError(ValueError):
    """A genotype or fix_subnet that is not an ABanditNAS single-input cell set."""


def validate_abandit_genotype(genotype: Genotype) -> Genotype:
    """Check cell kinds, ops and inputs (node ``j`` reads one of ``B_0 .. B_{j-1}``)."""
    if not isinstance(genotype, dict) or not genotype:
        raise AbanditGenotypeError(f'genotype: expected a dict of cells, got {genotype!r}')
    for cell, nodes in genotype.items():
        if not isinstance(cell, str) or len(cell) != 1 or not cell.isalpha():
            raise AbanditGenotypeError(f'genotype: cell names are single letters, got {cell!r}')
        for j, node in enumerate(nodes, start=1):
            if not (isinstance(node, (tuple, list)) and len(node) == 2):
                raise AbanditGenotypeError(f'genotype[{cell}] node {j}: expected (op, input), '
                                           f'got {node!r}')
            op, src = node
            if op not in ABANDIT_PRIMITIVES:
                raise AbanditGenotypeError(f'genotype[{cell}] node {j}: unknown op {op!r}; '
                                           f'ops: {ABANDIT_PRIMITIVES}')
            if not isinstance(src, int) or not 0 <= src < j:
                raise AbanditGenotypeError(f'genotype[{cell}] node {j}: input must be in '
                                           f'0..{j - 1}, got {src!r}')
    return genotype


def abandit_genotype_to_subnet(genotype: Genotype) -> Dict:
    """mmrazor ``fix_subnet`` (``{alias: {'chosen': [...]}}``) of a genotype, for
    :class:`~mmlean.nas.ABanditBackbone` (op ``<cell>_n<j>_p<i>``, route ``<cell>_n<j>``);
    only kept edges get an op entry."""
    subnet = {}
    for cell, nodes in validate_abandit_genotype(genotype).items():
        for j, (op, src) in enumerate(nodes, start=1):
            edge = f'{cell}_n{j}_p{src}'
            subnet[edge] = dict(chosen=[op])
            subnet[f'{cell}_n{j}'] = dict(chosen=[edge])
    return dict(sorted(subnet.items()))


def _chosen(subnet: Dict, key: str) -> List[str]:
    value = subnet.get(key)
    chosen = value.get('chosen') if isinstance(value, dict) else getattr(value, 'chosen', None)
    if isinstance(chosen, str):
        chosen = [chosen]
    if not isinstance(chosen, (list, tuple)) or not chosen:
        raise AbanditGenotypeError(f'fix_subnet[{key!r}]: expected {{chosen: [names]}}, '
                                   f'got {value!r}')
    return list(chosen)


def subnet_to_abandit_genotype(subnet: Dict) -> Genotype:
    """The genotype of a ``fix_subnet`` (inverse of :func:`abandit_genotype_to_subnet`)."""
    if not isinstance(subnet, dict):
        raise AbanditGenotypeError(f'fix_subnet: expected a dict, got {type(subnet).__name__}')
    routes = sorted(k for k in subnet if len(k.split('_')) == 2 and k.split('_')[1][:1] == 'n')
    if not routes:
        raise AbanditGenotypeError('fix_subnet: no node routes (<cell>_n<j>) found')
    genotype: Genotype = {}
    for route in routes:
        cell, node = route.split('_')
        edges = _chosen(subnet, route)
        if len(edges) != 1:
            raise AbanditGenotypeError(f'fix_subnet[{route!r}]: an ABanditNAS node keeps one '
                                       f'input edge, got {edges}')
        src = int(edges[0].rsplit('_p', 1)[1])
        genotype.setdefault(cell, []).append((int(node[1:]), _chosen(subnet, edges[0])[0], src))
    return validate_abandit_genotype(
        {cell: [(op, src) for _, op, src in sorted(nodes)] for cell, nodes in genotype.items()})
