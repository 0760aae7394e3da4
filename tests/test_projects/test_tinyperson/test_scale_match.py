"""Scale Match follows the target histogram; Monotone Scale Match preserves size order."""
import json

import numpy as np
import pytest
from scipy import stats

from mmlean.projects.tinyperson.scale_match import (MonotoneScaleMatch, ScaleMatch, SizeHistogram,
                                                    object_sizes_from_json)


def target_sizes(n=5000, seed=0):
    # TinyPerson-like, median 12 px
    return np.random.default_rng(seed).lognormal(np.log(12), 0.5, n)


def test_histogram_puts_the_extremes_in_the_end_bins():
    sizes = target_sizes()
    h = SizeHistogram.from_sizes(sizes, bins=100)  # except_rate 2/100: 1% at each end
    assert len(h.edges) == 101 and h.probs.sum() == pytest.approx(1.0)
    assert h.edges[0] == sizes.min() and h.edges[-1] == sizes.max()
    assert h.probs[0] == pytest.approx(0.01, abs=2e-4)
    assert h.probs[-1] == pytest.approx(0.01, abs=2e-4)
    assert np.allclose(np.diff(h.edges[1:-1]), np.diff(h.edges[1:-1])[0])  # equal-width middle bins
    plain = SizeHistogram.from_sizes(sizes, bins=10, except_rate=0)
    assert np.allclose(plain.edges, np.linspace(sizes.min(), sizes.max(), 11))


def test_sm_sampled_sizes_follow_the_target_histogram():
    h = SizeHistogram.from_sizes(target_sizes(), bins=20)
    sampled = ScaleMatch(h).sample_sizes(20000, rng=np.random.default_rng(1))
    counts, _ = np.histogram(sampled, bins=h.edges)
    expected = h.probs * len(sampled)
    keep = expected >= 5  # chi-square needs >= 5 expected per bin
    assert keep.sum() >= 18
    exp = expected[keep] / expected[keep].sum()
    obs = counts[keep]
    assert stats.chisquare(obs, exp * obs.sum()).pvalue > 1e-3
    # and a wrong target (sizes 10% larger) is rejected by the same test
    wrong = np.histogram(sampled * 1.1, bins=h.edges)[0][keep]
    assert stats.chisquare(wrong, exp * wrong.sum()).pvalue < 1e-6


def test_sm_scale_is_redrawn_then_clipped_to_the_range():
    h = SizeHistogram.from_sizes(target_sizes(), bins=20)
    sm = ScaleMatch(h, scale_range=(0.1, 1.0))
    rng = np.random.default_rng(0)
    scales = [sm.scale_for(s, rng) for s in (5.0, 30.0, 200.0, 5000.0)]
    assert all(0.1 <= c <= 1.0 for c in scales)
    assert scales[-1] == pytest.approx(0.1)  # 5000 px objects cannot reach 12 px at >= 0.1


def test_msm_is_monotone_and_maps_the_source_cdf_onto_the_target():
    h = SizeHistogram.from_sizes(target_sizes(), bins=50)
    source = np.random.default_rng(2).lognormal(np.log(60), 0.9, 20000)  # COCO-like, much larger
    msm = MonotoneScaleMatch(h, source)
    grid = np.sort(np.random.default_rng(3).uniform(source.min() / 2, source.max() * 2, 5000))
    mapped = msm.map_sizes(grid)
    assert np.all(np.diff(mapped) >= 0)  # order preserved
    assert mapped.min() >= h.edges[0] and mapped.max() <= h.edges[-1]
    # the mapped source sizes fall into the target bins with the target's probabilities
    counts, _ = np.histogram(msm.map_sizes(source), bins=h.edges)
    assert np.abs(counts / len(source) - h.probs).max() < 2e-3
    # the median source object becomes the median target object
    assert msm.map_sizes([np.median(source)])[0] == pytest.approx(np.median(target_sizes()),
                                                                  rel=0.05)


def test_sizes_from_json_skip_ignore_uncertain_and_crowd(tmp_path):
    anns = [dict(bbox=[0, 0, 4, 9]), dict(bbox=[0, 0, 10, 10], ignore=True),
            dict(bbox=[0, 0, 10, 10], uncertain=True), dict(bbox=[0, 0, 10, 10], iscrowd=1)]
    path = tmp_path / 'a.json'
    path.write_text(json.dumps(dict(annotations=anns)))
    assert object_sizes_from_json(str(path)).tolist() == [6.0]
    path.write_text(json.dumps(dict(images=[])))
    with pytest.raises(ValueError, match='annotations'):
        object_sizes_from_json(str(path))
