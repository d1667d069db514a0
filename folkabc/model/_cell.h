/* The LSTM cell of folkabc.model.lstm.Network.logprobs (scoring), fused into one pass.
 *
 * The same arithmetic as lstm.py's _lstm_cell_scaled (numpy, the reference and the fall-back) with
 * the input projection's add folded in: z = z + p, then, on states scaled by -2,
 *   s(a) = 1/(1 + e^a) on each gate pre-activation as stored (i, f, o: -a; candidate: -2a),
 *   C' = s(f) C + s(i) (2 - 4 s(c)),   h = 4 s(o) (1/2 - 1/(1 + e^C')).
 * numpy's float32 exp is scalar libm on machines without AVX-512 (~2 ns an element, most of the
 * cell); this exp is Cephes' single-precision polynomial (Cody-Waite reduction, degree-5 minimax,
 * within 2 ulp) written so that gcc vectorises the loop (setup.py compiles it with
 * -fno-trapping-math, without which gcc keeps the clamps' comparisons as branches; no other
 * floating-point licence), and compiled twice (x86-64-v3: AVX2 and FMA; baseline x86-64), chosen
 * at load time, where gcc can. Arguments are clamped to [-87, 88]: e^88 is finite, so a saturated
 * gate is 6e-39 where numpy's exp overflows to inf and gives exactly 0.
 */
#include <stdint.h>
#include <string.h>
#include <Python.h>

static inline float folkabc_expf(float x)
{
    x = x > 88.0f ? 88.0f : x;
    x = x < -87.0f ? -87.0f : x;
    /* n = x log2(e) rounded to the nearest integer: adding and taking away 1.5 * 2^23 rounds a float
     * of magnitude < 2^22 (no branch and no floor call, so the loop vectorises) */
    float fn = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    int32_t n = (int32_t)fn;
    x = x - fn * 0.693359375f;          /* Cody-Waite: ln 2 in two parts */
    x = x - fn * -2.12194440e-4f;
    float z = x * x;
    float y = 1.9875691500e-4f;
    y = y * x + 1.3981999507e-3f;
    y = y * x + 8.3334519073e-3f;
    y = y * x + 4.1665795894e-2f;
    y = y * x + 1.6666665459e-1f;
    y = y * x + 5.0000001201e-1f;
    y = y * z + x + 1.0f;
    int32_t bits = (n + 127) << 23;      /* 2^n */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return y * scale;
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define FOLKABC_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define FOLKABC_CLONES
#endif

/* One row: the four gate blocks of z and p, the cell state c and the output h, each H long. A
 * function of its own, not inlined, so that its restrict pointers stay distinct and gcc vectorises. */
FOLKABC_CLONES __attribute__((noinline))
static void folkabc_lstm_row(const float *restrict zi, const float *restrict zf, const float *restrict zo,
                             const float *restrict zc, const float *restrict pi, const float *restrict pf,
                             const float *restrict po, const float *restrict pc, float *restrict c,
                             float *restrict h, Py_ssize_t H)
{
    for (Py_ssize_t j = 0; j < H; j++) {
        float si = 1.0f / (1.0f + folkabc_expf(zi[j] + pi[j]));
        float sf = 1.0f / (1.0f + folkabc_expf(zf[j] + pf[j]));
        float so4 = 4.0f / (1.0f + folkabc_expf(zo[j] + po[j]));
        float g = 2.0f - 4.0f / (1.0f + folkabc_expf(zc[j] + pc[j]));
        float cn = sf * c[j] + si * g;
        c[j] = cn;
        h[j] = so4 * (0.5f - 1.0f / (1.0f + folkabc_expf(cn)));
    }
}

/* n rows; z (n, 4H), p (n, 4H) with row strides zs, ps; c, h (n, H) with row strides cs, hs. z is
 * read only (the numpy reference overwrites it: nothing reads it after). */
static void folkabc_lstm_cell(const float *z, const float *p, float *c, float *h, Py_ssize_t n, Py_ssize_t H,
                              Py_ssize_t zs, Py_ssize_t ps, Py_ssize_t cs, Py_ssize_t hs)
{
    for (Py_ssize_t r = 0; r < n; r++) {
        const float *zr = z + r * zs, *pr = p + r * ps;
        folkabc_lstm_row(zr, zr + H, zr + 2 * H, zr + 3 * H, pr, pr + H, pr + 2 * H, pr + 3 * H,
                         c + r * cs, h + r * hs, H);
    }
}
