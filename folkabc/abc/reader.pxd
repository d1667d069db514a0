# Types for Cython where it compiles reader.py (see folkabc/tokens.pxd). read_body cannot be typed so:
# Cython has no cpdef function with inner functions.
import cython

@cython.locals(i=cython.Py_ssize_t, start=cython.Py_ssize_t, lineno=cython.Py_ssize_t, lines=list, ln=str,
               raw=str, has_x=cython.bint, in_header=cython.bint, has_cr=cython.bint, tunes=list)
cpdef split_tunes(text)
