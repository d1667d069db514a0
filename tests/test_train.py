"""Tests for folkabc.train and ``folkabc train``: settings, data, a tiny real training run, export."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from folkabc.errors import CorpusError, FolkabcError, ParameterError
from folkabc.train import (
    TrainSettings,
    require_torch,
    sequences_from_corpus,
    sequences_from_tunes,
    split_holdout,
    training_split,
)
from folkabc.vocab import VOCAB

from conftest import music21_abc_paths


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def oneill_tunes():
    """About 300 real tunes: the first files of O'Neill's 1850 collection, tokenized."""
    from folkabc.tokens import tokenize

    tunes = []
    for path in music21_abc_paths("oneills1850")[:6]:
        tunes += tokenize(path.read_text(encoding="utf-8", errors="replace"))
    return tunes


# -- settings ----------------------------------------------------------------------------------


def test_settings_defaults_are_folkrnn_recipe():
    s = TrainSettings()
    assert (s.optimizer, s.learning_rate, s.lr_decay, s.lr_decay_after) == ("rmsprop", 0.003, 0.97, 20)
    assert (s.batch_size, s.clip, s.dropout, s.validation_fraction) == (64, 5.0, 0.5, 0.05)


def test_settings_file_round_trip(tmp_path):
    s = TrainSettings(layers=(64, 32), optimizer="adam", time_limit=60.0, seed=7)
    s.save(tmp_path / "s.json")
    assert json.loads((tmp_path / "s.json").read_text())["layers"] == [64, 32]
    assert TrainSettings.load(tmp_path / "s.json") == s


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"layers": ()}, "layers=() must be a non-empty list of positive ints"),
        ({"layers": (0,)}, "layers=(0,) must be"),
        ({"dropout": 1.0}, "dropout=1.0 must be in [0, 1)"),
        ({"optimizer": "sgd"}, "optimizer='sgd' must be one of ('rmsprop', 'adam')"),
        ({"learning_rate": 0}, "learning_rate=0 must be > 0"),
        ({"batch_size": 0}, "batch_size=0 must be an int > 0"),
        ({"validation_fraction": 1.5}, "validation_fraction=1.5 must be in (0, 1)"),
        ({"time_limit": -1}, "time_limit=-1 must be > 0 or null"),
        ({"average": 1.0}, "average=1.0 must be in (0, 1) or null"),
        ({"weights_dtype": "int8"}, "weights_dtype='int8' must be 'float32' or 'float16'"),
    ],
)
def test_settings_reject_bad_values(kw, message):
    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[")):
        TrainSettings(**kw)


def test_settings_file_unknown_key_and_bad_json(tmp_path):
    (tmp_path / "a.json").write_text('{"layers": [8], "epochs": 2}')
    with pytest.raises(ParameterError, match="unknown training setting.*'epochs'"):
        TrainSettings.load(tmp_path / "a.json")
    (tmp_path / "b.json").write_text("{layers")
    with pytest.raises(ParameterError, match="not JSON") as info:
        TrainSettings.load(tmp_path / "b.json")
    assert info.value.path == str(tmp_path / "b.json")


# -- data --------------------------------------------------------------------------------------


def test_split_holdout_is_seeded_disjoint_and_complete():
    tr, va = split_holdout(1000, fraction=0.05, seed=3)
    assert va.size == 50 and tr.size == 950
    assert np.intersect1d(tr, va).size == 0
    assert np.array_equal(np.sort(np.concatenate([tr, va])), np.arange(1000))
    assert np.array_equal(split_holdout(1000, fraction=0.05, seed=3)[1], va)
    assert not np.array_equal(split_holdout(1000, fraction=0.05, seed=4)[1], va)
    with pytest.raises(ParameterError, match="n=1 must be an int >= 2"):
        split_holdout(1)


def test_sequences_from_corpus_arrays():
    toks = [["M:4/4", "K:Cmaj", "|:", "C", ":|"], ["M:6/8", "K:Cdor", "D", "3"]]
    ids = np.concatenate([np.append(VOCAB.encode(t), VOCAB.id("</s>")) for t in toks])
    offsets = np.array([0, 6, 11])
    seqs = sequences_from_corpus((ids, offsets))
    assert [VOCAB.decode(s) for s in seqs] == [["<s>", *toks[0], "</s>"], ["<s>", *toks[1], "</s>"]]
    assert all(s.dtype == np.int64 for s in seqs)
    with pytest.raises(CorpusError, match="offsets do not partition"):
        sequences_from_corpus((ids, np.array([0, 6, 99])))
    with pytest.raises(CorpusError, match="no ids/offsets"):
        sequences_from_corpus(object())


def test_sequences_from_real_tunes_keep_in_vocab_only(oneill_tunes):
    seqs = sequences_from_tunes(oneill_tunes)
    usable = {tuple(t.tokens) for t in oneill_tunes if t.error is None and t.in_vocab}
    assert len(seqs) == len(usable) > 250
    assert all(s[0] == VOCAB.id("<s>") and s[-1] == VOCAB.id("</s>") for s in seqs)
    assert all(VOCAB.category(VOCAB.token(int(s[1]))) == "meter" for s in seqs)
    assert all(VOCAB.category(VOCAB.token(int(s[2]))) == "mode" for s in seqs)


def test_missing_torch_says_how_to_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    with pytest.raises(FolkabcError, match=r"pip install 'folkabc\[train\]'"):
        require_torch()
    from folkabc.cli import main

    assert main(["train", "--out", str(tmp_path / "m"), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("folkabc train: error: training needs PyTorch") and err.count("\n") == 1


# -- training (needs torch) --------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_run(torch, oneill_tunes, tmp_path_factory):
    """A real training run: 300 O'Neill tunes, one LSTM layer of 48, a few seconds of CPU."""
    from folkabc.train import train

    out = tmp_path_factory.mktemp("tiny") / "model"
    seqs = sequences_from_tunes(oneill_tunes)[:300]
    settings = TrainSettings(layers=(48,), optimizer="adam", learning_rate=0.01, dropout=0.1,
                             batch_size=32, max_epochs=4, patience=4, validation_fraction=0.1, seed=0,
                             eval_every=4, threads=1)
    events = []
    result = train(seqs, settings=settings, out=out, log=out.parent / "log.jsonl", callback=events.append,
                   provenance={"corpus": {"path": "oneills1850 (6 files)"}})
    return seqs, settings, result, events, out


