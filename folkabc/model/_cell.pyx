# cython: language_level=3, boundscheck=False, wraparound=False
"""The scoring LSTM cell in C (``_cell.h``), for :meth:`folkabc.model.lstm.Network.logprobs`.

Optional: setup.py compiles it where it can, and ``lstm.py`` uses numpy's ``_lstm_cell_scaled``
where it is absent (or stale, or under ``FOLKABC_PURE_PYTHON``: :mod:`folkabc._compiled`).
"""

cdef extern from "_cell.h":
    void folkabc_lstm_cell(const float *z, const float *p, float *c, float *h, Py_ssize_t n, Py_ssize_t H,
                           Py_ssize_t zs, Py_ssize_t ps, Py_ssize_t cs, Py_ssize_t hs) nogil


def lstm_cell(const float[:, ::1] z, const float[:, ::1] p, float[:, ::1] c, float[:, ::1] h):
    """The cell on states scaled by −2, of pre-activations ``z + p``: ``c`` becomes −2c′, ``h`` receives −2h′.

    ``z`` and ``p`` are (n, 4H), ``c`` and ``h`` (n, H), float32, rows contiguous.
    """
    cdef Py_ssize_t n = z.shape[0], H = c.shape[1]
    if p.shape[0] != n or c.shape[0] != n or h.shape[0] != n or z.shape[1] != 4 * H or p.shape[1] != 4 * H \
            or h.shape[1] != H:
        raise ValueError("lstm_cell: shapes do not match")
    if n == 0:
        return
    with nogil:
        folkabc_lstm_cell(&z[0, 0], &p[0, 0], &c[0, 0], &h[0, 0], n, H,
                          z.strides[0] // 4, p.strides[0] // 4, c.strides[0] // 4, h.strides[0] // 4)
