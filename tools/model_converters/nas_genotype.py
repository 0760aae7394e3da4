"""Convert a DARTS/BNAS genotype to an mmrazor fix_subnet YAML, or back.

    python tools/model_converters/nas_genotype.py SRC [--out OUT] [--to yaml|json|python]

SRC is a genotype name (e.g. BNAS_XNOR_1, see mmlean.nas.GENOTYPES), a
fix_subnet YAML (.yaml/.yml, as written by mmrazor's export_fix_subnet or by
this tool), a JSON file ({"normal": [[op, input], ...], "normal_concat": [...],
"reduce": ..., "reduce_concat": ...}), a .py/.txt file holding
Genotype(...) (read, never executed), or a Genotype(...)/JSON string.

The output format is --to, else the --out suffix, else the other side of the
input (genotype -> yaml, yaml -> python). Without --out it is printed.
Examples:

    python tools/model_converters/nas_genotype.py BNAS_XNOR_1 --out configs/bnas/BNAS_XNOR_1.yaml
    python tools/model_converters/nas_genotype.py work_dirs/search/best_fix_subnet.yaml
    python tools/model_converters/nas_genotype.py cell.yaml --out cell.json
"""
import argparse
import json
import os.path as osp
import sys

FORMATS = {'.yaml': 'yaml', '.yml': 'yaml', '.json': 'json', '.py': 'python', '.txt': 'python'}


def convert(src: str, out: str = None, to: str = None) -> str:
    """Convert ``src``; write ``out`` if given; returns the text."""
    from mmlean.nas import genotype as G
    genotype = G.load_genotype(src)
    if to is None:
        suffix = osp.splitext(out)[1].lower() if out else ''
        if out and suffix not in FORMATS:
            raise G.GenotypeError(f'--out {out}: unknown suffix {suffix!r}; use one of '
                                  f'{sorted(FORMATS)} or --to')
        from_yaml = src.lower().endswith(G.YAML_SUFFIXES) and osp.isfile(src)
        to = FORMATS[suffix] if out else ('python' if from_yaml else 'yaml')
    if to == 'yaml':
        name = src if src in G.GENOTYPES else osp.basename(src) if osp.isfile(src) else 'genotype'
        header = [f'{name}: mmrazor fix_subnet (DartsBackbone aliases), written by '
                  f'tools/model_converters/nas_genotype.py']
        if name in G.GENOTYPE_SOURCES:
            header.append(G.GENOTYPE_SOURCES[name])
        text = G.subnet_yaml(genotype, '\n'.join(header))
    elif to == 'json':
        text = json.dumps(G.genotype_to_dict(genotype)) + '\n'
    else:
        text = G.genotype_to_string(genotype) + '\n'
    if out:
        with open(out, 'w') as f:
            f.write(text)
    return text


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='genotype name, YAML/JSON/.py/.txt file or genotype string')
    parser.add_argument('--out', help='output file (.yaml/.yml, .json, .py/.txt)')
    parser.add_argument('--to', choices=['yaml', 'json', 'python'], help='output format')
    args = parser.parse_args(argv)
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    import mmlean  # noqa: F401
    from mmlean.nas.genotype import GenotypeError
    try:
        text = convert(args.src, args.out, args.to)
    except (GenotypeError, OSError) as err:
        sys.exit(f'error: {err}')
    if args.out:
        print(f'wrote {args.out}')
    else:
        sys.stdout.write(text)


if __name__ == '__main__':
    main()