def test_tiny_run_loss_falls(tiny_run):
    seqs, settings, result, events, _ = tiny_run
    hist = result.history
    assert result.stop_reason == "max_epochs" and hist[-1]["epoch"] == 4
    assert result.n_valid == round(0.1 * len(seqs)) and result.n_train + result.n_valid == len(seqs)
    # held-out loss falls well below chance (ln 137 = 4.92) and keeps falling
    assert len(hist) == 12  # every 4 steps (9 batches an epoch) and at each epoch's end
    assert hist[0]["valid_loss"] < 4.5
    assert hist[-1]["valid_loss"] < hist[0]["valid_loss"] - 0.5
    assert hist[-1]["train_loss"] < hist[1]["train_loss"]
    assert result.best_valid_loss == pytest.approx(min(h["valid_loss"] for h in hist), abs=1e-5)
    batches = [e for e in events if e["event"] == "batch"]
    assert len([e for e in events if e["event"] == "valid"]) == len(hist)
    assert batches[-1]["batch"] == batches[-1]["n_batches"]


def test_tiny_run_log_and_settings_files(tiny_run):
    _, settings, result, _, out = tiny_run
    lines = (out.parent / "log.jsonl").read_text().splitlines()
    assert [json.loads(ln) for ln in lines] == result.history
    assert TrainSettings.load(out / "train-settings.json") == settings
    meta = json.loads((out / "model.json").read_text())
    assert meta["format"] == "folkabc-model" and meta["version"] == 1
    assert meta["vocabulary"] == list(VOCAB.tokens) and meta["layers"] == [48]
    assert meta["provenance"]["corpus"] == {"path": "oneills1850 (6 files)"}
    assert meta["provenance"]["settings"]["layers"] == [48]
    assert meta["provenance"]["best_valid_loss"] == round(result.best_valid_loss, 5)


def test_exported_model_matches_torch_to_1e5(torch, tiny_run):
    from folkabc.model import load_model

    seqs, _, result, _, out = tiny_run
    model = load_model(out)
    assert model.layers == [48]
    net = result.network
    assert not net.training
    _, valid = split_holdout(len(seqs), fraction=0.1, seed=0)
    tunes = [seqs[i] for i in valid[:8]]
    scores = model.score_many([VOCAB.decode(s[1:-1]) for s in tunes])
    with torch.no_grad():
        for s, sc in zip(tunes, scores):
            logp = torch.log_softmax(net(torch.from_numpy(s[None, :-1])), dim=-1)[0]
            ref = logp[torch.arange(s.size - 1), torch.from_numpy(s[1:])].double().numpy()
            assert sc.tokens == VOCAB.decode(s[1:])
            np.testing.assert_allclose(sc.token_logprobs, ref, rtol=0, atol=1e-5)
    # the held-out loss the trainer reports is the numpy model's mean NLL on the same tunes
    all_valid = model.score_many([VOCAB.decode(seqs[i][1:-1]) for i in valid])
    nll = sum(s.nll for s in all_valid) / sum(len(s.tokens) for s in all_valid)
    assert nll == pytest.approx(result.best_valid_loss, abs=1e-4)


def test_early_stopping_and_time_limit(torch, oneill_tunes):
    from folkabc.train import train

    seqs = sequences_from_tunes(oneill_tunes)[:60]
    # a learning rate so large the held-out loss cannot keep improving
    s = TrainSettings(layers=(8,), optimizer="adam", learning_rate=5.0, clip=None, batch_size=8,
                      max_epochs=50, patience=2, dropout=0.0)
    r = train(seqs, settings=s)
    assert r.stop_reason == "early_stopping"
    assert len(r.history) < 50 and not any(h["best"] for h in r.history[-2:])
    # a budget spent by the first batch: one step, then the closing validation
    r = train(seqs, settings=s.replace(learning_rate=0.01, time_limit=1e-9, patience=50))
    assert r.stop_reason == "time_limit" and [(h["epoch"], h["step"]) for h in r.history] == [(1, 1)]


def test_train_rejects_too_few_tunes(torch):
    from folkabc.train import train

    with pytest.raises(ParameterError, match="need at least 2 tunes"):
        train([VOCAB.encode(["M:4/4", "K:Cmaj", "C"])])


