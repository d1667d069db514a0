"""The limits table: one place, documented from itself, each limit raisable by its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

import folkabc
from folkabc.errors import FolkabcError, LimitError, ModelFileError
from folkabc.limits import LIMITS, check_limit, limit, limits_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_docs_are_generated_from_the_table():
    assert (ROOT / "docs" / "limits.md").read_text(encoding="utf-8") == limits_markdown(), \
        "docs/limits.md is stale: regenerate it with folkabc.limits.limits_markdown()"


def test_every_row_is_named_documented_and_positive():
    for name, row in LIMITS.items():
        assert name == row.name and name.startswith("max_")
        assert row.default > 0 and row.bounds and row.unit
        assert row.env == "FOLKABC_" + name.upper()
        assert f"`{row.env}`" in limits_markdown()


def test_digits_stay_below_pythons_int_conversion_limit():
    import sys

    assert limit("max_digits") < sys.get_int_max_str_digits()


def test_message_names_limit_value_and_how_to_raise_it():
    with pytest.raises(LimitError) as err:
        check_limit("max_tokens", 2_000_000, where="tune length", tune=3, title="Big")
    text = str(err.value)
    assert text.startswith("tune 3 'Big': tune length: 2000000 tokens is over the limit max_tokens = 50000")
    assert text.endswith("raise it with FOLKABC_MAX_TOKENS=N") and "\n" not in text


def test_environment_raises_a_limit(monkeypatch):
    monkeypatch.setenv("FOLKABC_MAX_BEAM", "1000")
    check_limit("max_beam", 999)
    monkeypatch.setenv("FOLKABC_MAX_BEAM", "0")
    with pytest.raises(LimitError, match="FOLKABC_MAX_BEAM='0' must be a positive integer"):
        limit("max_beam")


def test_error_class_is_chosen_by_the_caller():
    with pytest.raises(ModelFileError):
        check_limit("max_array_bytes", 1 << 40, error=ModelFileError, path="w.npz")


def test_limit_error_is_public_and_a_folkabc_error():
    assert "LimitError" in folkabc.__all__ and folkabc.LimitError is LimitError
    assert issubclass(LimitError, FolkabcError)


def test_generation_limits_come_before_allocation():
    from folkabc.model import Model

    m = Model.random(layers=[4], rng=0)
    with pytest.raises(LimitError, match="max_batch"):
        m.generate(n=10**12, seed=0)  # would need terabytes if it got as far as the buffers
    with pytest.raises(LimitError, match="max_beam"):
        m.generate(beam=10**9)
    with pytest.raises(LimitError, match="max_generated_tokens"):
        m.generate(max_length=10**12, seed=0)


def test_pickle_depth_is_measured_without_loading():
    from folkabc.model.io import pickle_depth

    assert pickle_depth(b"\x80\x02K\x01" + b"\x85" * 100_000 + b".") == 100_000
    with pytest.raises(ValueError):
        pickle_depth(b"\x80\x02K")  # truncated


def test_server_request_limits_are_rows_of_the_one_table(monkeypatch):
    from folkabc.server.limits import LIMITS as SERVER, RequestLimits

    assert SERVER.body_bytes == LIMITS["max_request_bytes"].default
    assert SERVER.tunes_per_request == LIMITS["max_request_tunes"].default
    assert SERVER.tunebook_tunes == LIMITS["max_tunebook_tunes"].default
    monkeypatch.setenv("FOLKABC_MAX_REQUEST_BYTES", "4096")
    monkeypatch.setenv("FOLKABC_MAX_REQUEST_TUNES", "3")
    raised = RequestLimits()
    assert (raised.body_bytes, raised.tunes_per_request) == (4096, 3)
    assert raised.to_dict()["body_bytes"] == 4096
