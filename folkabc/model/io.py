"""Model files: folk-rnn metadata pickles (read safely) and folkabc's own format.

Own format (``docs/design.md``): a directory with ``model.json``::

    {"format": "folkabc-model", "version": 1, "vocabulary": [tokens in id order],
     "layers": [H1, H2, ...], "provenance": {...}}

and ``weights.npz`` holding, per layer l, ``layer{l}.W_x`` (n_in, 4H), ``layer{l}.W_h``
(H, 4H), ``layer{l}.b`` (4H,) with gate order i, f, c, o, ``layer{l}.h0`` and
``layer{l}.c0`` (H,), then ``softmax.W`` (H_last, V) and ``softmax.b`` (V,).

folk-rnn pickles are Python-2 pickles of a dict with ``token2idx`` and 45 (in general
1 + 14·L + 2) ``param_values`` in Lasagne order. Pickles can run code when loaded, so
they are read by :class:`RestrictedUnpickler`, which admits only numpy's array and dtype
reconstruction and plain containers and refuses every other global *before* it is
imported or called.

Examples
--------
>>> import tempfile, os
>>> from folkabc.model import Model
>>> d = tempfile.mkdtemp()
>>> p = Model.random(layers=[4], rng=0).save(os.path.join(d, "m"))
>>> sorted(os.listdir(p))
['model.json', 'weights.npz']
>>> read_model(p).params.sizes
[4]

This module reads and writes arrays and plain records (:class:`ModelParts`); it never
imports :mod:`folkabc.model.core`. :func:`folkabc.model.load_model` wraps what it reads
in a :class:`~folkabc.model.Model`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import struct
import zipfile
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .._io import atomic_write, load_json
from ..errors import ModelFileError, ParameterError
from ..limits import check_limit, limit
from ..shipped import DEFAULT_MODEL, SHIPPED_MODELS, shipped_model_path
from .lstm import LayerParams, Params

__all__ = ["ModelParts", "read_model", "save_model", "read_folkrnn_pickle", "default_model_path",
           "read_heldout", "model_path", "RestrictedUnpickler", "FORMAT", "VERSION"]

class ModelParts(NamedTuple):
    """What a model file holds: the vocabulary in id order, the parameters and provenance.

    ``path`` is the file a complaint about the parts (e.g. a vocabulary without
    ``<s>``) is reported against.

    Examples
    --------
    >>> from folkabc.model.lstm import Params
    >>> parts = ModelParts(["<s>", "</s>"], Params.random(n_vocab=2, layers=[2], rng=0), {}, "m/model.json")
    >>> parts.params.sizes, parts.path
    ([2], 'm/model.json')
    """

    vocab: list[str]
    params: Params
    provenance: dict
    path: str


FORMAT = "folkabc-model"
VERSION = 1
_GATES = ("i", "f", "c", "o")  # own-format order along the 4H axis


def _latin1_encode(obj, encoding="latin1", errors="strict"):
    """``_codecs.encode`` as Python-3 protocol-2 pickles use it for bytes (latin-1 only)."""
    if encoding.lower().replace("_", "-") not in ("latin1", "latin-1", "iso-8859-1"):
        raise ModelFileError(f"pickle asks for codec {encoding!r}; only latin-1 is allowed")
    if not isinstance(obj, str):
        raise ModelFileError("pickle asks to encode a non-string")
    return obj.encode("latin-1", errors)


def _array_bytes(shape: Any, dtype: Any) -> int:
    """Bytes an array of ``shape`` and ``dtype`` would take (without making it); refuses odd shapes."""
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not all(isinstance(d, (int, np.integer)) and d >= 0 for d in shape):
        raise ModelFileError(f"pickle asks for an array of shape {str(shape)[:60]}")
    n = 1
    for d in shape:
        n *= int(d)
    return n * max(np.dtype(dtype).itemsize, 1)


def _safe_ndarray(shape, dtype=float, *args, **kwargs):
    """``numpy.ndarray(shape, dtype, ...)`` as a pickle may call it, sized first."""
    check_limit("max_array_bytes", _array_bytes(shape, dtype), where="array in pickle", error=ModelFileError)
    return np.ndarray(shape, dtype, *args, **kwargs)


def _safe_reconstruct(cls, shape, dtype):
    """numpy's ``_reconstruct`` (an empty array filled later by BUILD), for ndarray only."""
    if cls is not np.ndarray and cls is not _safe_ndarray:  # the pickle names numpy.ndarray, which maps here
        raise ModelFileError("pickle asks to reconstruct a class other than numpy.ndarray")
    check_limit("max_array_bytes", _array_bytes(shape, b"b" if isinstance(dtype, bytes) else dtype),
                where="array in pickle", error=ModelFileError)
    return np.ndarray.__new__(np.ndarray, shape, dtype)


