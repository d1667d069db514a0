"""Bad input to folkabc.model and its CLIs: clear FolkabcErrors naming where, exit code 2."""

from __future__ import annotations

import re

import json
import pickle

import numpy as np
import pytest

from folkabc.cli import main
from folkabc.errors import FolkabcError, ModelFileError, ParameterError, TokenSequenceError, UnknownTokenError
from folkabc.model import LogitBias, Mix, Model, alpha_to_delta, delta_to_alpha, load_model
from folkabc.model import io as model_io
from test_model import ending_model


@pytest.fixture(scope="module")
def model():
    return Model.random(layers=[12, 10], rng=1, scale=0.3)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return ending_model(layers=(48, 48), rng=7, end_bias=2.0).save(tmp_path_factory.mktemp("m") / "model")


# -- tokens -------------------------------------------------------------------------------------------

def test_unknown_prime_token_names_token_and_position(model):
    with pytest.raises(UnknownTokenError) as err:
        model.generate(seed=0, prime="|: G, C C2 2", max_length=20)
    assert err.value.token == "C2" and err.value.position == 3
    assert str(err.value) == "token 3: unknown token 'C2' in prime (not in the model's vocabulary)"


@pytest.mark.parametrize("kwargs,token", [({"meter": "5/4"}, "M:5/4"), ({"mode": "Clyd"}, "K:Clyd"),
                                          ({"banned": ["|", "Q"]}, "Q")])
def test_unknown_meter_mode_banned(model, kwargs, token):
    with pytest.raises(UnknownTokenError, match=f"unknown token '{token}'"):
        model.generate(seed=0, max_length=5, **kwargs)


def test_unknown_token_in_score_names_tune_and_position(model):
    with pytest.raises(UnknownTokenError) as err:
        model.score_many(["M:4/4 K:Cmaj C D", "M:4/4 K:Cmaj C ^^D E"])
    assert err.value.tune == 2 and err.value.position == 3 and "'^^D'" in str(err.value)


def test_misplaced_special_tokens(model):
    with pytest.raises(TokenSequenceError, match="'</s>' may only close"):
        model.score(["M:4/4", "</s>", "C"])
    with pytest.raises(TokenSequenceError, match="'<s>' may only open"):
        model.run(["M:4/4", "<s>"])
    with pytest.raises(ParameterError, match="cannot be primed"):
        model.generate(prime="C </s>", seed=0)