def test_cli_train_on_abc_files(torch, tmp_path, capsys):
    from folkabc.cli import main

    path = music21_abc_paths("oneills1850")[0]
    out = tmp_path / "m"
    code = main(["train", "--abc", str(path), "--out", str(out), "--layers", "16", "--epochs", "1",
                 "--batch-size", "32", "--json", "--quiet"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["stop_reason"] == "max_epochs" and summary["n_train"] > 20
    assert sorted(p.name for p in out.iterdir()) == ["heldout.npz", "model.json", "train-log.jsonl", "train-settings.json",
                                                     "weights.npz"]
    assert TrainSettings.load(out / "train-settings.json").layers == (16,)


def test_cli_train_bad_layers(torch, tmp_path, capsys):
    from folkabc.cli import main

    assert main(["train", "--out", str(tmp_path), "--layers", "12,x"]) == 2
    assert "--layers='12,x' must be comma-separated ints" in capsys.readouterr().err


def test_interrupt_exports_best_checkpoint(torch, oneill_tunes, tmp_path):
    from folkabc.model import load_model
    from folkabc.train import train

    seqs = sequences_from_tunes(oneill_tunes)[:60]

    def stop_at_third_validation(ev):
        if ev["event"] == "valid" and ev["step"] >= 6:
            raise KeyboardInterrupt

    s = TrainSettings(layers=(8,), optimizer="adam", learning_rate=0.01, batch_size=8, max_epochs=5,
                      eval_every=2, dropout=0.0, threads=1)
    r = train(seqs, settings=s, out=tmp_path / "m", callback=stop_at_third_validation)
    assert r.stop_reason == "interrupted" and [h["step"] for h in r.history] == [2, 4, 6]
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["provenance"]["checkpoint"] is False and meta["provenance"]["stop_reason"] == "interrupted"
    assert load_model(tmp_path / "m").layers == [8]


def test_only_clean_keeps_exactly_the_tunes_whose_bars_count():
    """``only_clean`` trains on the corpus tunes that check clean as ABC (re-checked here from their
    ABC, with the bar lines the builder restores at Essen's line ends) and as tokens."""
    from folkabc import tokenize
    from folkabc.corpus import Corpus
    from folkabc.corpus.sources import LINE_BAR_COLLECTIONS
    from folkabc.train import corpus_sequences, tokens_count_clean
    from folkabc.validate import check, close_line_bars

    every, _ = corpus_sequences(None)
    clean, prov = corpus_sequences(None, only_clean=True)
    assert prov["corpus"]["only_clean"] is True
    assert 0.3 * len(every) < len(clean) < len(every)
    clean_set = {s.tobytes() for s in clean}
    corpus = Corpus.open()
    rng = np.random.default_rng(0)
    seen = {True: 0, False: 0}
    for row in rng.choice(len(every), size=80, replace=False):
        tune = corpus.tune_at(int(row))
        read = tokenize(tune.abc)[0]
        if tune.source in LINE_BAR_COLLECTIONS:
            read = close_line_bars(read)
        expected = check(read)[0].ok and tokens_count_clean(every[row])
        assert expected == (every[row].tobytes() in clean_set), tune.abc
        seen[expected] += 1
    assert min(seen.values()) > 5


def test_a_part_end_written_as_double_bar_is_lost_in_tokens():
    """Why ``only_clean`` also checks the token form: O'Neill's "Fare You Well" closes part A's
    pickup at a ``||`` and opens part B with its own; tokens write ``||`` as ``|`` (folk-rnn v2),
    so its token form (in eighths) shows two short bars and a model would learn them."""
    from folkabc import tokenize
    from folkabc.train import tokens_count_clean
    from folkabc.validate import check

    text = music21_abc_paths("oneills1850")[0].read_text(encoding="utf-8", errors="replace")
    tune = next(t for t in tokenize(text) if t.title == "Fare You Well")
    assert check(tune)[0].ok
    findings = [f for f in check(list(tune.tokens))[0].findings if f.is_error]
    assert [(f.bar, f.kind, f.actual, f.expected) for f in findings] == [(8, "short", 3, 4), (9, "short", 1, 4)]
    assert not tokens_count_clean(VOCAB.encode(tune.tokens))
    pickup = ["M:2/4", "K:Cmaj", "G", "|", "c", "d", "e", "f", "|", "c", "d", "e", "|"]
    assert tokens_count_clean(VOCAB.encode(pickup))
    assert not tokens_count_clean(VOCAB.encode(pickup[:-1] + ["G", "|"]))


def test_averaged_weights_are_what_is_validated_and_exported(torch, oneill_tunes, tmp_path):
    """With ``average`` the exported model is the moving average of the weights: its held-out loss
    (measured here in numpy on heldout.npz) is the best validation loss recorded, and it differs
    from the raw weights; a decay near 0 makes the average follow the raw weights exactly."""
    from folkabc.model import load_model
    from folkabc.train import train

    seqs = sequences_from_tunes(oneill_tunes)
    base = dict(layers=(16,), optimizer="adam", learning_rate=0.02, batch_size=16, max_epochs=2,
                dropout=0.0, threads=1, seed=3)
    raw = train(seqs, settings=TrainSettings(**base), out=tmp_path / "raw", checkpoint=False)
    avg = train(seqs, settings=TrainSettings(**base, average=0.9), out=tmp_path / "avg", checkpoint=False)
    follow = train(seqs, settings=TrainSettings(**base, average=1e-9), checkpoint=False)

    def weights(r):
        return [p.detach().numpy().copy() for p in r.network.parameters()]

    assert all(np.array_equal(a, b) for a, b in zip(weights(raw), weights(follow)))
    assert not all(np.allclose(a, b, atol=1e-4) for a, b in zip(weights(raw), weights(avg)))
    model = load_model(tmp_path / "avg")
    with np.load(tmp_path / "avg" / "heldout.npz") as z:
        held = sequences_from_corpus((z["ids"], z["offsets"]))
    nll = count = 0.0
    for s in held:
        lp = model.score(VOCAB.decode(s[1:-1])).token_logprobs
        nll -= lp.sum()
        count += lp.size
    assert nll / count == pytest.approx(avg.best_valid_loss, abs=1e-5)
    assert json.loads((tmp_path / "avg" / "train-settings.json").read_text())["average"] == 0.9


def test_unwritable_paths_are_folkabc_errors(torch, tmp_path, capsys):
    from folkabc.cli import main

    with pytest.raises(FolkabcError, match="cannot write settings") as e:
        TrainSettings().save(tmp_path / "missing" / "s.json")
    assert e.value.path.endswith("s.json")
    from folkabc.train import train

    seqs = [VOCAB.encode(["M:4/4", "K:Cmaj", "C"]), VOCAB.encode(["M:4/4", "K:Cmaj", "D"])]
    with pytest.raises(FolkabcError, match="cannot open training log"):
        train(seqs, settings=TrainSettings(layers=(4,)), log=tmp_path)  # a directory
    blocker = tmp_path / "file"
    blocker.write_text("")
    path = music21_abc_paths("oneills1850")[0]
    assert main(["train", "--abc", str(path), "--out", str(blocker / "m"), "--quiet"]) == 2
    assert "cannot create directory" in capsys.readouterr().err


def test_only_clean_with_abc_files_is_refused(tmp_path, capsys):
    """``--only-clean`` works on a corpus's stored checks; with ``--abc`` it is refused, not ignored."""
    from folkabc.cli import main

    abc = Path(__file__).resolve().parent.parent / "folkabc" / "data" / "examples" / "oneills-sample.abc"
    assert main(["train", "--abc", str(abc), "--only-clean", "--out", str(tmp_path / "m")]) == 2
    assert "--only-clean" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_interrupt_before_any_validation_writes_valid_json(torch, oneill_tunes, tmp_path):
    """Ctrl-C at the first batch: the exported model.json is strict JSON (no Infinity: the loss is
    null until a validation has run), and the settings and held-out files are complete."""
    from folkabc.model import load_model
    from folkabc.train import train

    seqs = sequences_from_tunes(oneill_tunes)[:40]

    def stop_at_once(ev):
        if ev["event"] == "batch":
            raise KeyboardInterrupt

    s = TrainSettings(layers=(8,), batch_size=8, max_epochs=2, eval_every=50, dropout=0.0, threads=1)
    r = train(seqs, settings=s, out=tmp_path / "m", callback=stop_at_once)
    assert r.stop_reason == "interrupted" and r.history == []
    text = (tmp_path / "m" / "model.json").read_text()
    meta = json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in model.json"))
    assert meta["provenance"]["best_valid_loss"] is None
    assert TrainSettings.load(tmp_path / "m" / "train-settings.json") == s
    with np.load(tmp_path / "m" / "heldout.npz") as z:
        assert z["offsets"][-1] == z["ids"].size > 0
    assert load_model(tmp_path / "m").layers == [8]


# -- warm start, self-training, choosing by the bar check --------------------------------------


def _token_logprobs(torch, net, seq):
    with torch.no_grad():
        logp = torch.log_softmax(net(torch.from_numpy(seq[None, :-1])), dim=-1)[0]
    return logp[torch.arange(seq.size - 1), torch.from_numpy(seq[1:])].double().numpy()


def test_network_from_model_scores_like_the_numpy_model(torch):
    """The shipped model loaded into torch (the warm start) gives the numpy model's token
    log-probabilities on O'Neill's tunes to float32 rounding; other layer sizes are refused."""
    from folkabc.model import load_model
    from folkabc.model.io import default_model_path
    from folkabc.tokens import tokenize
    from folkabc.train import network_from_model

    model = load_model()
    net = network_from_model(default_model_path())
    net.eval()
    tunes = tokenize(music21_abc_paths("oneills1850")[0].read_text(encoding="utf-8"))[:6]
    seqs = sequences_from_tunes(tunes)
    assert len(seqs) >= 4
    for seq in seqs:
        ref = model.score(VOCAB.decode(seq[1:-1])).token_logprobs
        # Both sides compute in float32, but with different kernels and summation orders (torch vs
        # numpy BLAS, which differ by CPU: AVX2, AVX-512, FMA or not), so each logit carries a rounding
        # error of a few float32 epsilons times the size of what was summed, and the recurrent state
        # compounds it over the sequence roughly like sqrt(T). A log-probability of size |ref| comes
        # from logits of about that size, hence the bound below (≈ 3e-5 for |ref| ~ 1 at T ~ 200).
        # A real mistake (a wrong gate order, a missing bias) moves log-probabilities by 0.1 or more.
        eps32 = float(np.finfo(np.float32).eps)
        tol = 8 * eps32 * np.sqrt(len(seq)) * (1.0 + np.abs(ref))
        got = _token_logprobs(torch, net, seq)
        assert np.all(np.abs(got - ref) <= tol), float(np.max(np.abs(got - ref) / tol))
    with pytest.raises(ParameterError, match=r"the model has layers \[\d+, \d+\]; the settings say \[16\]"):
        network_from_model(model, layers=(16,))


def test_warm_start_continues_from_the_model(torch, tiny_run):
    """A run started from the tiny model (same tunes, split and seed) with a vanishing learning
    rate validates at the tiny model's own held-out loss."""
    from folkabc.train import train

    seqs, settings, result, _, out = tiny_run
    warm = settings.replace(init=str(out), learning_rate=1e-12, max_epochs=1, average=None)
    r = train(seqs, settings=warm)
    assert r.history[0]["valid_loss"] == pytest.approx(result.best_valid_loss, abs=1e-5)
    cold = train(seqs, settings=dataclasses.replace(warm, init=None))
    assert cold.history[0]["valid_loss"] > result.best_valid_loss + 0.5  # fresh weights: near chance


def test_self_samples_add_the_init_models_clean_tunes_to_training_only(torch, oneill_tunes, tmp_path):
    """Self-training adds the init model's own tunes that end and count (seeds from self_seed)
    to the training part; the held-out tunes are the corpus's, as without them."""
    from folkabc.model import load_model
    from folkabc.model.io import default_model_path
    from folkabc.train import self_training_tunes, train
    from folkabc.validate import bars_count

    seqs = sequences_from_tunes(oneill_tunes)[:60]
    base = TrainSettings(layers=tuple(load_model().layers), init=str(default_model_path()),
                         batch_size=8, max_epochs=1, time_limit=1e-9, dropout=0.0, threads=2)
    plain = train(seqs, settings=base, out=tmp_path / "plain", checkpoint=False)
    own = train(seqs, settings=base.replace(self_samples=40, self_seed=123), out=tmp_path / "own",
                checkpoint=False)
    _, train_idx, _ = training_split(seqs, settings=base)
    expected = self_training_tunes(load_model(), n=40, seed=123, like=[seqs[i] for i in train_idx])
    clean = [g for g in load_model().generate(n=40, seed=123) if g.ended and bars_count(list(g.tokens))]
    assert 0 < own.n_self == len(expected) <= len(clean) < 40  # drawn from the clean ones
    assert own.n_train == plain.n_train + own.n_self and own.n_valid == plain.n_valid
    for name in ("ids", "offsets"):
        with np.load(tmp_path / "plain" / "heldout.npz") as a, np.load(tmp_path / "own" / "heldout.npz") as b:
            assert np.array_equal(a[name], b[name])
    assert json.loads((tmp_path / "own" / "model.json").read_text())["provenance"]["n_self"] == own.n_self


def test_select_samples_keeps_the_weights_that_write_most_clean_tunes(torch, oneill_tunes, tmp_path):
    """With select_samples the kept weights are those with the best recorded clean share (not the
    best loss), and the exported model writes exactly that share on the selection seeds."""
    from folkabc.model import load_model
    from folkabc.model.io import default_model_path
    from folkabc.train import clean_share, train

    seqs = sequences_from_tunes(oneill_tunes)[:80]
    s = TrainSettings(layers=tuple(load_model().layers), init=str(default_model_path()), optimizer="adam",
                      learning_rate=1e-3, batch_size=8, max_epochs=1, eval_every=2, patience=20,
                      dropout=0.0, threads=2, select_samples=30, select_seed=77)
    r = train(seqs, settings=s, out=tmp_path / "m", checkpoint=False)
    shares = [h["clean_share"] for h in r.history]
    assert len(shares) >= 4 and len(set(shares)) > 1
    assert r.best_clean_share == pytest.approx(max(shares), abs=1e-4)
    kept = [h for h in r.history if h["best"]][-1]
    assert kept["clean_share"] == max(shares)
    assert r.best_valid_loss == pytest.approx(kept["valid_loss"], abs=1e-5)
    # fitting 72 O'Neill tunes lowers their held-out loss but costs clean tunes: the kept weights
    # are not the lowest-loss ones
    assert kept["valid_loss"] > min(h["valid_loss"] for h in r.history) + 0.01
    assert clean_share(load_model(tmp_path / "m"), n=30, seed=77) == pytest.approx(max(shares), abs=1e-4)


def test_self_training_counts_are_bounded_by_a_documented_limit(monkeypatch):
    """A settings file asking for a billion self-training tunes is refused before any is written
    (they are held in memory, and written before the time limit is looked at)."""
    from folkabc.errors import LimitError

    with pytest.raises(LimitError, match="self_samples: 1000000000 tunes is over the limit max_self_samples"):
        TrainSettings(init="m", self_samples=10**9)
    with pytest.raises(LimitError, match="select_samples"):
        TrainSettings(select_samples=100_001)
    with pytest.raises(LimitError, match="workers: 1000000 processes is over the limit max_workers"):
        TrainSettings(workers=10**6)  # a million forked processes
    monkeypatch.setenv("FOLKABC_MAX_SELF_SAMPLES", "200000")
    assert TrainSettings(select_samples=100_001).select_samples == 100_001


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"self_samples": 10}, "self_samples=10 must be 0 unless init names the model that writes the tunes"),
        ({"select_samples": -1}, "select_samples=-1 must be an int >= 0"),
        ({"init": ""}, "init='' must be a model directory or null"),
        ({"self_constrained": "yes"}, "self_constrained='yes' must be true or false"),
        ({"self_forms": 1}, "self_forms=1 must be true or false"),
        ({"device": "gpu"}, "device='gpu' must be 'cpu', 'cuda' or 'cuda:N'"),
        ({"device": "cuda:x"}, "device='cuda:x' must be"),
        ({"workers": 0}, "workers=0 must be an int > 0"),
        ({"select_lengths": 1}, "select_lengths=1 must be true or false"),
        ({"workers": 2.0}, "workers=2.0 must be an int > 0"),
    ],
)
def test_self_training_settings_reject_bad_values(kw, message):
    with pytest.raises(ParameterError) as err:
        TrainSettings(**kw)
    assert message in str(err.value)