def _safe_bytearray(*args):
    """``bytearray(bytes-or-str[, encoding])`` only: ``bytearray(2**30)`` would allocate 1 GiB from 32 bytes."""
    if args and not isinstance(args[0], (bytes, bytearray, str)):
        raise ModelFileError("pickle asks for bytearray() of a size; only bytearray(bytes) is allowed")
    return bytearray(*args)


def _allowed_globals() -> dict[tuple[str, str], Any]:
    try:
        from numpy._core import multiarray, numeric
    except ImportError:  # numpy < 2
        from numpy.core import multiarray, numeric  # type: ignore[no-redef]
    table: dict[tuple[str, str], Any] = {}
    for mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
        table[(mod, "_reconstruct")] = _safe_reconstruct
        table[(mod, "scalar")] = multiarray.scalar
    for mod in ("numpy.core.numeric", "numpy._core.numeric"):
        table[(mod, "_frombuffer")] = numeric._frombuffer
    table[("numpy", "ndarray")] = _safe_ndarray
    table[("numpy", "dtype")] = np.dtype
    for mod in ("builtins", "__builtin__"):
        for name, obj in (("set", set), ("frozenset", frozenset), ("list", list), ("dict", dict),
                          ("tuple", tuple), ("bytearray", _safe_bytearray)):
            table[(mod, name)] = obj
    import collections

    table[("collections", "OrderedDict")] = collections.OrderedDict
    table[("_codecs", "encode")] = _latin1_encode
    return table


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that admits only numpy arrays, dtypes and plain containers.

    Any other global (``os.system``, ``builtins.eval``, ``subprocess.Popen``, any module
    or class) is refused with :class:`ModelFileError` before it is imported, so loading a
    hostile pickle runs nothing. Admitted: ``numpy.core.multiarray._reconstruct`` and
    ``scalar`` (also under ``numpy._core``), ``numpy.ndarray``, ``numpy.dtype``,
    ``numpy._core.numeric._frombuffer``, the builtin containers and
    ``collections.OrderedDict``, and ``_codecs.encode`` restricted to latin-1.

    Examples
    --------
    >>> import io, pickle
    >>> data = pickle.dumps({"a": np.arange(3)}, protocol=2)
    >>> RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()["a"].tolist()
    [0, 1, 2]
    >>> evil = b"cos\\nsystem\\n(S'echo hi'\\ntR."
    >>> RestrictedUnpickler(io.BytesIO(evil)).load()
    Traceback (most recent call last):
    ...
    folkabc.errors.ModelFileError: refused to load global 'os.system' (a pickle may only hold numpy arrays, dtypes and plain containers)
    """

    _table: dict | None = None

    def find_class(self, module: str, name: str) -> Any:  # noqa: D102
        table = type(self)._table
        if table is None:
            table = type(self)._table = _allowed_globals()
        obj = table.get((module, name))
        if obj is None:
            raise ModelFileError(f"refused to load global '{module}.{name}' (a pickle may only hold numpy "
                                 "arrays, dtypes and plain containers)")
        return obj

    def persistent_load(self, pid: Any) -> Any:  # noqa: D102
        raise ModelFileError("refused a persistent id in a pickle")


_CONTAINER_UPDATES = frozenset({"APPEND", "APPENDS", "SETITEM", "SETITEMS", "BUILD", "ADDITEMS"})


def pickle_depth(data: bytes) -> int:
    """How deeply the objects a pickle builds are nested, read from its opcodes without running it.

    Each object built from others (a container, a REDUCE call, a BUILD) is one level deeper
    than the deepest of its parts; filling a container adds no level. Linear in the pickle's
    length and without recursion, so a pickle nesting 100,000 dtypes is measured, not built.

    Raises
    ------
    ValueError
        When the opcode stream is malformed (the caller reports it as a corrupt pickle).

    Examples
    --------
    >>> import pickle
    >>> pickle_depth(pickle.dumps([1, [2, [3]]], protocol=2))
    3
    >>> pickle_depth(pickle.dumps({"a": np.zeros(3)}, protocol=2)) < 10
    True
    """
    import pickletools

    stack: list[int] = []
    marks: list[int] = []
    memo: dict[Any, int] = {}
    top = 0
    for op, arg, _pos in pickletools.genops(data):
        name = op.name
        if name == "MARK":
            marks.append(len(stack))
            continue
        if name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[arg] = stack[-1] if stack else 0
            continue
        if name == "MEMOIZE":
            memo[len(memo)] = stack[-1] if stack else 0
            continue
        if name in ("GET", "BINGET", "LONG_BINGET"):
            stack.append(memo.get(arg, 0))
            continue
        before = op.stack_before
        popped: list[int] = []
        if pickletools.markobject in before:
            k = marks.pop() if marks else 0
            popped = stack[k:]
            del stack[k:]
            n_more = before.index(pickletools.markobject)  # items under the mark (e.g. the list for APPENDS)
        else:
            n_more = len(before)
        if n_more:
            head = stack[-n_more:] if n_more <= len(stack) else list(stack)
            del stack[len(stack) - len(head):]
            popped = head + popped
        if not op.stack_after:
            continue
        if name in _CONTAINER_UPDATES and popped:
            depth = max([popped[0]] + [1 + d for d in popped[1:]])
        elif name == "DUP":
            depth = popped[0] if popped else 0
        else:
            depth = 1 + max(popped) if popped else 0
        stack.extend([depth] * len(op.stack_after))
        top = max(top, depth)
    return top


def _read_pickle(data: bytes, path: str | None) -> Any:
    try:
        depth = pickle_depth(data)
    except ValueError as exc:  # the opcode stream breaks off or holds a bad opcode
        kind = "truncated" if any(w in str(exc) for w in ("remain", "exhausted", "EOF", "truncated")) else "corrupt"
        raise ModelFileError(f"{kind} pickle: {exc}", path=path) from exc
    check_limit("max_pickle_depth", depth, where="nesting", error=ModelFileError, path=path)
    try:
        return RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()
    except ModelFileError as exc:
        raise ModelFileError(exc.message, path=path) from None
    except RecursionError as exc:
        raise ModelFileError("corrupt pickle: nested too deeply", path=path) from exc
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            struct.error, UnicodeDecodeError, OverflowError, MemoryError) as exc:
        kind = "truncated" if isinstance(exc, EOFError) or "truncated" in str(exc) else "corrupt"
        raise ModelFileError(f"{kind} pickle: {exc or type(exc).__name__}", path=path) from exc


def _float_array(a: Any, what: str, path: str | None) -> np.ndarray:
    if not isinstance(a, np.ndarray) or a.dtype.kind != "f":
        kind = f"dtype {a.dtype}" if isinstance(a, np.ndarray) else type(a).__name__
        raise ModelFileError(f"{what} is {kind}, expected a float array", path=path)
    return a


def read_folkrnn_pickle(path: str | Path, *, dtype="float32") -> ModelParts:
    """Read a folk-rnn metadata pickle (``token2idx`` + Lasagne ``param_values``), safely.

    Parameters
    ----------
    path : str or Path
    dtype : dtype
        Computation dtype of the returned model.

    Returns
    -------
    ModelParts
        Its vocabulary is the pickle's own ``token2idx`` table
        (:func:`folkabc.model.load_folkrnn_pickle` makes the :class:`~folkabc.model.Model`).

    Raises
    ------
    ModelFileError
        Hostile (refused global), truncated or corrupt pickle, or a wrong layout.

    Examples
    --------
    >>> import pickle, tempfile, os
    >>> toks = ["<s>", "</s>", "C"]
    >>> r = np.random.default_rng(0)
    >>> H = 2
    >>> layer = [r.normal(size=s).astype("f4") for s in [(3, H), (H, H), (H,)] * 4 + [(1, H), (1, H)]]
    >>> pv = [np.eye(3, dtype="f4")] + layer + [r.normal(size=(H, 3)).astype("f4"), np.zeros(3, "f4")]
    >>> f = os.path.join(tempfile.mkdtemp(), "m.pkl")
    >>> with open(f, "wb") as fh:
    ...     pickle.dump({"token2idx": {t: i for i, t in enumerate(toks)}, "param_values": pv}, fh, protocol=2)
    >>> read_folkrnn_pickle(f).params.sizes
    [2]
    """
    p = str(path)
    data = _read_file(Path(path))
    obj = _read_pickle(data, p)
    if not isinstance(obj, dict) or "token2idx" not in obj or "param_values" not in obj:
        raise ModelFileError("not a folk-rnn model pickle (expected a dict with 'token2idx' and "
                             "'param_values')", path=p)
    t2i = obj["token2idx"]
    pv = obj["param_values"]
    if not isinstance(t2i, dict) or not isinstance(pv, (list, tuple)):
        raise ModelFileError("'token2idx' must be a dict and 'param_values' a list", path=p)
    V = len(t2i)
    idx = sorted((v, k) for k, v in t2i.items() if isinstance(k, str) and isinstance(v, int))
    if len(idx) != V or [i for i, _ in idx] != list(range(V)):
        raise ModelFileError(f"'token2idx' must map {V} distinct tokens onto 0..{V - 1}", path=p)
    tokens = [t for _, t in idx]
    n = len(pv)
    if n < 17 or (n - 3) % 14:
        raise ModelFileError(f"'param_values' holds {n} arrays; expected 1 + 14 per layer + 2 (e.g. 45)",
                             path=p)
    L = (n - 3) // 14
    arrs = [_float_array(a, f"param_values[{k}]", p) for k, a in enumerate(pv)]
    emb = arrs[0]
    if emb.ndim != 2 or emb.shape[0] != V:
        raise ModelFileError(f"param_values[0] (embedding) has shape {emb.shape}, expected ({V}, D)", path=p)
    layers = []
    n_in = emb.shape[1]
    for li in range(L):
        base = 1 + 14 * li
        a = arrs[base:base + 14]
        # Lasagne order: W_xi W_hi b_i  W_xf W_hf b_f  W_xc W_hc b_c  W_xo W_ho b_o  cell_init hid_init
        H = a[0].shape[1] if a[0].ndim == 2 else -1  # units: columns of W_xi
        for g in range(4):
            wx, wh, b = a[3 * g], a[3 * g + 1], a[3 * g + 2]
            for k, (arr, shape) in enumerate(((wx, (n_in, H)), (wh, (H, H)), (b, (H,)))):
                if arr.shape != shape:
                    raise ModelFileError(f"param_values[{base + 3 * g + k}] (layer {li}, "
                                         f"{['W_x', 'W_h', 'b'][k]}{_GATES[g]}) has shape {arr.shape}, "
                                         f"expected {shape}", path=p)
        for k in (12, 13):
            if a[k].size != H:
                raise ModelFileError(f"param_values[{base + k}] (layer {li}, "
                                     f"{'cell_init' if k == 12 else 'hid_init'}) has shape {a[k].shape}, "
                                     f"expected (1, {H})", path=p)
        W_x = np.concatenate([a[3 * g] for g in range(4)], axis=1).astype(np.float64)
        if li == 0:
            W_x = emb.astype(np.float64) @ W_x  # one-hot → embedding row → input weights
        W_h = np.concatenate([a[3 * g + 1] for g in range(4)], axis=1)
        b = np.concatenate([a[3 * g + 2] for g in range(4)])
        layers.append(LayerParams(W_x, W_h, b, a[13].reshape(H), a[12].reshape(H)))
        n_in = H
    W_out, b_out = arrs[-2], arrs[-1]
    if W_out.shape != (n_in, V) or b_out.shape != (V,):
        raise ModelFileError(f"softmax parameters have shapes {W_out.shape}, {b_out.shape}; expected "
                             f"({n_in}, {V}), ({V},)", path=p)
    params = Params(layers, W_out, b_out)
    arrays = params.to_arrays()
    params = Params.from_arrays(arrays, n_vocab=V, path=p).astype(dtype)
    prov = {"source": "folk-rnn pickle", "path": os.path.abspath(p)}
    for key in ("experiment_id", "num_layers"):
        if key in obj and isinstance(obj[key], (str, int)):
            prov[key] = obj[key]
    return ModelParts(tokens, params, prov, p)


def save_model(model, path: str | Path, *, weights_dtype=None) -> Path:
    """Write ``model`` in the own format into directory ``path`` (created if needed).

    ``weights_dtype`` (e.g. ``"float16"``, half the size of float32) is the dtype the weights
    are stored in; :func:`read_model` reads them into its computation dtype. None: the
    model's own dtype.

    Each file is written under a temporary name and renamed into place (``weights.npz``
    first, then ``model.json``, which records the weights' SHA-256: :func:`read_model`
    refuses a pair whose digests differ, so an interrupted save never loads as a mixed model).

    See Also
    --------
    read_model : the inverse (:func:`folkabc.model.load_model` for a Model).

    Examples
    --------
    >>> import tempfile, os
    >>> from folkabc.model import Model
    >>> p = save_model(Model.random(layers=[3], rng=0), os.path.join(tempfile.mkdtemp(), "m"))
    >>> json.loads((p / "model.json").read_text())["layers"]
    [3]
    """
    if weights_dtype is not None:
        try:
            ok = np.dtype(weights_dtype).kind == "f"
        except TypeError:
            ok = False
        if not ok:
            raise ParameterError(f"weights_dtype={weights_dtype!r} must be a floating dtype (float16, float32, float64)")
    d = Path(path)
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelFileError(f"cannot create model directory: {exc.strerror or exc}", path=str(d)) from exc
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "vocabulary": list(model.vocab.tokens),
        "layers": list(model.layers),
        "provenance": _jsonable(model.provenance),
    }
    buf = io.BytesIO()
    params = model.params if weights_dtype is None else model.params.astype(weights_dtype)
    np.savez(buf, **params.to_arrays())
    data = buf.getvalue()
    # model.json names the weights' digest and is written last: a save interrupted between the two
    # files leaves a pair that read_model refuses, never a silently mixed model
    meta["weights_sha256"] = hashlib.sha256(data).hexdigest()
    atomic_write(d / "weights.npz", data, error=ModelFileError, what="cannot write model")
    text = json.dumps(meta, ensure_ascii=False, indent=1) + "\n"
    atomic_write(d / "model.json", text, error=ModelFileError, what="cannot write model")
    return d


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)


def _read_own(d: Path, *, dtype) -> ModelParts:
    meta_path = d / "model.json"
    try:
        text = _read_file(meta_path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"not valid JSON: {exc}", path=str(meta_path)) from exc
    meta = load_json(text, path=str(meta_path), error=ModelFileError)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"not a folkabc model (expected \"format\": \"{FORMAT}\")", path=str(meta_path))
    if meta.get("version") != VERSION:
        raise ModelFileError(f"model format version {meta.get('version')!r} is not supported (expected {VERSION})",
                             path=str(meta_path))
    vocab = meta.get("vocabulary")
    if not isinstance(vocab, list) or not all(isinstance(t, str) for t in vocab) or len(set(vocab)) != len(vocab):
        raise ModelFileError("\"vocabulary\" must be a list of distinct token strings", path=str(meta_path))
    layers = meta.get("layers")
    if not isinstance(layers, list) or not layers or not all(isinstance(h, int) and h > 0 for h in layers):
        raise ModelFileError("\"layers\" must be a non-empty list of positive integers", path=str(meta_path))
    provenance = meta.get("provenance") or {}
    if not isinstance(provenance, dict):
        raise ModelFileError("\"provenance\" must be a JSON object", path=str(meta_path))
    w_path = d / "weights.npz"
    if not w_path.exists():
        raise ModelFileError("missing weights.npz beside model.json", path=str(w_path))
    data = _read_file(w_path)
    _check_npz_sizes(data, str(w_path))
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError, struct.error) as exc:
        raise ModelFileError(f"truncated or corrupt weight file ({type(exc).__name__}: {exc})",
                             path=str(w_path)) from exc
    params = Params.from_arrays(arrays, n_vocab=len(vocab), path=str(w_path))
    if params.sizes != layers:
        raise ModelFileError(f"weights have layers {params.sizes} but model.json says {layers}", path=str(w_path))
    digest = meta.get("weights_sha256")  # checked last, so a damaged file gets its own message first
    if digest is not None and hashlib.sha256(data).hexdigest() != digest:
        raise ModelFileError("weights.npz is not the file model.json was saved with (its sha256 differs: "
                             "an interrupted save, or files from two models)", path=str(w_path))
    return ModelParts(vocab, params.astype(dtype), provenance, str(meta_path))


def read_heldout(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """The held-out tunes a training run saved: corpus-style ``ids`` and ``offsets``.

    Parameters
    ----------
    path : str or Path
        A ``heldout.npz`` file, or a model directory holding one.

    Returns
    -------
    ids : numpy.ndarray [dtype=int64]
    offsets : numpy.ndarray [dtype=int64]
        Tune k is ``ids[offsets[k]:offsets[k + 1]]``.

    Raises
    ------
    ModelFileError
        Missing, too large, truncated or not a held-out file (sizes are checked
        from the zip directory and array headers before anything is loaded).

    Examples
    --------
    >>> ids, offsets = read_heldout(default_model_path())
    >>> int(offsets[0]), int(offsets[-1]) == ids.size
    (0, True)
    """
    p = Path(path)
    if p.is_dir():
        p = p / "heldout.npz"
    data = _read_file(p)
    _check_npz_sizes(data, str(p), what="held-out tunes file")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            ids, offsets = np.asarray(z["ids"], dtype=np.int64), np.asarray(z["offsets"], dtype=np.int64)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"not a held-out tunes file ({type(exc).__name__}: {exc})", path=str(p)) from exc
    if (ids.ndim != 1 or offsets.ndim != 1 or offsets.size < 1 or offsets[0] != 0 or offsets[-1] != ids.size
            or np.any(np.diff(offsets) < 0)):
        raise ModelFileError("held-out offsets do not partition its ids", path=str(p))
    return ids, offsets


def _read_file(path: Path) -> bytes:
    """A model file's bytes, its size checked against ``max_file_bytes`` before it is read."""
    try:
        with open(path, "rb") as fh:
            check_limit("max_file_bytes", os.fstat(fh.fileno()).st_size, error=ModelFileError, path=str(path))
            return fh.read(limit("max_file_bytes") + 1)
    except OSError as exc:
        raise ModelFileError(f"cannot read: {exc.strerror or exc}", path=str(path)) from exc