# -- parameters ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,match", [
    ({"temperature": 0}, "temperature=0"),
    ({"temperature": float("nan")}, "temperature=nan"),
    ({"top_p": 1.5}, "top_p=1.5"),
    ({"top_k": 0}, "top_k=0"),
    ({"n": 0}, "n=0"),
    ({"seed": -1}, "seed=-1"),
    ({"seed": "x"}, "seed='x'"),
    ({"max_length": 1, "meter": "4/4", "mode": "Cmaj"}, "max_length=1"),
    ({"ablate": {5: [0]}}, "layer 5 out of range"),
    ({"ablate": {0: [12]}}, "unit 12 out of range for layer 0"),
    ({"logit_bias": np.zeros(3)}, r"logit_bias has shape \(3,\)"),
    ({"logit_bias": LogitBias(alpha={"C": -1.0})}, "alpha values must be finite and >= 0"),
    ({"mix": Mix(weight=2.0)}, "mix weight=2.0"),
    ({"mix": Mix(tokens="notes")}, "not a category"),
    ({"beam": 0}, "beam=0"),
    ({"beam": 2, "logit_bias": {"C": 1.0}, "mix": Mix()}, r"mix cannot be combined with beam search \(it draws"),
    ({"beam": 2, "ablate": {0: [12]}}, "unit 12 out of range for layer 0"),
    ({"prime": 12}, "prime: expected tokens"),
    ({"ablate": {0: "abc"}}, "units of layer 0 must be integers"),
    ({"ablate": {0: 3}}, "units of layer 0 must be a sequence"),
    ({"logit_bias": "x"}, "logit_bias must be an array"),
    ({"logit_bias": {"C": "high"}}, "logit_bias: values must be numbers"),
])
def test_bad_generate_parameters(model, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        model.generate(**{"seed": 0, "max_length": 5, **kwargs})


def test_banning_everything_is_refused(model):
    with pytest.raises(ParameterError, match="every token is banned"):
        model.generate(seed=0, banned=list(model.vocab.tokens))


def test_bad_run_inputs(model):
    with pytest.raises(ParameterError, match=r"inputs has shape \(2, 137\), expected \(3, 137\)"):
        model.run(["M:4/4", "K:Cmaj"], inputs=np.zeros((2, 137)))
    with pytest.raises(ParameterError, match="NaN"):
        model.run(["M:4/4"], inputs=np.full((2, 137), np.nan))
    with pytest.raises(ParameterError, match="needs tokens or inputs"):
        model.run()
    with pytest.raises(ParameterError, match=r"inputs has shape \(0, 137\)"):
        model.run(inputs=np.zeros((0, 137)))
    with pytest.raises(ParameterError, match="numeric array"):
        model.run(["M:4/4"], inputs=[["a"] * 137] * 2)


def test_delta_alpha_ranges():
    with pytest.raises(ParameterError, match=r"alpha=5.0 is outside \[0, 1/p\] for p=0.5"):
        alpha_to_delta(5.0, 0.5)
    with pytest.raises(ParameterError, match=r"p=1.0 is outside \[0, 1\)"):
        alpha_to_delta(1.0, 1.0)
    with pytest.raises(ParameterError, match=r"p=-0.1"):
        delta_to_alpha(1.0, -0.1)


# -- files --------------------------------------------------------------------------------------------

def test_truncated_weight_file(tmp_path, model):
    d = model.save(tmp_path / "m")
    w = d / "weights.npz"
    w.write_bytes(w.read_bytes()[: w.stat().st_size // 2])
    with pytest.raises(ModelFileError) as err:
        load_model(d)
    assert "truncated or corrupt weight file" in str(err.value) and str(w) in str(err.value)


def test_truncated_and_garbage_pickles(tmp_path):
    from test_model_io import folkrnn_layout

    data = pickle.dumps(folkrnn_layout(rng=0, layers=(4,)), protocol=2)
    p = tmp_path / "t.pkl"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="truncated pickle") as err:
        load_model(p)
    assert str(p) in str(err.value)
    p.write_bytes(b"this is not a pickle at all")
    with pytest.raises(ModelFileError, match="corrupt pickle"):
        load_model(p)


@pytest.mark.parametrize("edit,match", [
    (lambda m: m.pop("token2idx"), "not a folk-rnn model pickle"),
    (lambda m: m["param_values"].pop(), "holds 16 arrays"),
    (lambda m: m["param_values"].__setitem__(2, np.zeros((3, 3), "f4")), r"param_values\[2\] \(layer 0, W_hi\)"),
    (lambda m: m["param_values"].__setitem__(5, np.zeros(4, "i8")), r"param_values\[5\] is dtype int64"),
    (lambda m: m["token2idx"].__setitem__("C", 0), "distinct tokens"),
])
def test_wrong_pickle_layout(tmp_path, edit, match):
    from test_model_io import folkrnn_layout

    meta = folkrnn_layout(rng=0, layers=(4,))
    edit(meta)
    p = tmp_path / "bad.pkl"
    p.write_bytes(pickle.dumps(meta, protocol=2))
    with pytest.raises(ModelFileError, match=match):
        load_model(p)


@pytest.mark.parametrize("edit,match", [
    (lambda a: a.pop("softmax.b"), "missing array 'softmax.b'"),
    (lambda a: a.__setitem__("layer1.W_x", np.zeros((3, 40), "f4")), r"'layer1.W_x' has shape \(3, 40\)"),
    (lambda a: a["layer0.W_h"].__setitem__((0, 0), np.nan), "NaN or infinite"),
    (lambda a: a.__setitem__("layer0.h0", np.zeros(12, "i4")), "dtype int32"),
])
def test_wrong_weight_arrays(tmp_path, model, edit, match):
    d = model.save(tmp_path / "m")
    arrays = {k: v.copy() for k, v in model.params.to_arrays().items()}
    edit(arrays)
    np.savez(d / "weights.npz", **arrays)
    with pytest.raises(ModelFileError, match=match):
        load_model(d)


def test_wrong_model_json(tmp_path, model):
    d = model.save(tmp_path / "m")
    meta = json.loads((d / "model.json").read_text())
    for key, value, match in [("format", "other", "not a folkabc model"), ("version", 9, "version 9"),
                              ("layers", [12, 11], r"layers \[12, 10\] but model.json says \[12, 11\]"),
                              ("vocabulary", ["C"] * 137, "distinct token strings")]:
        bad = dict(meta, **{key: value})
        (d / "model.json").write_text(json.dumps(bad))
        with pytest.raises(ModelFileError, match=match):
            load_model(d)
    (d / "model.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_model(d)


def test_missing_paths_and_default(tmp_path, monkeypatch):
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path / "nope")
    with pytest.raises(ModelFileError, match="holds no model.json"):
        load_model(tmp_path)
    monkeypatch.setattr(model_io, "shipped_model_path", lambda name: tmp_path / "empty")
    with pytest.raises(ModelFileError, match="shipped model '.*' is not installed"):
        load_model(None)
    with pytest.raises(ParameterError, match="floating dtype"):
        load_model(tmp_path, dtype="int32")


# -- CLI ----------------------------------------------------------------------------------------------

def test_cli_generate_tokens_seeded(model_dir, capsys):
    args = ["generate", "-n", "3", "--meter", "6/8", "--mode", "Cdor", "--seed", "42", "--model", str(model_dir),
            "--max-length", "50"]
    assert main(args) == 0
    out = capsys.readouterr().out
    blocks = out.strip().split("\n\n")
    assert len(blocks) == 3
    m = load_model(model_dir)
    gens = m.generate(n=3, meter="6/8", mode="Cdor", seed=42, max_length=50)
    for blk, g in zip(blocks, gens):
        lines = blk.split("\n")
        assert lines[:2] == ["M:6/8", "K:Cdor"]
        assert blk.split() == g.tokens
    assert main(args) == 0 and capsys.readouterr().out == out


def test_cli_generate_json_with_hooks(model_dir, capsys):
    rc = main(["generate", "-n", "2", "--seed", "3", "--model", str(model_dir), "--json", "--ban", "|",
               "--ablate", "1:0-9,20", "--alpha", "K:Cmaj=2", "--bias", "C=-1", "--max-length", "30"])
    assert rc == 0
    recs = json.loads(capsys.readouterr().out)
    assert [r["seed"] for r in recs] == [3, 4]
    m = load_model(model_dir)
    gens = m.generate(n=2, seed=3, banned=["|"], ablate={1: list(range(10)) + [20]}, max_length=30,
                      logit_bias=LogitBias(delta={"C": -1.0}, alpha={"K:Cmaj": 2.0}))
    assert [r["tokens"] for r in recs] == [" ".join(g.tokens) for g in gens]
    assert all("|" not in r["tokens"].split() for r in recs)


def test_cli_generate_check_and_abc(model_dir, capsys):
    from folkabc.tokens import detokenize
    from folkabc.validate import check

    rc = main(["generate", "-n", "4", "--meter", "4/4", "--mode", "Cmaj", "--seed", "1", "--model", str(model_dir),
               "--check", "--abc", "--max-length", "30"])
    cap = capsys.readouterr()
    gens = load_model(model_dir).generate(n=4, meter="4/4", mode="Cmaj", seed=1, max_length=30)
    passed, abcs, failed = 0, [], False
    for k, g in enumerate(gens):
        try:
            ok = check(g.tokens)[0].ok
        except FolkabcError:  # e.g. a duration with no note: the CLI reports "fails check"
            ok = False
        passed += ok
        failed |= not ok
        try:
            abcs.append(detokenize(g.tokens, title=f"folkabc (seed {g.seed})", index=k + 1))
        except FolkabcError:
            failed = True
    assert f"{passed} of 4 tunes pass check" in cap.err
    assert len(re.findall(r"^tune \d+ \(seed \d+\): ", cap.err, re.M)) == 4  # one check line per tune
    assert rc == (1 if failed else 0)
    assert cap.out == "\n".join(abcs)
    assert abcs and "T:folkabc" in cap.out and "L:1/8" in cap.out


def test_cli_beam(model_dir, capsys):
    assert main(["generate", "-n", "2", "--beam", "4", "--model", str(model_dir), "--json", "--max-length", "8"]) == 0
    recs = json.loads(capsys.readouterr().out)
    assert recs[0]["logprob"] >= recs[1]["logprob"] and recs[0]["seed"] is None


def test_cli_score(model_dir, shared_data, capsys):
    path = shared_data / "folkrnn-v2-examples.txt"
    assert main(["score", str(path), "--model", str(model_dir), "--top", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("tune 1: 147 tokens, nll ")
    assert len([ln for ln in out if ln.startswith("  token ")]) == 6
    assert out[-1].startswith("2 of 2 tunes scored: 264 tokens")
    assert main(["score", str(path), "--model", str(model_dir), "--json"]) == 0
    recs = json.loads(capsys.readouterr().out)
    m = load_model(model_dir)
    text = path.read_text()
    first = text.strip().split("\n\n")[0].split()
    assert recs[0]["nll"] == pytest.approx(m.score(first).nll, rel=1e-6)
    assert len(recs[0]["token_logprobs"]) == 147 and len(recs[0]["surprising"]) == 5


def test_cli_score_abc_with_positions(model_dir, tmp_path, capsys):
    f = tmp_path / "t.abc"
    f.write_text("X:1\nT:Little Reel\nM:4/4\nL:1/8\nK:D\n|:DEF GAB|c2 d2 e4:|\n\n"
                 "X:2\nT:Odd\nM:4/4\nL:1/8\nK:D\n|:D E^^F G|\n")
    rc = main(["score", str(f), "--model", str(model_dir), "--top", "2"])
    out = capsys.readouterr().out
    assert "tune 1 'Little Reel':" in out and ", line 6, column " in out
    if "tune 2 'Odd': not scored" in out:
        assert rc == 1 and "unknown token" in out
    else:
        assert rc == 0


@pytest.mark.parametrize("argv,match", [
    (["generate", "--prime", "|: G, Q"], "token 2: unknown token 'Q' in prime"),
    (["generate", "--temperature", "-1"], "temperature=-1.0"),
    (["generate", "--ablate", "x:1"], "--ablate 'x:1'"),
    (["generate", "--alpha", "C"], "--alpha 'C': expected TOKEN=NUMBER"),
    (["score", "missing-file.txt"], "missing-file.txt: cannot read"),
])
def test_cli_errors_exit_2(model_dir, capsys, argv, match):
    rc = main(argv + ["--model", str(model_dir)])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith(f"folkabc {argv[0]}: error: ") and match in err
    assert len(err.strip().splitlines()) == 1


def test_cli_bad_model_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "x.pkl"
    bad.write_bytes(b"\x80\x02cos\nsystem\n(S'true'\ntR.")
    assert main(["generate", "--model", str(bad), "--seed", "1"]) == 2
    assert "refused to load global 'os.system'" in capsys.readouterr().err
    assert issubclass(ModelFileError, FolkabcError)


def test_bad_forced_tokens(model):
    with pytest.raises(UnknownTokenError, match="token 7: unknown token 'H' in force"):
        model.generate(seed=0, force={7: "H"})
    with pytest.raises(ParameterError, match="position 1 is already given"):
        model.generate(seed=0, meter="4/4", mode="Cmaj", force={1: "C"})
    with pytest.raises(ParameterError, match="position -2"):
        model.generate(seed=0, force={-2: "C"})


def test_cli_generate_record(model_dir, tmp_path, capsys):
    out = tmp_path / "trace.npz"
    assert main(["generate", "-n", "2", "--seed", "5", "--model", str(model_dir), "--max-length", "20",
                 "--record", str(out)]) == 0
    capsys.readouterr()
    m = load_model(model_dir)
    gens = m.generate(n=2, seed=5, max_length=20)
    with np.load(out) as z:
        for k, g in enumerate(gens):
            assert z[f"tune{k + 1}.tokens"].tolist() == ["<s>"] + g.tokens
            T = len(g.tokens) + 1
            assert z[f"tune{k + 1}.posterior"].shape == (T, 137)
            assert z[f"tune{k + 1}.gates1.forget"].shape == (T, 48)
            np.testing.assert_allclose(z[f"tune{k + 1}.hidden0"], m.run(g.tokens).hidden[0], atol=1e-5)
    assert main(["generate", "--seed", "5", "--model", str(model_dir), "--record", str(tmp_path / "no" / "x.npz")]) == 2
    assert "cannot write" in capsys.readouterr().err
