"""Model files: folk-rnn pickles (as Python 2 writes them), hostile pickles, the own format."""

from __future__ import annotations

import json
import pickle
import struct
import sys

import numpy as np
import pytest

from folkabc.errors import ModelFileError
from folkabc.model import Model, load_model
from folkabc.model.io import RestrictedUnpickler
from folkabc.vocab import VOCAB
from test_model import read_blocks, reference_logprobs

# -- a protocol-2 pickle writer that writes what Python 2 + numpy 1.x wrote ---------------------
# (str is a Python-2 byte string: BINSTRING; arrays reduce through
#  numpy.core.multiarray._reconstruct with raw data as a byte string; dtypes as numpy.dtype('f4', 0, 1)
#  with the version-3 state tuple.)


class Py2Writer:
    def __init__(self):
        self.out = bytearray(b"\x80\x02")

    def global_(self, module, name):
        self.out += b"c" + module.encode() + b"\n" + name.encode() + b"\n"

    def str_(self, s):
        b = s if isinstance(s, bytes) else s.encode("latin-1")
        if len(b) < 256:
            self.out += b"U" + bytes([len(b)]) + b
        else:
            self.out += b"T" + struct.pack("<i", len(b)) + b

    def int_(self, i):
        if 0 <= i < 256:
            self.out += b"K" + bytes([i])
        else:
            self.out += b"J" + struct.pack("<i", i)

    def tuple_(self, items):
        self.out += b"("
        for x in items:
            self.save(x)
        self.out += b"t"

    def dtype_(self, dt):
        self.global_("numpy", "dtype")
        self.tuple_([dt.str[1:], 0, 1])  # e.g. ('f4', 0, 1)
        self.out += b"R"
        self.tuple_([3, dt.str[0], None, None, None, -1, -1, 0])
        self.out += b"b"

    def array_(self, a):
        a = np.ascontiguousarray(a)
        self.global_("numpy.core.multiarray", "_reconstruct")
        self.global_("numpy", "ndarray")
        self.tuple_([0])
        self.str_(b"b")
        self.out += b"\x87R"  # TUPLE3, REDUCE
        self.out += b"("
        self.int_(1)
        self.tuple_(list(a.shape))
        self.dtype_(a.dtype)
        self.out += b"\x89"  # False: not Fortran order
        self.str_(a.tobytes())
        self.out += b"tb"

    def save(self, x):
        if x is None:
            self.out += b"N"
        elif isinstance(x, bool):
            self.out += b"\x88" if x else b"\x89"
        elif isinstance(x, int):
            self.int_(x)
        elif isinstance(x, (str, bytes)):
            self.str_(x)
        elif isinstance(x, np.ndarray):
            self.array_(x)
        elif isinstance(x, tuple):
            self.tuple_(list(x))
        elif isinstance(x, list):
            self.out += b"]("
            for v in x:
                self.save(v)
            self.out += b"e"
        elif isinstance(x, dict):
            self.out += b"}("
            for k, v in x.items():
                self.save(k)
                self.save(v)
            self.out += b"u"
        else:
            raise TypeError(type(x))

    def dumps(self, obj) -> bytes:
        self.save(obj)
        return bytes(self.out + b".")


def folkrnn_layout(rng=0, layers=(512, 512, 512), tokens=None, scale=0.1):
    """A metadata dict in the published folk-rnn layout with seeded random weights."""
    r = np.random.default_rng(rng)
    if tokens is None:
        tokens = [VOCAB.token(int(i)) for i in r.permutation(len(VOCAB))]
    V = len(tokens)

    def u(*shape):
        return r.uniform(-scale, scale, size=shape).astype(np.float32)

    pv = [np.eye(V, dtype=np.float32)]
    n_in = V
    for H in layers:
        for _gate in "ifco":
            pv += [u(n_in, H), u(H, H), u(H)]
        pv += [u(1, H), u(1, H)]  # cell_init, hid_init
        n_in = H
    pv += [u(n_in, V), u(V)]
    return {"token2idx": {t: i for i, t in enumerate(tokens)}, "param_values": pv,
            "num_layers": len(layers), "experiment_id": "folkrnn_v2_test"}


def lasagne_reference(meta, tokens):
    """Reference log-probabilities straight from the Lasagne arrays."""
    t2i = meta["token2idx"]
    pv = meta["param_values"]
    L = (len(pv) - 3) // 14
    gates, init = [], []
    for li in range(L):
        a = pv[1 + 14 * li: 15 + 14 * li]
        gates.append({g: (a[3 * k], a[3 * k + 1], a[3 * k + 2]) for k, g in enumerate("ifco")})
        init.append((a[13][0], a[12][0]))  # (hid_init, cell_init)
    ids = [t2i[t] for t in tokens] + [t2i["</s>"]]
    return reference_logprobs(gates, pv[-2], pv[-1], init, [t2i["<s>"]] + ids[:-1], ids, len(t2i), embed=pv[0])


