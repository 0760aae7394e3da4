"""ABanditNAS genotypes <-> fix_subnet, the shipped YAMLs, errors, the cell drawing."""
import os.path as osp

import pytest

import mmlean  # noqa: F401
from mmlean.projects.abanditnas import (ABANDIT_GENOTYPES, abandit_genotype_to_subnet,
                                        plot_abandit_cells, subnet_to_abandit_genotype)
from mmlean.projects.abanditnas.genotypes import AbanditGenotypeError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


@pytest.mark.parametrize('name', sorted(ABANDIT_GENOTYPES))
def test_round_trip_and_shipped_yaml(name):
    import mmengine
    genotype = ABANDIT_GENOTYPES[name]
    subnet = abandit_genotype_to_subnet(genotype)
    assert subnet_to_abandit_genotype(subnet) == genotype
    # one route and one op entry per node, 6 cells x 4 nodes
    assert len(subnet) == 2 * 6 * 4
    assert subnet['a_n4'] == dict(chosen=[f'a_n4_p{genotype["a"][3][1]}'])
    shipped = mmengine.load(osp.join(ROOT, 'configs', 'abanditnas', f'{name}.yaml'))
    assert shipped == subnet


def test_bad_genotypes_and_subnets_name_the_problem():
    with pytest.raises(AbanditGenotypeError, match='unknown op'):
        abandit_genotype_to_subnet(dict(a=[('sep_conv_7x7', 0)]))
    with pytest.raises(AbanditGenotypeError, match='input must be in 0..1'):
        abandit_genotype_to_subnet(dict(a=[('conv_3x3', 0), ('conv_3x3', 2)]))
    with pytest.raises(AbanditGenotypeError, match='one input edge'):
        subnet_to_abandit_genotype({'a_n2': dict(chosen=['a_n2_p0', 'a_n2_p1']),
                                    'a_n2_p0': dict(chosen=['conv_3x3'])})
    with pytest.raises(AbanditGenotypeError, match='no node routes'):
        subnet_to_abandit_genotype({'normal_n2_p0': dict(chosen=['conv_3x3'])})


def test_cell_drawing_writes_a_png(tmp_path):
    out = tmp_path / 'cells.png'
    plot_abandit_cells(ABANDIT_GENOTYPES['ABANDIT_CIFAR_1'], str(out), title='t')
    assert out.stat().st_size > 10000
