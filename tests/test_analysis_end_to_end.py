"""folkabc analyze end to end: a model (the default one if installed, else a small random one),
every figure a non-blank PNG, the report written, three ablation rates, seed-dependent numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from folkabc.analysis.report import FIGURES, ablation_study, analyze, model_beam_coverage, model_next_dist
from folkabc.cli import main
from folkabc.errors import ModelFileError, ParameterError
from folkabc.model import Model, load_model

FAST = dict(max_length=100, n_ablation=3, beam_depth=2, beam_keep=(0.2,), max_branches=256)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    """A small random model saved to disk (for the mechanics and the CLI)."""
    d = tmp_path_factory.mktemp("model") / "tiny"
    Model.random(layers=[24, 24], rng=3, scale=0.3).save(d)
    return d


@pytest.fixture(scope="module")
def tiny(tiny_dir):
    return load_model(tiny_dir)


@pytest.fixture(scope="module")
def model(tiny):
    """The default model if one is installed, else the small random one."""
    try:
        return load_model(None)
    except ModelFileError:
        return tiny


def _non_blank_png(path) -> bool:
    from matplotlib.image import imread

    img = imread(path)
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and img.ndim == 3 and float(img[..., :3].std()) > 0.01


@pytest.fixture(scope="module")
def report(model, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return analyze(model, out, seed=5, **FAST)


def test_every_figure_is_a_non_blank_png(report):
    assert sorted(report.figures) == sorted(FIGURES)
    for name, path in report.figures.items():
        assert path.exists() and path.suffix == ".png", name
        assert _non_blank_png(path), name


def test_report_written_with_numbers(report):
    md = report.markdown.read_text(encoding="utf-8")
    assert md.startswith("# folkabc analysis report")
    for name in FIGURES:
        assert f"({name}.png)" in md
    nums = json.loads(report.numbers_path.read_text(encoding="utf-8"))
    assert nums == json.loads(json.dumps(report.numbers))
    sv = nums["softmax"]["singular_values_top3"]
    assert sv == sorted(sv, reverse=True) and sv[0] > 0
    assert f"{sv[0]:.4g}" in md
    assert len(nums["periodicity"]["layers"]) == len(nums["model"]["layers"])


def test_ablation_reports_three_rates(report):
    ab = report.numbers["ablation"]
    assert [c["label"] for c in ab["conditions"]] == ["no ablation", "periodic units", "random units"]
    for c in ab["conditions"]:
        assert 0.0 <= c["counted"] <= 1.0
        assert len(c["ok"]) == ab["n"] == FAST["n_ablation"]
        assert c["counted"] == pytest.approx(np.mean(c["ok"]))
        assert np.isfinite(c["loglik"]) and c["loglik"] < 0
    assert len(ab["conditions"][1]["units"]) == len(ab["conditions"][2]["units"])
    md = report.markdown.read_text(encoding="utf-8")
    for c in ab["conditions"]:
        lo, hi = c["counted_ci"]
        assert lo <= c["counted"] <= hi and lo < hi
        assert c["loglik_ci"][0] <= c["loglik"] <= c["loglik_ci"][1]
        assert f"| {c['label']} | {len(c['units'])} | {c['counted']:.1%} [{lo:.1%}–{hi:.1%}] |" in md
    # layers count from 1 everywhere in the report
    assert ab["layer"] == len(report.numbers["model"]["layers"])
    assert f"layer {ab['layer']}: {ab['units_over_threshold']} of its {ab['units_in_layer']} units" in md
    assert ab["units_over_threshold"] == len(ab["periodic"])


def test_band_follows_the_measured_bar_period(report):
    per = report.numbers["periodicity"]
    assert per["band"] == report.numbers["ablation"]["band"]
    if per["bar_period"] is not None:  # a model that writes bar lines
        lo, hi = per["band"]
        assert per["band_source"] == "measured"
        assert lo <= per["bar_period"]["period"] <= hi


def test_period_option_sets_the_band(tiny):
    study = ablation_study(tiny, n=2, seed=1, max_length=40, threshold=0.0, period=8.0)
    assert study.band == pytest.approx((8.0 * (1 - 0.0333), 8.0 * (1 + 0.0333)))
    assert study.bar_period is None
    given = ablation_study(tiny, n=2, seed=1, max_length=40, threshold=0.0, band=(8.7, 9.3))
    assert given.band == (8.7, 9.3)
    with pytest.raises(ParameterError, match="period"):
        ablation_study(tiny, n=1, period=1.0)


def test_ablation_difference_is_paired(tiny):
    study = ablation_study(tiny, n=4, seed=2, max_length=40, threshold=0.0)
    d, lo, hi = study.difference_ci()
    p, r = study.conditions[1].ok, study.conditions[2].ok
    assert d == pytest.approx(np.mean(r) - np.mean(p))
    assert lo <= d <= hi
    pair = study.paired
    assert pair["random_only"] - pair["periodic_only"] == sum(r) - sum(p)


def test_numbers_change_with_the_seed(model, report, tmp_path):
    other = analyze(model, tmp_path, seed=6, **FAST)
    assert other.numbers["tune"]["tokens"] != report.numbers["tune"]["tokens"]
    assert other.numbers["posterior"] != report.numbers["posterior"]
    assert other.numbers["sparsity"] != report.numbers["sparsity"]
    assert other.markdown.read_text() != report.markdown.read_text()
    # the model's own numbers do not depend on the tune
    assert other.numbers["softmax"]["singular_values_top3"] == report.numbers["softmax"]["singular_values_top3"]


def test_ablation_study_same_seeds_and_units(tiny):
    model = tiny
    study = ablation_study(model, n=3, seed=11, max_length=60, threshold=0.0, fraction=0.5)
    H = model.layers[-1]
    a, b, c = study.conditions
    assert len(a.units) == 0 and len(b.units) == len(c.units) == round(0.5 * H)
    # (b) cuts the most periodic units: every cut unit's band share >= every kept unit's
    kept = np.setdiff1d(np.arange(H), b.units)
    assert study.band_fraction[b.units].min() >= study.band_fraction[kept].max()
    # the unablated condition is exactly the model's generation from those seeds
    gen = model.generate(n=3, meter="M:4/4", seed=11, max_length=60)
    assert a.tunes == [g.tokens for g in gen]
    assert study.rates == {x.label: x.counted for x in study.conditions}
    # log-likelihood per token under the intact model, </s> counted for tunes that ended
    total = sum(-model.score(g.tokens, end=g.ended).nll for g in gen)
    count = sum(len(g.tokens) + g.ended for g in gen)
    assert a.loglik == pytest.approx(total / count, rel=1e-5)


def test_ablation_study_bad_arguments(tiny):
    model = tiny
    with pytest.raises(ParameterError, match="layer"):
        ablation_study(model, layer=9, n=1)
    with pytest.raises(ParameterError, match="fraction"):
        ablation_study(model, fraction=0.0, n=1)


def test_model_next_dist_matches_run(tiny):
    model = tiny
    f = model_next_dist(model)
    prefix = ["M:4/4", "K:Cmaj", "C", "D"]
    ids = [model.start_id] + [int(i) for i in model.encode(prefix)]
    trace = model.run(prefix)
    # step by step, each call reusing its parent's state
    for t in range(1, len(ids) + 1):
        p = f([tuple(ids[:t])])
        np.testing.assert_allclose(p[0], trace.posterior[t - 1], atol=1e-5)


def test_model_beam_coverage_keep_all_misses_nothing(tiny):
    model = tiny
    cov = model_beam_coverage(model, ["M:4/4", "K:Cmaj"], depth=2, keep=1.0, max_branches=None)
    np.testing.assert_allclose(cov.missed, [0.0, 0.0], atol=1e-6)
    pruned = model_beam_coverage(model, ["M:4/4", "K:Cmaj"], depth=2, keep=0.2, max_branches=None)
    assert np.all(pruned.missed > 0) and pruned.missed[1] >= pruned.missed[0]


def test_cli_analyze_seed(tiny_dir, tmp_path, capsys):
    args = ["analyze", "--model", str(tiny_dir), "--seed", "3", "-o", str(tmp_path / "r"), "--n-ablation", "2",
            "--max-length", "80", "--beam-depth", "1", "--json"]
    assert main(args) == 0
    nums = json.loads(capsys.readouterr().out)
    assert len(nums["ablation"]["conditions"]) == 3
    assert nums["ablation"]["layer"] == 2  # the last of two layers, counted from 1
    assert (tmp_path / "r" / "report.md").exists()
    assert len(list((tmp_path / "r").glob("*.png"))) == len(FIGURES)


def test_cli_analyze_token_file(tiny_dir, tmp_path, capsys):
    pytest.importorskip("folkabc.tokens")
    f = tmp_path / "tune.txt"
    f.write_text("M:4/4\nK:Cmaj\n|: G, C C 2 G, C E C | G, C E G F D B, D :|\n", encoding="utf-8")
    args = ["analyze", "--model", str(tiny_dir), "--tune", str(f), "-o", str(tmp_path / "r"), "--n-ablation", "0",
            "--beam-depth", "1"]
    assert main(args) == 0
    assert "wrote 10 figures" in capsys.readouterr().out
    md = (tmp_path / "r" / "report.md").read_text()
    assert "M:4/4 K:Cmaj |: G, C C 2 G, C E C" in md


def test_cli_analyze_layer_counts_from_one(tiny_dir, tmp_path, capsys):
    args = ["analyze", "--model", str(tiny_dir), "--seed", "3", "-o", str(tmp_path / "r"), "--n-ablation", "2",
            "--max-length", "60", "--beam-depth", "1", "--layer", "1", "--period", "9"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "layer 1: " in out and "periods 8.70-9.30 steps" in out
    assert main(args[:-4] + ["--layer", "0"]) == 2
    assert "--layer counts from 1" in capsys.readouterr().err


def test_cli_analyze_errors(tmp_path, capsys):
    assert main(["analyze", "--model", str(tmp_path / "missing"), "-o", str(tmp_path / "r")]) == 2
    assert "folkabc analyze: error:" in capsys.readouterr().err


def test_cli_analyze_index_out_of_range(tiny_dir, tmp_path, capsys):
    f = tmp_path / "tune.txt"
    f.write_text("M:4/4\nK:Cmaj\nC D E F |\n", encoding="utf-8")
    assert main(["analyze", "--model", str(tiny_dir), "--tune", str(f), "--index", "2", "-o", str(tmp_path)]) == 2
    assert "--index 2 is out of range: the file holds 1 tune(s)" in capsys.readouterr().err


def test_cli_analyze_reads_only_the_chosen_tune(tmp_path):
    from folkabc.cli.analyze import read_tune
    from folkabc.errors import FolkabcError

    f = tmp_path / "two.abc"
    f.write_text("X:1\nT:bad\nM:4/4\nK:Zzz\nCDEF|\n\nX:2\nT:good\nM:4/4\nK:C\nCDEF|\n", encoding="utf-8")
    assert read_tune(str(f), index=2)[:4] == ["M:4/4", "K:Cmaj", "C", "D"]
    with pytest.raises(FolkabcError, match="unreadable key 'Zzz'"):
        read_tune(str(f), index=1)