@pytest.fixture(scope="module")
def v2_pickle(tmp_path_factory):
    meta = folkrnn_layout(rng=2026)
    path = tmp_path_factory.mktemp("pkl") / "folkrnn_v2.pkl"
    path.write_bytes(Py2Writer().dumps(meta))
    return path, meta


def test_py2_writer_is_a_real_python2_pickle(v2_pickle):
    path, meta = v2_pickle
    data = path.read_bytes()
    assert data[:2] == b"\x80\x02" and b"cnumpy.core.multiarray\n_reconstruct\n" in data
    assert b"_codecs" not in data  # Python 3 would write bytes through _codecs.encode
    plain = pickle.loads(data, encoding="latin1")  # our own trusted file
    assert plain["token2idx"] == meta["token2idx"]
    for a, b in zip(plain["param_values"], meta["param_values"]):
        np.testing.assert_array_equal(a, b)


def test_folkrnn_pickle_loads_and_matches_reference(v2_pickle, folkrnn_examples):
    path, meta = v2_pickle
    m = load_model(path)
    assert m.layers == [512, 512, 512] and len(m.vocab) == 137
    assert m.params.n_params == 5_599_881
    assert list(m.vocab.tokens) == sorted(meta["token2idx"], key=meta["token2idx"].get)
    assert m.provenance["source"] == "folk-rnn pickle" and m.provenance["experiment_id"] == "folkrnn_v2_test"
    tunes = read_blocks(folkrnn_examples)
    tunes = tunes + [["M:6/8", "K:Cmix", "|:", "G", "A", "B", "c", "2", "d", ":|"]]
    for toks in tunes:
        ref = lasagne_reference(meta, toks)
        got = m.score(toks).token_logprobs
        assert got.shape == (len(toks) + 1,)
        np.testing.assert_allclose(got, ref, atol=1e-5, rtol=0)


def test_python3_protocol2_and_default_protocol_pickles_load(tmp_path):
    meta = folkrnn_layout(rng=1, layers=(8, 6))
    toks = ["M:4/4", "K:Cmaj", "C", "D", "E", "|"]
    ref = lasagne_reference(meta, toks)
    for proto in (2, pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL):
        p = tmp_path / f"m{proto}.pkl"
        p.write_bytes(pickle.dumps(meta, protocol=proto))
        np.testing.assert_allclose(load_model(p).score(toks).token_logprobs, ref, atol=1e-5)


# -- hostile pickles -------------------------------------------------------------------------------

class _Evil:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _hostile(kind, marker):
    import os
    import subprocess

    cmd = f"touch {marker}"
    if kind == "os.system proto0":
        return f"cos\nsystem\n(S'{cmd}'\ntR.".encode()
    if kind == "os.system proto2 in param_values":
        meta = {"token2idx": {"<s>": 0}, "param_values": [np.eye(2, dtype="f4"), _Evil(os.system, cmd)]}
        return pickle.dumps(meta, protocol=2)
    if kind == "subprocess proto4":
        return pickle.dumps(_Evil(subprocess.check_call, ["touch", str(marker)]), protocol=4)
    if kind == "builtins.eval":
        return pickle.dumps(_Evil(eval, f"open({str(marker)!r}, 'w').close()"), protocol=2)
    if kind == "builtins.exec proto5":
        return pickle.dumps(_Evil(exec, f"open({str(marker)!r}, 'w').close()"), protocol=5)
    raise AssertionError(kind)


HOSTILE = ["os.system proto0", "os.system proto2 in param_values", "subprocess proto4", "builtins.eval",
           "builtins.exec proto5"]


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_pickle_is_refused_and_nothing_runs(tmp_path, kind):
    marker = tmp_path / "pwned"
    data = _hostile(kind, marker)
    # the payload is real: an ordinary unpickler runs it
    pickle.loads(data, encoding="latin1")
    assert marker.exists()
    marker.unlink()
    path = tmp_path / "evil.pkl"
    path.write_bytes(data)
    with pytest.raises(ModelFileError) as err:
        load_model(path)
    assert "refused to load global" in str(err.value) and str(path) in str(err.value)
    assert not marker.exists()