def test_cli_init_with_other_layer_sizes_is_a_clear_error(torch, tmp_path, capsys):
    from folkabc.cli import main
    from folkabc.model.io import default_model_path

    path = music21_abc_paths("oneills1850")[0]
    code = main(["train", "--abc", str(path), "--out", str(tmp_path / "m"), "--layers", "16",
                 "--init", str(default_model_path()), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "the model has layers [384, 384]; the settings say [16]" in err and "Traceback" not in err


def test_self_training_tunes_count_and_keep_the_models_proportions():
    """The self-training tunes all end and count, come from the model's own tunes, and keep the
    meters and lengths of everything it wrote (a bare filter would favour what counts easily)."""

    from folkabc.model import load_model
    from folkabc.train import self_training_tunes
    from folkabc.validate import bars_count

    model = load_model()
    generated = model.generate(n=400, seed=555)
    chosen = self_training_tunes(model, n=400, seed=555)
    written = {tuple(VOCAB.encode(list(g.tokens))) for g in generated}
    assert 250 < len(chosen) < 400
    for seq in chosen:
        assert VOCAB.token(int(seq[0])) == "<s>" and VOCAB.token(int(seq[-1])) == "</s>"
        assert tuple(seq[1:-1]) in written and bars_count(VOCAB.decode(seq[1:-1]))
    meters_gen = Counter(g.tokens[0] for g in generated)
    meters_own = Counter(VOCAB.token(int(s[1])) for s in chosen)
    for meter, count in meters_gen.items():
        if count >= 20:
            assert abs(meters_own[meter] / len(chosen) - count / 400) < 0.02, meter
    median_gen = np.median([len(g.tokens) for g in generated])
    assert abs(np.median([s.size - 2 for s in chosen]) - median_gen) <= 3


def test_self_training_tunes_in_the_proportions_of_real_tunes(oneill_tunes):
    """Given reference tunes (O'Neill's: long airs in 3/4, jigs, reels), the self-training tunes
    come much closer to their meters and lengths than the model's clean tunes as they come (the
    music21 model: its clean tunes are short, many of them 2/4 songs),
    each clean tune drawn at most max_repeats times."""
    from folkabc.model import load_model
    from folkabc.train import clean_tunes, self_training_tunes

    def meter_distance(a, b):
        ca, cb = (Counter(VOCAB.token(int(s[1])) for s in x) for x in (a, b))
        return 0.5 * sum(abs(ca[k] / len(a) - cb[k] / len(b)) for k in set(ca) | set(cb))

    like = sequences_from_tunes(oneill_tunes)
    chosen = self_training_tunes(load_model("music21"), n=600, seed=9, like=like, max_repeats=4)
    plain = clean_tunes(load_model("music21"), n=600, seed=9)
    assert max(Counter(map(tuple, chosen)).values()) <= 4
    assert {tuple(s) for s in chosen} <= {tuple(s) for s in plain}
    assert meter_distance(chosen, like) < 0.6 * meter_distance(plain, like)
    median_ref = np.median([s.size for s in like])
    assert np.median([s.size for s in plain]) < 0.7 * median_ref  # the model writes shorter tunes
    assert abs(np.median([s.size for s in chosen]) - median_ref) < 0.1 * median_ref


def test_progress_line_shows_the_clean_share_on_a_terminal(monkeypatch):
    """On a TTY each validation line shows the held-out loss and, when the run chooses by the bar
    check, the clean share; piped or --quiet, nothing is drawn."""
    import io

    from folkabc.cli import train as cli_train

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("FOLKABC_QUIET", raising=False)
    err = Tty()
    monkeypatch.setattr(sys, "stderr", err)
    draw = cli_train._progress(quiet=False)
    record = {"event": "valid", "epoch": 5, "step": 1480, "valid_loss": 1.21442, "valid_perplexity": 3.3683,
              "best": True, "tokens_per_s": 15666.4}
    draw({**record, "clean_share": 0.886})
    draw(record)
    lines = err.getvalue().split("\n")
    assert lines[0] == "\repoch 5 step 1480: valid loss 1.2144 (ppl 3.368), 88.6% clean *  15666 tok/s"
    assert lines[1] == "\repoch 5 step 1480: valid loss 1.2144 (ppl 3.368) *  15666 tok/s"
    assert cli_train._progress(quiet=True) is None
    err = Tty()
    monkeypatch.setattr(sys, "stderr", err)
    draw = cli_train._progress(quiet=False)
    draw({"event": "write", "done": 500, "total": 2000})
    draw({"event": "write", "done": 2000, "total": 2000})
    assert err.getvalue() == ("\rwriting self-training tunes [#######.......................] 500/2000"
                              "\rwriting self-training tunes [##############################] 2000/2000\n")
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert cli_train._progress(quiet=False) is None


def _corrupt_model(d):
    (d / "bad").mkdir()
    (d / "bad" / "model.json").write_text("{")
    return d / "bad"


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing", "missing: no such model file or directory"),
    (_corrupt_model, "model.json, line 1, column 2: not valid JSON: Expecting property name enclosed in double quotes"),
])
def test_cli_init_from_a_missing_or_corrupt_model_is_a_clear_error(torch, tmp_path, capsys, make, message):
    from folkabc.cli import main

    init = make(tmp_path)
    code = main(["train", "--abc", str(music21_abc_paths("oneills1850")[0]), "--out", str(tmp_path / "m"),
                 "--layers", "16", "--init", str(init), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("folkabc train: error: ") and message in err and "Traceback" not in err
    assert not (tmp_path / "m" / "model.json").exists()


def test_sources_keep_exactly_the_named_collections():
    """``sources`` trains on the corpus tunes of the named collections only (the session model's
    dance collections); an unknown name is one clear error naming the ones the corpus holds."""
    from folkabc.corpus import Corpus
    from folkabc.corpus.sources import DANCE_COLLECTIONS
    from folkabc.train import corpus_sequences

    every, _ = corpus_sequences(None)
    dance, prov = corpus_sequences(None, sources=DANCE_COLLECTIONS)
    src = Corpus.open().meta_array("source")
    want = [s for s, so in zip(every, src) if so in DANCE_COLLECTIONS]
    assert [s.tobytes() for s in dance] == [s.tobytes() for s in want]
    assert prov["corpus"]["sources"] == list(DANCE_COLLECTIONS)
    assert 3000 < len(dance) < len(every) - 5000  # the Essen songs are left out
    clean_dance, _ = corpus_sequences(None, sources=["miscFolk"], only_clean=True)
    clean_all, _ = corpus_sequences(None, only_clean=True)
    misc = {s.tobytes() for s, so in zip(every, src) if so == "miscFolk"}
    assert {s.tobytes() for s in clean_dance} == misc & {s.tobytes() for s in clean_all}
    with pytest.raises(ParameterError, match="not in the corpus; it holds .*oneills1850"):
        corpus_sequences(None, sources=["nosuch"])


def test_heldout_file_fixes_the_split(torch, oneill_tunes, tmp_path):
    """``heldout``: the tunes of a saved heldout.npz are the held-out part of a new run (never trained
    on), so two models are compared on the same tunes; a file sharing no tune is a clear error."""
    from folkabc.train import TrainSettings, heldout_split, train, training_split

    s = TrainSettings(layers=(8,), max_epochs=1, seed=3, batch_size=32)
    first = train(sequences_from_tunes(oneill_tunes), settings=s, out=tmp_path / "a")
    seqs, tr, va = training_split(sequences_from_tunes(oneill_tunes),
                                  settings=s.replace(heldout=str(tmp_path / "a"), seed=99))
    _, tr0, va0 = training_split(sequences_from_tunes(oneill_tunes), settings=s)
    assert va.tolist() == va0.tolist() and tr.tolist() == tr0.tolist()  # not the seed-99 split
    assert first.n_valid == len(va)
    other = sequences_from_tunes(oneill_tunes[:40])
    with pytest.raises(ParameterError, match="need some held out"):
        heldout_split([s_ for s_ in other if s_.tobytes() not in {seqs[i].tobytes() for i in va}],
                      tmp_path / "a")


def test_cli_sources_and_heldout_are_checked(tmp_path, capsys):
    """``--sources`` with ``--abc`` is refused; a missing ``--heldout`` file is one line naming it."""
    from folkabc.cli import main

    abc = Path(__file__).resolve().parent.parent / "folkabc" / "data" / "examples" / "oneills-sample.abc"
    assert main(["train", "--abc", str(abc), "--sources", "oneills1850", "--out", str(tmp_path / "m")]) == 2
    assert "--sources" in capsys.readouterr().err
    pytest.importorskip("torch")
    assert main(["train", "--abc", str(abc), "--heldout", str(tmp_path / "none.npz"), "--layers", "8",
                 "--out", str(tmp_path / "m2")]) == 2
    err = capsys.readouterr().err
    assert "none.npz" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "m2").exists()  # no empty --out left behind
    (tmp_path / "kept").mkdir()  # a folder the user made stays
    assert main(["train", "--abc", str(abc), "--heldout", str(tmp_path / "none.npz"), "--layers", "8",
                 "--out", str(tmp_path / "kept")]) == 2
    assert (tmp_path / "kept").is_dir()


def test_self_training_forms_keep_the_reference_share_of_aabb(oneill_tunes):
    """With ``forms``, the form (two repeated 8-bar parts) is one of the proportions kept: against
    reference tunes that are all AABB 8+8, every tune drawn is AABB 8+8; without it, most are not."""
    from folkabc.model import load_model
    from folkabc.train.selfsample import self_training_tunes
    from folkabc.validate import check

    aabb = [s for s in sequences_from_tunes(oneill_tunes)
            if check(VOCAB.decode(s[1:-1]))[0].structure.two_repeated_parts()]
    assert len(aabb) >= 5
    m = load_model("music21")
    with_forms = self_training_tunes(m, n=300, seed=7, like=aabb, forms=True)
    plain = self_training_tunes(m, n=300, seed=7, like=aabb)
    form = lambda s: check(VOCAB.decode(s[1:-1]))[0].structure.two_repeated_parts()  # noqa: E731
    assert with_forms and all(map(form, with_forms))
    assert sum(map(form, plain)) < len(plain) / 2


def test_constrained_self_training_writes_tunes_that_count_and_the_forms_share(oneill_tunes):
    """With ``constrained``, every tune written counts by construction, so every ended tune can be
    drawn (the unconstrained model's own misses are corrected, not dropped); with ``forms`` against
    reference tunes that are all AABB 8+8, the tunes are written under the AABB form. The cost is
    the constraint's: the tunes differ from the unconstrained ones of the same seeds."""
    from folkabc.model import load_model
    from folkabc.train.selfsample import _write, self_training_tunes
    from folkabc.validate import bars_count, check

    m = load_model()
    free = _write(m, n=40, seed=11, max_length=1000, constrained=False, form_share=0.0)
    fixed = _write(m, n=40, seed=11, max_length=1000, constrained=True, form_share=0.0)
    assert all(g.cost is not None for g in fixed)
    assert sum(bars_count(list(g.tokens)) for g in free) < 40
    assert all(bars_count(list(g.tokens)) for g in fixed if g.ended)
    assert [g.tokens for g in free] != [g.tokens for g in fixed]
    aabb = [s for s in sequences_from_tunes(oneill_tunes)
            if check(VOCAB.decode(s[1:-1]))[0].structure.two_repeated_parts()]
    drawn = self_training_tunes(m, n=30, seed=7, like=aabb, forms=True, constrained=True)
    form = lambda s: check(VOCAB.decode(s[1:-1]))[0].structure.two_repeated_parts()  # noqa: E731
    assert len(drawn) >= 15 and all(map(form, drawn))


def test_cli_train_on_a_gpu_torch_cannot_see_is_one_clear_line(torch, tmp_path, capsys):
    """``--device cuda`` where this torch sees no CUDA GPU stops before any work with one line."""
    from folkabc.cli import main

    if torch.cuda.is_available():
        pytest.skip("this torch sees a CUDA GPU")
    path = music21_abc_paths("oneills1850")[0]
    code = main(["train", "--abc", str(path), "--out", str(tmp_path / "m"), "--layers", "8", "--epochs", "1",
                 "--device", "cuda", "--quiet"])
    err = capsys.readouterr().err
    assert code != 0 and "device='cuda'" in err and "sees no CUDA GPU" in err and "Traceback" not in err
    assert not (tmp_path / "m").exists()  # refused before any work: no empty --out left behind


def test_workers_write_the_same_tunes_as_one_process(oneill_tunes):
    """Self-training and selection tunes written by two forked processes are the tunes one process
    writes (each tune has its own seed): ``workers`` changes the time, not the result."""
    from folkabc.model import load_model
    from folkabc.train.selfsample import clean_share, self_training_tunes

    m = load_model("music21")
    like = sequences_from_tunes(oneill_tunes)
    one = self_training_tunes(m, n=24, seed=5, like=like, forms=True, constrained=True)
    two = self_training_tunes(m, n=24, seed=5, like=like, forms=True, constrained=True, workers=2)
    assert len(one) >= 8 and [s.tolist() for s in one] == [s.tolist() for s in two]
    assert clean_share(m, n=16, seed=9, workers=3) == clean_share(m, n=16, seed=9)


def test_writing_self_training_tunes_reports_progress_chunk_by_chunk():
    """The tunes are written in chunks of at most 500 (the same tunes as one batch: each has its own
    seed), progress is told after each, in order, ending at the total, for one process or several;
    a count over the batch limit is no error, since no chunk reaches it."""
    from folkabc.model import Model
    from folkabc.train import selfsample

    m = Model.random(layers=[8], rng=0)
    for workers in (1, 2):
        told = []
        gen = selfsample._write(m, n=1203, seed=4, max_length=6, constrained=False, form_share=0.0,
                                workers=workers, progress=lambda done, n: told.append((done, n)))
        assert len(gen) == 1203 and told[-1] == (1203, 1203)
        assert [d for d, _ in told] == sorted(set(d for d, _ in told)) and len(told) >= 3
    assert [g.tokens for g in gen[:700:7]] == [g.tokens for g in m.generate(n=700, seed=4, max_length=6)][::7]
    told = []
    selfsample._write(m, n=40, seed=4, max_length=30, constrained=True, form_share=0.5, workers=1,
                      progress=lambda done, n: told.append((done, n)))
    assert told == [(20, 40), (40, 40)]  # the AABB part, then the bars part, on one count
    many = selfsample._generate(m, n=10_001, seed=0, max_length=2)  # past max_batch (10,000): chunked
    assert len(many) == 10_001


def test_length_weighted_share_gives_short_tunes_no_credit():
    """Weighted by reference lengths far beyond any tune the model writes, every tune falls in the
    shortest quarter, which weighs a quarter: the plain share rewards writing short tunes, which
    count clean more easily; the weighted share gives them a quarter of the credit."""
    from folkabc.model import load_model
    from folkabc.train.selfsample import clean_share

    m = load_model()
    plain = clean_share(m, n=40, seed=21)
    assert plain > 0.5
    long_ref = list(range(1100, 1500))  # no tune here reaches 1,000 tokens (max_length)
    assert clean_share(m, n=40, seed=21, like_lengths=long_ref) == pytest.approx(plain / 4)
    own = [len(g.tokens) for g in m.generate(n=40, seed=21, temperature=1.0)]
    assert clean_share(m, n=40, seed=21, like_lengths=own) == pytest.approx(plain, abs=0.08)


def test_session_recipe_settings_load_and_name_real_files():
    """The committed session-model recipe (recipes/session/) reads as settings, trains on the dance
    collections and holds out the shipped model's held-out file, which exists."""
    from folkabc.corpus.sources import DANCE_COLLECTIONS
    from folkabc.train import TrainSettings

    root = Path(__file__).resolve().parent.parent
    for name in ("1-dance-settings.json", "2-self-settings.json", "3-self-settings.json",
                 "4-distil-settings.json", "5-distil-settings.json"):
        s = TrainSettings.load(root / "recipes" / "session" / name)
        assert s.sources == DANCE_COLLECTIONS and s.only_clean
        assert (root / s.heldout).is_file()
    assert TrainSettings.load(root / "recipes" / "session" / "2-self-settings.json").self_forms
    distil = TrainSettings.load(root / "recipes" / "session" / "4-distil-settings.json")
    assert distil.self_constrained and distil.self_forms and distil.sources == DANCE_COLLECTIONS
    gpu = sorted((root / "recipes" / "session-gpu").glob("*-settings.json"))
    assert len(gpu) == 4
    for k, path in enumerate(gpu, 1):  # each stage starts from the one before; the self-training seeds differ
        s = TrainSettings.load(path)
        assert s.sources == DANCE_COLLECTIONS and s.only_clean and (root / s.heldout).is_file()
        assert s.init == ("folkabc/data/models/music21" if k == 1 else f"stage{k - 1}")
        assert (s.self_samples > 0 and s.self_constrained) == (k > 1)
    seeds = [TrainSettings.load(p).self_seed for p in gpu[1:]]
    assert len(set(seeds)) == 3 and min(seeds) >= 1_040_000  # after the first recipe's
    cpu = sorted((root / "recipes" / "session-cpu").glob("*-settings.json"))
    assert len(cpu) >= 3
    seen_seeds = set()
    for k, path in enumerate(cpu, 1):  # the same pipeline run on the CPU: the GPU stage's seeds, on the CPU
        s = TrainSettings.load(path)
        if k <= len(gpu):
            g = TrainSettings.load(gpu[k - 1])
            assert (s.init, s.self_seed, s.select_lengths) == (g.init, g.self_seed, g.select_lengths)
        else:  # later rounds: the same kind of round from the stage before, on seeds no stage used
            assert s.init == f"stage{k - 1}" and s.self_constrained and s.self_forms and s.select_lengths
            assert s.self_seed > max(seen_seeds) and s.sources == DANCE_COLLECTIONS and s.only_clean
        seen_seeds.add(s.self_seed)
        assert s.device == "cpu"
        assert (path.parent / path.name.replace("settings.json", "log.jsonl")).is_file()
        assert (path.parent / path.name.replace("settings.json", "evaluation.txt")).is_file()


def test_a_corrupt_or_huge_heldout_file_is_one_clear_line(tmp_path):
    """``--heldout`` naming garbage, or an npz declaring an array far beyond its bytes, is refused
    from the zip directory and array headers, before anything is loaded."""
    from folkabc.errors import ModelFileError
    from folkabc.model.io import read_heldout

    bad = tmp_path / "heldout.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ModelFileError, match="corrupt held-out tunes file"):
        read_heldout(tmp_path)
    np.savez(bad, ids=np.zeros(3, dtype=np.int64), offsets=np.array([0, 5]))
    with pytest.raises(ModelFileError, match="do not partition"):
        read_heldout(bad)