def _check_npz_sizes(data: bytes, path: str, what: str = "weight file") -> None:
    """Refuse an npz whose arrays would be too large, from the zip directory and .npy headers alone.

    Each member's ``.npy`` header (shape and dtype) is read without reading the array; the
    arrays' declared sizes, and the members' uncompressed sizes, must stay within
    ``max_array_bytes`` in all (a 1 MB deflated file can declare gigabytes).
    """
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                total += info.file_size
                check_limit("max_array_bytes", total, where=f"{info.filename} (uncompressed)",
                            error=ModelFileError, path=path)
                with zf.open(info) as fh:
                    version = np.lib.format.read_magic(fh)
                    if version == (1, 0):
                        shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
                    else:
                        shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
                nbytes = _array_bytes(shape, dtype)
                if nbytes > info.file_size:
                    raise ModelFileError(f"{info.filename} declares shape {shape} ({nbytes} bytes) but holds "
                                         f"{info.file_size} bytes", path=path)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError, struct.error, TypeError) as exc:
        raise ModelFileError(f"truncated or corrupt {what} ({type(exc).__name__}: {exc})", path=path) from exc


def default_model_path() -> Path:
    """Where the shipped default model lives (``folkabc/data/models/NAME``, see :mod:`folkabc.shipped`).

    Examples
    --------
    >>> default_model_path().parts[-3:-1]
    ('data', 'models')
    """
    return shipped_model_path(DEFAULT_MODEL)


