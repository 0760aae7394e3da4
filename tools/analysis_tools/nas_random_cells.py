"""Draw a random cell from a NAS search space and write it as a ``fix_subnet`` YAML.

The baseline every NAS paper should beat: a cell drawn at random from the same space,
obeying the same derivation rules as the searched one, retrained with the same schedule
(Li & Talwalkar, "Random Search and Reproducibility for NAS", UAI 2019; Yu et al.,
"Evaluating the Search Phase of NAS", ICLR 2020).

* ``darts`` (BNAS, CP-NAS, PC-DARTS): the DARTS rule (Liu et al., ICLR 2019, Sec. 2.4):
  every intermediate node of the normal and the reduction cell keeps two edges from two
  different earlier states, each with one operation other than ``none``. Inputs and
  operations are drawn uniformly.
* ``abandit`` (ABanditNAS, ECCV 2020, Sec. 3.2): every node ``B_j`` of each cell kind keeps
  one input edge from ``B_0 .. B_{j-1}``, with one of the K = 9 operations.

    python tools/analysis_tools/nas_random_cells.py darts --seed 1 --out random1.yaml
    python tools/train.py configs/bnas/<retrain config> \\
        --cfg-options model.fix_subnet=random1.yaml
"""
import argparse
import os.path as osp
import random
import string
import sys
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def random_darts_genotype(rng: random.Random, num_nodes: int = 4):
    """A DARTS genotype drawn uniformly under the derivation rule (two distinct inputs per
    node, no ``none`` op)."""
    from mmlean.nas.genotype import PRIMITIVES, Genotype, validate_genotype
    ops = [op for op in PRIMITIVES if op != 'none']
    cells = {}
    for cell in ('normal', 'reduce'):
        edges: List[Tuple[str, int]] = []
        for node in range(num_nodes):
            inputs = sorted(rng.sample(range(2 + node), 2))
            edges += [(rng.choice(ops), i) for i in inputs]
        cells[cell] = edges
        cells[f'{cell}_concat'] = list(range(2, 2 + num_nodes))
    return validate_genotype(Genotype(**cells))


def random_abandit_genotype(rng: random.Random, num_cell_types: int = 6,
                            num_nodes: int = 4) -> Dict[str, List[Tuple[str, int]]]:
    """An ABanditNAS genotype: per cell kind and node ``j``, one input ``< j`` and one of the
    nine operations, uniformly."""
    from mmlean.projects.abanditnas.genotypes import ABANDIT_PRIMITIVES, validate_abandit_genotype
    genotype = {kind: [(rng.choice(ABANDIT_PRIMITIVES), rng.randrange(j))
                       for j in range(1, num_nodes + 1)]
                for kind in string.ascii_lowercase[:num_cell_types]}
    return validate_abandit_genotype(genotype)


def random_subnet(space: str, seed: int, num_nodes: int = 4,
                  num_cell_types: int = 6) -> Dict:
    """The ``fix_subnet`` dict of the random cell ``seed`` of ``space``."""
    rng = random.Random(seed)
    if space == 'darts':
        from mmlean.nas.genotype import genotype_to_subnet
        return genotype_to_subnet(random_darts_genotype(rng, num_nodes))
    if space == 'abandit':
        from mmlean.projects.abanditnas.genotypes import abandit_genotype_to_subnet
        return abandit_genotype_to_subnet(random_abandit_genotype(rng, num_cell_types,
                                                                  num_nodes))
    raise ValueError(f"space must be 'darts' or 'abandit', got {space!r}")


def write_subnet(subnet: Dict, path: str, header: str) -> str:
    """Write ``subnet`` as YAML after ``# header`` lines (atomically); returns the path."""
    import yaml

    from mmlean.compat.atomic_write import atomic_write_bytes
    text = ''.join(f'# {line}\n' for line in header.splitlines())
    text += yaml.safe_dump(subnet, default_flow_style=False, sort_keys=True)
    atomic_write_bytes(text.encode(), path)
    return path


def parse_args(argv: Optional[Sequence[str]] = None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('space', choices=['darts', 'abandit'],
                        help='darts: BNAS / CP-NAS / PC-DARTS cells; abandit: ABanditNAS cells')
    parser.add_argument('--seed', type=int, required=True, help='which random cell')
    parser.add_argument('--out', required=True, help='the fix_subnet YAML to write')
    parser.add_argument('--nodes', type=int, default=4, help='intermediate nodes per cell')
    parser.add_argument('--cell-types', type=int, default=6,
                        help='abandit: the number of searched cell kinds (a, b, ...)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.nodes < 1 or not 1 <= args.cell_types <= 26:
        print('nas_random_cells.py: error: --nodes must be >= 1 and --cell-types 1..26',
              file=sys.stderr)
        return 2
    subnet = random_subnet(args.space, args.seed, args.nodes, args.cell_types)
    path = write_subnet(subnet, args.out,
                        f'random {args.space} cell, seed {args.seed}: drawn uniformly under the '
                        f'derivation rule of the space\n(tools/analysis_tools/'
                        f'nas_random_cells.py)')
    print(f'random {args.space} cell (seed {args.seed}) written to {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