def test_pickle_naming_a_module_imports_nothing(tmp_path, monkeypatch):
    marker = tmp_path / "imported"
    (tmp_path / "folkabc_sidefx_mod.py").write_text(f"open({str(marker)!r}, 'w').close()\nx = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / "evil.pkl"
    path.write_bytes(b"\x80\x02cfolkabc_sidefx_mod\nx\n.")
    with pytest.raises(ModelFileError, match="folkabc_sidefx_mod.x"):
        load_model(path)
    assert not marker.exists() and "folkabc_sidefx_mod" not in sys.modules
    with pytest.raises(ModelFileError, match="numpy.load"):
        RestrictedUnpickler(__import__("io").BytesIO(b"\x80\x02cnumpy\nload\n.")).load()


# -- own format --------------------------------------------------------------------------------------

def test_own_format_round_trip(tmp_path, v2_pickle):
    m = Model.random(layers=[24, 16], rng=3, scale=0.3)
    d = m.save(tmp_path / "m")
    meta = json.loads((d / "model.json").read_text())
    assert set(meta) == {"format", "version", "vocabulary", "layers", "provenance", "weights_sha256"}
    assert meta["format"] == "folkabc-model" and meta["version"] == 1
    assert meta["vocabulary"] == list(m.vocab.tokens) and meta["layers"] == [24, 16]
    with np.load(d / "weights.npz") as z:
        assert sorted(z.files) == sorted(
            [f"layer{i}.{k}" for i in range(2) for k in ("W_x", "W_h", "b", "h0", "c0")] + ["softmax.W", "softmax.b"])
        assert z["layer0.W_x"].shape == (137, 96) and z["layer1.W_h"].shape == (16, 64)
        assert z["softmax.W"].shape == (16, 137)
    m2 = load_model(d)
    for k, a in m.params.to_arrays().items():
        np.testing.assert_array_equal(m2.params[k], a)
    toks = "M:4/4 K:Cmaj |: G, C C 2 :|".split()
    np.testing.assert_array_equal(m2.score(toks).token_logprobs, m.score(toks).token_logprobs)
    # a converted folk-rnn pickle keeps its numbers and its provenance
    path, _ = v2_pickle
    p = load_model(path)
    p2 = load_model(p.save(tmp_path / "v2"))
    assert p2.provenance["experiment_id"] == "folkrnn_v2_test"
    assert list(p2.vocab.tokens) == list(p.vocab.tokens)
    np.testing.assert_array_equal(p2.score(toks).token_logprobs, p.score(toks).token_logprobs)


def test_weights_stored_as_float16_are_half_the_size_and_read_back_as_float32(tmp_path):
    """``weights_dtype="float16"`` halves weights.npz; the model reads back in float32 with each
    weight within float16's rounding (2^-11 relative) and scores within 1e-3 nats per token."""
    from folkabc.errors import ParameterError

    m = Model.random(layers=[64, 64], rng=5, scale=0.3)
    full, half = m.save(tmp_path / "f32"), m.save(tmp_path / "f16", weights_dtype="float16")
    assert (half / "weights.npz").stat().st_size < 0.52 * (full / "weights.npz").stat().st_size
    with np.load(half / "weights.npz") as z:
        assert {z[k].dtype for k in z.files} == {np.dtype("float16")}
    m16 = load_model(half)
    assert m16.params.dtype == np.float32
    for k, a in m.params.to_arrays().items():
        np.testing.assert_allclose(m16.params[k], a, rtol=2.0 ** -11, atol=2.0 ** -24)
    toks = "M:6/8 K:Cmaj |: G c e g 2 e | d 3 c 3 :|".split()
    diff = np.abs(m16.score(toks).token_logprobs - m.score(toks).token_logprobs)
    assert 0 < diff.max() < 1e-3
    with pytest.raises(ParameterError, match="weights_dtype='int8' must be a floating dtype"):
        m.save(tmp_path / "bad", weights_dtype="int8")
    assert not (tmp_path / "bad").exists()


def test_shipped_model_stored_as_float16_scores_the_published_tunes_alike(tmp_path, folkrnn_examples):
    """On real weights and real tunes: each shipped model saved as float16 scores the two published
    folk-rnn v2 transcriptions within 1e-2 nats on any token (observed 0.0035 music21, 0.0057 session),
    1e-3 on average (observed 0.0003–0.0004) and 0.05 nats per tune of float32 (observed 0.02)."""
    from folkabc.shipped import SHIPPED_MODELS

    for name in SHIPPED_MODELS:
        m = load_model(name)
        h = load_model(m.save(tmp_path / name, weights_dtype="float16"))
        assert (tmp_path / name / "weights.npz").stat().st_size < 0.52 * m.params.n_params * 4
        for tune in read_blocks(folkrnn_examples):
            a, b = m.score(tune), h.score(tune)
            diff = np.abs(a.token_logprobs - b.token_logprobs)
            assert 0 < diff.max() < 1e-2 and diff.mean() < 1e-3, (name, diff.max(), diff.mean())
            assert abs(a.nll - b.nll) < 0.05, name


def test_torch_lstm_export_matches(tmp_path):
    """The own format's gate order (i, f, c, o) is PyTorch's; an exported nn.LSTM scores the same."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    V, H = len(VOCAB), 20
    lstm = torch.nn.LSTM(V, H, num_layers=2, batch_first=True)
    lin = torch.nn.Linear(H, V)
    arrays = {}
    for li in range(2):
        arrays[f"layer{li}.W_x"] = getattr(lstm, f"weight_ih_l{li}").detach().numpy().T
        arrays[f"layer{li}.W_h"] = getattr(lstm, f"weight_hh_l{li}").detach().numpy().T
        arrays[f"layer{li}.b"] = (getattr(lstm, f"bias_ih_l{li}") + getattr(lstm, f"bias_hh_l{li}")).detach().numpy()
        arrays[f"layer{li}.h0"] = np.zeros(H, np.float32)
        arrays[f"layer{li}.c0"] = np.zeros(H, np.float32)
    arrays["softmax.W"] = lin.weight.detach().numpy().T
    arrays["softmax.b"] = lin.bias.detach().numpy()
    d = tmp_path / "torch_model"
    d.mkdir()
    np.savez(d / "weights.npz", **arrays)
    (d / "model.json").write_text(json.dumps({"format": "folkabc-model", "version": 1,
                                              "vocabulary": list(VOCAB.tokens), "layers": [H, H],
                                              "provenance": {"source": "torch test"}}))
    m = load_model(d)
    toks = "M:6/8 K:Cdor |: A B c d e f | g 3 :|".split()
    ids = [VOCAB.id("<s>")] + [VOCAB.id(t) for t in toks]
    with torch.no_grad():
        x = torch.nn.functional.one_hot(torch.tensor([ids]), V).float()
        out, _ = lstm(x)
        ref = torch.log_softmax(lin(out), dim=-1)[0].numpy()
    tgt = ids[1:] + [VOCAB.id("</s>")]
    np.testing.assert_allclose(m.score(toks).token_logprobs, ref[np.arange(len(tgt)), tgt], atol=1e-5)


def test_load_model_accepts_json_and_npz_paths(tmp_path):
    d = Model.random(layers=[4], rng=0).save(tmp_path / "m")
    assert load_model(d / "model.json").layers == [4]
    assert load_model(d / "weights.npz").layers == [4]
    assert load_model(str(d), dtype="float64").params.dtype == np.float64


def test_save_failure_leaves_no_temporary_file(tmp_path, monkeypatch):
    import folkabc.model.io as mio

    import folkabc._io as fio

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fio.os, "replace", boom)  # the disk fills as the weights are put in place
    with pytest.raises(ModelFileError, match="No space left"):
        mio.save_model(Model.random(layers=[3], rng=0), tmp_path / "m")
    assert list((tmp_path / "m").iterdir()) == []


def test_provenance_that_is_not_an_object_is_a_model_file_error(tmp_path):
    d = Model.random(layers=[3], rng=0).save(tmp_path / "m")
    meta = json.loads((d / "model.json").read_text())
    meta["provenance"] = ["not", "an", "object"]
    (d / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match='"provenance" must be a JSON object') as e:
        load_model(d)
    assert e.value.path.endswith("model.json")


def test_a_save_interrupted_between_its_two_files_is_refused_not_mixed(tmp_path):
    """save_model writes weights.npz, then model.json with the weights' SHA-256: a model.json whose
    weights were replaced (a save killed between the two renames) is refused with a clear error."""
    import json as _json

    from folkabc.errors import ModelFileError
    from folkabc.model import Model, load_model

    a, b = Model.random(layers=[4], rng=0), Model.random(layers=[4], rng=1)
    pa, pb = a.save(tmp_path / "a"), b.save(tmp_path / "b")
    meta = _json.loads((pa / "model.json").read_text())
    assert len(meta["weights_sha256"]) == 64
    assert oct((pa / "weights.npz").stat().st_mode & 0o777) == oct((pa / "model.json").stat().st_mode & 0o777)
    (pa / "weights.npz").write_bytes((pb / "weights.npz").read_bytes())  # b's weights, a's model.json
    with pytest.raises(ModelFileError, match="sha256 differs: an interrupted save"):
        load_model(pa)
    # a model.json written before the digest existed still loads
    del meta["weights_sha256"]
    (pb / "model.json").write_text(_json.dumps(meta))
    assert load_model(pb).layers == [4]