def model_path(path: str | Path | None = None) -> Path:
    """Where a model named on a command line lives: a path that exists, else a shipped model's name
    (:data:`folkabc.shipped.SHIPPED_MODELS`), else the path as given; None is the default model.

    Examples
    --------
    >>> model_path("music21") == shipped_model_path("music21"), model_path(None) == default_model_path()
    (True, True)
    >>> str(model_path("no/such/model"))
    'no/such/model'
    """
    if path is None:
        return default_model_path()
    if isinstance(path, str) and path in SHIPPED_MODELS and not Path(path).exists():
        return shipped_model_path(path)
    return Path(path)


def read_model(path: str | Path | None = None, *, dtype="float32") -> ModelParts:
    """Read a model file: folkabc's own format (a directory) or a folk-rnn pickle.

    Parameters
    ----------
    path : str, Path or None
        A model directory (or its ``model.json`` / ``weights.npz``), a folk-rnn pickle
        file, a shipped model's name (:data:`folkabc.shipped.SHIPPED_MODELS`; a path
        that exists wins over a name), or None for the default shipped model.
    dtype : dtype
        Computation dtype (default float32).

    Returns
    -------
    ModelParts
        Vocabulary, parameters and provenance (:func:`folkabc.model.load_model`
        makes the :class:`~folkabc.model.Model`).

    Raises
    ------
    ModelFileError
        Missing, truncated, corrupt or hostile file; no default model installed.

    See Also
    --------
    save_model : writes the own format.

    Examples
    --------
    >>> import tempfile, os
    >>> from folkabc.model import Model
    >>> p = Model.random(layers=[5], rng=0).save(os.path.join(tempfile.mkdtemp(), "m"))
    >>> read_model(p / "model.json", dtype="float64").params.dtype
    dtype('float64')
    """
    try:
        np.dtype(dtype)
    except TypeError as exc:
        raise ParameterError(f"dtype={dtype!r} is not a numpy dtype") from exc
    if np.dtype(dtype).kind != "f":
        raise ParameterError(f"dtype={dtype!r} must be a floating dtype")
    p = model_path(path)
    if path is None or p != Path(path):  # a shipped model
        if not (p / "model.json").is_file():
            raise ModelFileError(f"the shipped model {path or DEFAULT_MODEL!r} is not installed ({p} has no "
                                 "model.json); pass a model path (--model PATH)")
        return _read_own(p, dtype=dtype)
    if p.is_dir():
        if not (p / "model.json").exists():
            raise ModelFileError("directory holds no model.json", path=str(p))
        return _read_own(p, dtype=dtype)
    if not p.exists():
        raise ModelFileError("no such model file or directory (shipped models: "
                             f"{', '.join(SHIPPED_MODELS)})", path=str(p))
    if p.name in ("model.json", "weights.npz"):
        return _read_own(p.parent, dtype=dtype)
    return read_folkrnn_pickle(p, dtype=dtype)
