"""Genotypes <-> mmrazor fix_subnet: round trips, the committed YAML, errors, tools, plots."""
import json
import os.path as osp

import pytest
import yaml

import mmlean  # noqa: F401
from mmlean.nas.genotype import (BNAS_XNOR_1, Genotype, GenotypeError, dump_subnet_yaml,
                                 genotype_from_string, genotype_to_dict, genotype_to_string,
                                 genotype_to_subnet, load_genotype, subnet_to_genotype,
                                 validate_genotype)
from mmlean.utils.scripts import load_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
YAML = osp.join(ROOT, 'configs/bnas/BNAS_XNOR_1.yaml')

# the official BNAS text (utils/genotypes_x.py): nested per node, concat as range
OFFICIAL_TEXT = """
BNAS_XNOR_1 = Genotype(
    normal=[
        [('skip_connect', 1), ('dil_conv_3x3', 0)],
        [('skip_connect', 0), ('dil_conv_5x5', 2)],
        [('max_pool_3x3', 1), ('max_pool_3x3', 0)],
        [('dil_conv_5x5', 4), ('sep_conv_3x3', 2)]
    ],
    normal_concat=range(2, 6),
    reduce=[
        [('sep_conv_3x3', 1), ('dil_conv_5x5', 0)],
        [('skip_connect', 1), ('max_pool_3x3', 2)],
        [('dil_conv_5x5', 0), ('avg_pool_3x3', 3)],
        [('skip_connect', 2), ('dil_conv_3x3', 4)]],
    reduce_concat=range(2, 6))
"""


def load_tool(rel):
    return load_script(osp.join(ROOT, rel), osp.basename(rel)[:-3])


def test_released_genotype_is_the_official_one(tmp_path):
    path = tmp_path / 'genotypes_x.py'
    path.write_text('import torch\nraise SystemExit("never executed")\n' + OFFICIAL_TEXT)
    assert load_genotype(str(path)) == BNAS_XNOR_1
    assert BNAS_XNOR_1.normal_concat == BNAS_XNOR_1.reduce_concat == [2, 3, 4, 5]


def test_subnet_format_and_round_trip():
    subnet = genotype_to_subnet(BNAS_XNOR_1)
    assert subnet['normal_n2'] == {'chosen': ['normal_n2_p1', 'normal_n2_p0']}
    assert subnet['normal_n2_p1'] == {'chosen': ['skip_connect']}
    assert subnet['reduce_n5_p4'] == {'chosen': ['dil_conv_3x3']}
    assert len(subnet) == 2 * (4 + 8)  # routes + kept edges per cell type
    assert subnet_to_genotype(subnet) == BNAS_XNOR_1


def test_none_is_mmrazors_zero():
    g = BNAS_XNOR_1._replace(normal=[('none', 1)] + BNAS_XNOR_1.normal[1:])
    subnet = genotype_to_subnet(g)
    assert subnet['normal_n2_p1'] == {'chosen': ['zero']}
    assert subnet_to_genotype(subnet) == g


def test_committed_yaml_is_the_tools_output(tmp_path):
    with open(YAML) as f:
        assert yaml.safe_load(f) == genotype_to_subnet(BNAS_XNOR_1)
    assert load_genotype(YAML) == BNAS_XNOR_1
    tool = load_tool('tools/model_converters/nas_genotype.py')
    out = tmp_path / 'x.yaml'
    tool.main(['BNAS_XNOR_1', '--out', str(out)])
    assert out.read_text() == open(YAML).read()


def test_text_json_and_file_round_trips(tmp_path):
    text = genotype_to_string(BNAS_XNOR_1)
    assert genotype_from_string(text) == BNAS_XNOR_1
    as_json = json.dumps(genotype_to_dict(BNAS_XNOR_1))
    assert genotype_from_string(as_json) == BNAS_XNOR_1
    (tmp_path / 'g.json').write_text(as_json)
    assert load_genotype(str(tmp_path / 'g.json')) == BNAS_XNOR_1
    dump_subnet_yaml(BNAS_XNOR_1, str(tmp_path / 'g.yaml'), header='a\nb')
    assert (tmp_path / 'g.yaml').read_text().startswith('# a\n# b\n')
    assert load_genotype(str(tmp_path / 'g.yaml')) == BNAS_XNOR_1
    nested = dict(normal=[BNAS_XNOR_1.normal[i:i + 2] for i in range(0, 8, 2)],
                  reduce=[BNAS_XNOR_1.reduce[i:i + 2] for i in range(0, 8, 2)],
                  normal_concat=range(2, 6), reduce_concat=(2, 3, 4, 5))
    assert validate_genotype(nested) == BNAS_XNOR_1


