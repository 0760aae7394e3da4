"""Draw the normal and reduction cells of a DARTS/BNAS genotype (matplotlib only).

    python tools/analysis_tools/nas_plot_cell.py GENOTYPE_OR_YAML --out cell.png
        [--cells normal reduce] [--title TITLE]

GENOTYPE_OR_YAML is anything tools/model_converters/nas_genotype.py reads: a
genotype name (BNAS_XNOR_1), an mmrazor fix_subnet YAML, a JSON/.py/.txt file
or a Genotype(...) string. Each cell is drawn as a DAG: inputs c_{k-2} and
c_{k-1}, intermediate nodes 0..3, output c_{k}, edges labelled with the op.
"""
import argparse
import os.path as osp
import sys


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('genotype', help='genotype name, YAML/JSON/.py/.txt file or string')
    parser.add_argument('--out', required=True, help='image file (.png, .pdf, .svg)')
    parser.add_argument('--cells', nargs='+', default=['normal', 'reduce'],
                        choices=['normal', 'reduce'])
    parser.add_argument('--title', help='figure title (default: the genotype source)')
    args = parser.parse_args(argv)
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    import mmlean  # noqa: F401
    from mmlean.nas.genotype import GenotypeError, load_genotype
    from mmlean.nas.plot import plot_genotype
    try:
        genotype = load_genotype(args.genotype)
        title = args.title if args.title is not None else (
            osp.basename(args.genotype) if len(args.genotype) < 80 else None)
        plot_genotype(genotype, args.out, title=title, cells=args.cells)
    except (GenotypeError, OSError, ValueError) as err:
        sys.exit(f'error: {err}')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
