"""Shipped models by name: ``--model NAME`` picks one, a path that exists wins over a name."""

from __future__ import annotations

import json

import pytest

from folkabc.errors import ModelFileError
from folkabc.model import Model, load_model
from folkabc.shipped import DEFAULT_MODEL, MODEL_HELP, SHIPPED_MODELS, shipped_model_path


def test_every_shipped_model_loads_by_name_and_default_is_one_of_them():
    for name in SHIPPED_MODELS:
        m = load_model(name)
        prov = json.loads((shipped_model_path(name) / "model.json").read_text())["provenance"]
        assert m.provenance == prov
        assert (shipped_model_path(name) / "heldout.npz").is_file()
    assert load_model().provenance == load_model(DEFAULT_MODEL).provenance
    assert all(name in MODEL_HELP for name in SHIPPED_MODELS) and "(default)" in MODEL_HELP


def test_a_directory_named_like_a_shipped_model_wins(tmp_path, monkeypatch):
    name = next(iter(SHIPPED_MODELS))
    Model.random(layers=[4], rng=0).save(tmp_path / name)
    monkeypatch.chdir(tmp_path)
    assert load_model(name).layers == [4]


def test_unknown_name_lists_the_shipped_models(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelFileError, match="shipped models: " + ", ".join(SHIPPED_MODELS)):
        load_model("nosuchmodel")


def test_cli_model_by_name(capsys):
    from folkabc.cli import main

    name = next(iter(SHIPPED_MODELS))
    assert main(["generate", "--model", name, "-n", "1", "--seed", "3", "--max-length", "40"]) == 0
    assert "M:" in capsys.readouterr().out