def test_converter_tool_both_ways(tmp_path, capsys):
    tool = load_tool('tools/model_converters/nas_genotype.py')
    tool.main([YAML])  # yaml -> python text on stdout
    assert genotype_from_string(capsys.readouterr().out) == BNAS_XNOR_1
    tool.main([YAML, '--out', str(tmp_path / 'g.json')])
    assert json.loads((tmp_path / 'g.json').read_text()) == genotype_to_dict(BNAS_XNOR_1)
    tool.main([str(tmp_path / 'g.json')])  # genotype -> yaml on stdout
    assert yaml.safe_load(capsys.readouterr().out.split('\n', 1)[1]) == \
        genotype_to_subnet(BNAS_XNOR_1)
    for argv, match in [(['nope.yaml'], 'not found'),
                        (['BNAS_XNOR_1', '--out', str(tmp_path / 'x.png')], 'suffix'),
                        (["Genotype(normal=[('conv', 0)])"], 'missing keys')]:
        with pytest.raises(SystemExit) as err:
            tool.main(argv)
        assert str(err.value).startswith('error: ') and match in str(err.value)


def test_mmrazor_export_of_a_supernet_reads_back():
    """export_fix_subnet dumps every edge (kept or not); the reader uses the routes."""
    from mmrazor.structures import convert_fix_subnet, export_fix_subnet

    from mmlean.nas import BinaryDartsBackbone
    ops = ['max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'dil_conv_3x3',
           'dil_conv_5x5']
    candidates = {op: dict(type='mmrazor.DartsPoolBN', pool_type=op[:3]) if 'pool' in op
                  else dict(type='BinarySkipConnect') if op == 'skip_connect'
                  else dict(type='BinarySepConv' if 'sep' in op else 'BinaryDilConv',
                            kernel_size=int(op[-1])) for op in ops}
    supernet = BinaryDartsBackbone(
        in_channels=3, base_channels=4, num_layers=3, out_indices=(2, ),
        mutable_cfg=dict(type='mmrazor.DiffMutableOP', candidates=candidates),
        route_cfg=dict(type='mmrazor.DiffChoiceRoute', with_arch_param=True))
    wanted = genotype_to_subnet(BNAS_XNOR_1)
    for module in supernet.modules():
        alias = getattr(module, 'alias', None)
        if alias:  # kept: the genotype's choice; dropped edges: any op
            module.current_choice = (wanted[alias]['chosen'] if alias.count('_p') == 0 else
                                     wanted.get(alias, {'chosen': ['max_pool_3x3']})['chosen'][0])
    exported = convert_fix_subnet(export_fix_subnet(supernet)[0])
    assert len(exported) == 2 * (4 + 14)
    assert subnet_to_genotype(exported) == BNAS_XNOR_1


def bad(**fields):
    g = dict(BNAS_XNOR_1._asdict())
    g.update(fields)
    return g


N = BNAS_XNOR_1.normal


@pytest.mark.parametrize('genotype,match', [
    (bad(normal=[('conv_9x9', 1)] + N[1:]), "unknown op 'conv_9x9'"),
    (bad(normal=[('zero', 1)] + N[1:]), "genotype name of mmrazor's 'zero' is 'none'"),
    (bad(normal=N[:7]), '7 edges; each node takes exactly 2'),
    (bad(normal=[N[0:3], N[3:5], N[5:7], N[7:8]]), 'node 0 has 3 edges'),
    (bad(normal=N[:6] + [('sep_conv_3x3', 5), N[7]]), 'input index 5 out of range'),
    (bad(normal=[('skip_connect', 2)] + N[1:]), 'input index 2 out of range'),
    (bad(normal=[('skip_connect', -1)] + N[1:]), 'input index -1 out of range'),
    (bad(normal=[('skip_connect', True)] + N[1:]), 'must be an int'),
    (bad(normal=[('skip_connect', 0)] + N[1:]), 'both edges come from input 0'),
    (bad(normal=['skip_connect'] + N[1:]), 'an edge is (op, input)'),
    (bad(normal_concat=[2, 3, 5]), 'concatenate all intermediate nodes'),
    (bad(reduce=BNAS_XNOR_1.reduce[:6]), 'reduce: 3 nodes but normal has 4'),
    ({'normal': N}, 'missing keys'),
])
def test_invalid_genotypes_are_named(genotype, match):
    with pytest.raises(GenotypeError, match=match.replace('(', r'\(').replace(')', r'\)')):
        validate_genotype(genotype)


