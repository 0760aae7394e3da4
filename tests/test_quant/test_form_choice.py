"""Choosing the fastest deployment form by timing, with a cache (mmlean/quant/form_choice.py)."""
import json

import torch

from mmlean.quant.form_choice import choose_fastest, machine_key


def _forms(calls):
    big = torch.randn(300, 300)

    def slow():
        calls.append('slow')
        for _ in range(20):
            big @ big

    def fast():
        calls.append('fast')

    return dict(slow=slow, fast=fast)


def test_the_fastest_form_wins_and_the_choice_is_cached(tmp_path):
    cache = tmp_path / 'forms.json'
    calls = []
    first = choose_fastest(_forms(calls), 'layer A', cache=str(cache), reps=3)
    assert first.choice == 'fast' and first.source == 'timed'
    assert first.timings_ms['slow'] > first.timings_ms['fast']
    assert 'slow' in calls
    stored = json.loads(cache.read_text())
    assert stored[f'{machine_key()} | layer A']['choice'] == 'fast'
    calls.clear()
    again = choose_fastest(_forms(calls), 'layer A', cache=str(cache))
    assert again.source == 'cache' and again.choice == 'fast' and calls == []
    # another layer, or another set of candidates, is timed again
    assert choose_fastest(_forms(calls), 'layer B', cache=str(cache), reps=2).source == 'timed'
    only = choose_fastest({'slow': _forms([])['slow']}, 'layer A', cache=str(cache), reps=1)
    assert only.source == 'timed' and only.choice == 'slow'
    assert 'fast' in only.describe() or 'slow' in only.describe()


def test_a_damaged_cache_is_timed_again_and_rewritten(tmp_path):
    cache = tmp_path / 'forms.json'
    cache.write_text('{not json')
    result = choose_fastest(_forms([]), 'layer', cache=str(cache), reps=2)
    assert result.source == 'timed'
    assert json.loads(cache.read_text())  # valid again


def test_no_cache(tmp_path, monkeypatch):
    monkeypatch.setenv('MMLEAN_CACHE_DIR', str(tmp_path))
    choose_fastest(_forms([]), 'layer', cache=False, reps=2)
    assert not list(tmp_path.iterdir())
    choose_fastest(_forms([]), 'layer', reps=2)  # default: $MMLEAN_CACHE_DIR/deploy_forms.json
    assert (tmp_path / 'deploy_forms.json').exists()