def subnet_without(key=None, **changes):
    s = genotype_to_subnet(BNAS_XNOR_1)
    s.pop(key, None)
    s.update(changes)
    return s


@pytest.mark.parametrize('subnet,match', [
    (subnet_without('normal_n3'), 'normal node routes'),
    (subnet_without('normal_n2_p1'), "no entry 'normal_n2_p1'"),
    (subnet_without(normal_n2={'chosen': ['normal_n2_p1']}), '1 chosen edges'),
    (subnet_without(normal_n2={'chosen': ['normal_n2_p1', 'reduce_n2_p0']}),
     "'reduce_n2_p0' is not normal_n2_p<input>"),
    (subnet_without(normal_n2_p1={'chosen': ['skip_connect', 'sep_conv_3x3']}), '2 ops chosen'),
    (subnet_without(normal_n2_p1={'chosen': ['none']}), "'none' is written 'zero'"),
    (subnet_without(normal_n2_p1={'chosen': ['conv_9x9']}), "unknown op 'conv_9x9'"),
    (subnet_without(normal_n2_p1=['skip_connect']), 'expected {chosen: [names]}'),
    ({k: v for k, v in genotype_to_subnet(BNAS_XNOR_1).items() if 'reduce' not in k},
     'no reduce node routes'),
])
def test_invalid_subnets_are_named(subnet, match):
    with pytest.raises(GenotypeError, match=match.replace('[', r'\[').replace('{', r'\{')):
        subnet_to_genotype(subnet)


def test_unparsable_inputs(tmp_path):
    with pytest.raises(GenotypeError, match='cannot parse'):
        genotype_from_string('Genotype(normal=[')
    with pytest.raises(GenotypeError, match='must be literals'):
        genotype_from_string('Genotype(normal=foo(), normal_concat=[], reduce=[], '
                             'reduce_concat=[])')
    with pytest.raises(GenotypeError, match='expected a Genotype'):
        genotype_from_string('print(1)')
    (tmp_path / 'bad.yaml').write_text('normal_n2: [\n')
    with pytest.raises(GenotypeError, match='not valid YAML'):
        load_genotype(str(tmp_path / 'bad.yaml'))
    with pytest.raises(GenotypeError, match='not found'):
        load_genotype(str(tmp_path / 'missing.json'))


def test_plot_cells(tmp_path):
    from mmlean.nas.plot import plot_genotype
    fig = plot_genotype(BNAS_XNOR_1, str(tmp_path / 'cells.png'), title='BNAS_XNOR_1')
    labels = [t.get_text() for ax in fig.axes for t in ax.texts]
    for name in ('c_{k-2}', 'c_{k-1}', 'c_{k}', '0', '3', 'dil_conv_5x5', 'avg_pool_3x3'):
        assert name in labels
    assert labels.count('skip_connect') == 4  # two per cell
    assert (tmp_path / 'cells.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    tool = load_tool('tools/analysis_tools/nas_plot_cell.py')
    tool.main([YAML, '--out', str(tmp_path / 'normal.svg'), '--cells', 'normal'])
    assert b'<svg' in (tmp_path / 'normal.svg').read_bytes()[:500]
    text = genotype_to_string(BNAS_XNOR_1).replace('avg_pool_3x3', 'avg_pool_9x9')
    with pytest.raises(SystemExit, match="error: reduce: node 2: unknown op 'avg_pool_9x9'"):
        tool.main([text, '--out', str(tmp_path / 'x.png')])
    assert not (tmp_path / 'x.png').exists()


def test_genotype_namedtuple_is_the_darts_one():
    assert Genotype._fields == ('normal', 'normal_concat', 'reduce', 'reduce_concat')
