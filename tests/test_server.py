"""``folkabc serve``: every endpoint of the JSON API with good and bad input (Starlette's test
client over the real app: the shipped model, a real corpus built from music21's miscFolk, a real
SQLite tunebook), the CLI binding a real socket, and model work kept off the event loop."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time

import httpx
import pytest
from starlette.testclient import TestClient

from folkabc.model import load_model
from folkabc.render import perform, read_midi
from folkabc.server import LIMITS
from folkabc.server.api import written_bars
from folkabc.server.app import create_app
from folkabc.server.store import Tunebook, default_tunebook_path
from folkabc.tokens import detokenize, tokenize
from folkabc.validate import check

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SCALE = "X:1\nT:Scale\nM:4/4\nL:1/8\nK:G\nGABc dedB|cBAG FGAB|G8|]\n"
#: bar 2 is one quarter short (written bar index 1)
SHORT = "X:1\nT:Short bar\nM:4/4\nL:1/8\nK:G\nGABc dedB|cBAG FG|G8|]\n"


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    from folkabc.corpus import build_corpus

    path = tmp_path_factory.mktemp("serve") / "misc"
    build_corpus(["music21:miscFolk"], path, quiet=True)
    return path


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def client(model, corpus_dir, tmp_path_factory):
    app = create_app(model=model, corpus=corpus_dir, tunebook=tmp_path_factory.mktemp("book") / "book.sqlite")
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def generated(client):
    r = client.post("/api/generate", json={"meter": "6/8", "mode": "Cdor", "seed": 3, "temperature": 0.9})
    assert r.status_code == 200, r.text
    return r.json()["tunes"][0]


def _bad(response, status: int, words: str) -> None:
    """A refused request: the status, and one line of JSON naming the problem."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"] and "\n" not in body["error"], body
    assert words in body["error"], body["error"]


# ---------------------------------------------------------------------------- info, page
def test_info_lists_model_corpus_limits(client, model):
    info = client.get("/api/info").json()
    assert info["model"]["layers"] == model.layers
    assert info["corpus"]["tunes"] > 100
    assert "M:6/8" in info["meters"] and "K:Cdor" in info["modes"]
    assert info["limits"] == LIMITS.to_dict()


def test_page_and_its_scripts_come_from_the_package(client):
    page = client.get("/").text
    assert "<textarea id=\"editor\"" in page
    srcs = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert len(srcs) == 4 and all(s.startswith("/static/") for s in srcs)  # nothing remote: works offline
    for s in srcs:
        assert client.get(s).status_code == 200, s
    assert "folkabcPlayer" in client.get("/static/player.js").text
    _bad(client.get("/static/nope.js"), 404, "Not Found")
    _bad(client.get("/api/nope"), 404, "Not Found")


# ---------------------------------------------------------------------------- generate
def test_generate_is_the_model_reproducibly(client, model, generated):
    direct = model.generate(meter="6/8", mode="Cdor", seed=3, temperature=0.9)[0]
    assert generated["tokens"] == " ".join(direct.tokens)
    assert (generated["seed"], generated["meter"], generated["mode"]) == (3, "M:6/8", "K:Cdor")
    assert generated["abc"] == detokenize(direct.tokens, title="folkabc 3", index=1)
    two = client.post("/api/generate", json={"n": 2, "seed": 10, "max_length": 40, "meter": "4/4",
                                              "mode": "Cmaj", "prime": "|: G"}).json()["tunes"]
    assert [t["seed"] for t in two] == [10, 11]
    assert all(t["tokens"].split()[2:4] == ["|:", "G"] and len(t["tokens"].split()) <= 40 for t in two)


def test_generate_with_a_constraint_and_a_form(client, model):
    out = client.post("/api/generate", json={"seed": 4, "form": "AB", "part_bars": 4, "constrain": "bars"}).json()
    t = out["tunes"][0]
    direct = model.generate(seed=4, form="AB", part_bars=4, constrain="bars",
                            max_length=LIMITS.max_tokens)[0]
    assert t["tokens"] == " ".join(direct.tokens) and t["abc"]
    assert t["cost"]["total"] == pytest.approx(direct.cost.total) and t["cost"]["steps"] > 0
    assert check(direct.tokens, strict=True)[0].ok
    assert client.post("/api/generate", json={"seed": 4}).json()["tunes"][0]["cost"] is None
    _bad(client.post("/api/generate", json={"form": "ABAB"}), 400, "ABAB")
    _bad(client.post("/api/generate", json={"constrain": "rhyme"}), 400, "rhyme")


@pytest.mark.parametrize("body, status, words", [
    ({"n": 0}, 400, "n=0 is outside 1..8"),
    ({"n": 9}, 400, "n=9 is outside 1..8"),
    ({"n": True}, 400, "n must be an integer"),
    ({"temperature": 0}, 400, "temperature=0 is outside"),
    ({"temperature": 50}, 400, "temperature=50 is outside"),
    ({"temperature": "hot"}, 400, "temperature must be a finite number"),
    ({"seed": -1}, 400, "seed=-1 is outside"),
    ({"seed": 2**40}, 400, "seed=1099511627776 is outside"),
    ({"seed": 2**32 - 1, "n": 2}, 400, "runs past the largest seed"),
    ({"max_length": 10**6}, 400, "max_length=1000000 is outside"),
    ({"meter": 7}, 400, "meter must be a string"),
    ({"meter": "7/8"}, 422, "7/8"),
    ({"mode": "Cxyz"}, 422, "Cxyz"),
    ({"prime": "C " * 201}, 400, "prime has 201 tokens"),
    ({"prime": "Q R S"}, 422, "Q"),
    ({"top_k": 0}, 400, "top_k=0"),
    ({"top_p": 2}, 400, "top_p=2"),
])
def test_generate_refuses_bad_values(client, body, status, words):
    _bad(client.post("/api/generate", json=body), status, words)


def test_a_null_value_is_the_default(client):
    """`{"n": null}` is `{}` for every number a request takes (it once answered 500: `seed + n` with None)."""
    nulls = {"n": None, "max_length": None, "temperature": None, "top_k": None, "top_p": None, "part_bars": None}
    plain = client.post("/api/generate", json={"seed": 5})
    got = client.post("/api/generate", json={"seed": 5, **nulls})
    assert plain.status_code == got.status_code == 200 and got.json() == plain.json()
    for what in ({"figure": "G, C C 2"}, {"title": "a"}):
        plain, got = (client.post("/api/search", json={**what, **extra}) for extra in ({}, {"limit": None}))
        assert plain.status_code == got.status_code == 200 and got.json() == plain.json()


def test_bodies_are_bounded_and_must_be_json_objects(client):
    _bad(client.post("/api/generate", content=b'{"n": 1, "x": "' + b"a" * LIMITS.body_bytes + b'"}'), 413,
         f"request body over {LIMITS.body_bytes} bytes")
    _bad(client.post("/api/check", content=b"{not json"), 400, "not JSON")
    _bad(client.post("/api/check", content=b"[1, 2]"), 400, "must be a JSON object")
    _bad(client.post("/api/generate", content=b'{"temperature": NaN}'), 400, "finite number")
    _bad(client.get("/api/generate"), 405, "Method Not Allowed")

    # a body streamed in chunks with no Content-Length is counted as it arrives
    def chunks():
        for _ in range(LIMITS.body_bytes // 4096 + 2):
            yield b" " * 4096

    _bad(client.post("/api/check", content=chunks()), 413, "request body over")
    assert client.get("/api/info").status_code == 200  # still serving


# ---------------------------------------------------------------------------- check and render
def test_check_maps_each_finding_to_its_measure(client):
    ok = client.post("/api/check", json={"abc": SCALE}).json()
    assert ok["ok"] and ok["problems"] == 0 and ok["bars"] == 3
    bad = client.post("/api/check", json={"abc": SHORT}).json()
    assert not bad["ok"] and bad["problems"] == 1
    (f,) = bad["findings"]
    assert (f["bar"], f["kind"], f["measure"], f["line"], f["error"]) == (2, "short", 1, 6, True)
    assert f["message"] == "bar 2 (part A) is short: 6 units of 1/8 instead of 8"


def test_check_measures_match_the_notation(client, generated):
    """A long bar put into a generated tune is marked on the measure verovio draws for it."""
    tokens = generated["tokens"].split()
    first, end = written_bars(tokens)[3]
    wrong = detokenize(tokens[:end] + ["c", "4"] + tokens[end:], title="Wrong", index=1)
    out = client.post("/api/check", json={"abc": wrong}).json()
    errors = [f for f in out["findings"] if f["error"]]
    assert [(f["kind"], f["measure"]) for f in errors] == [("long", 3)]
    shown = client.post("/api/render", json={"abc": wrong}).json()
    assert shown["measures"] == len(written_bars(tokenize(wrong)[0].tokens))


@pytest.mark.parametrize("body, status, words", [
    ({}, 400, "abc is missing"),
    ({"abc": 5}, 400, "abc must be a string"),
    ({"abc": "   "}, 400, "abc is empty"),
    ({"abc": "X:1\nK:C\n" + "C" * LIMITS.abc_chars}, 400, f"the most is {LIMITS.abc_chars}"),
    ({"abc": "X:1\nT:Typo\nK:D\nDF#A|\n"}, 422, "unexpected character '#'"),
])
def test_check_and_render_refuse_bad_abc(client, body, status, words):
    _bad(client.post("/api/check", json=body), status, words)
    _bad(client.post("/api/render", json=body), status, words)


def test_render_gives_notation_and_the_notes_played(client):
    out = client.post("/api/render", json={"abc": SCALE}).json()
    assert out["svg"].startswith("<svg") and out["measures"] == 3 and out["title"] == "Scale"
    expected = [[round(a, 4), p, round(d, 4)] for a, p, d in perform(SCALE).to_seconds()]
    assert out["notes"] == expected and out["qpm"] == perform(SCALE).qpm


def test_a_tune_that_fails_to_render_is_reported_not_a_500(client):
    _bad(client.post("/api/render", json={"abc": "X:1\nT:Empty\nK:C\n"}), 422, "no notes")
    assert client.post("/api/render", json={"abc": SCALE}).status_code == 200  # and the next one renders


# ---------------------------------------------------------------------------- corpus
def test_novelty_of_a_corpus_tune_is_all_shared(client):
    tune = client.get("/api/corpus/3").json()
    out = client.post("/api/novelty", json={"abc": tune["abc"]}).json()
    assert out["coverage"] == 1.0
    nearest = out["nearest"]  # whole-tune alignment finds the tune itself, every bar the same
    assert nearest["tune_id"] == 3 and nearest["score"] == 1.0 and nearest["transpose"] == 0
    assert nearest["bars_same"] == nearest["bars"]
    assert 3 in out["longest"]["tune_ids"]
    n_bars = len(written_bars(tokenize(tune["abc"])[0].tokens))
    assert out["matched_measures"] == list(range(n_bars))
    assert out["figure_measures"] and set(out["figure_measures"]) <= set(range(n_bars))


def test_novelty_of_a_made_up_tune_is_low(client):
    abc = "X:1\nT:Odd\nM:4/4\nL:1/8\nK:C\n^c_B^G=e ^d_A^c=B|_e^F^a=C ^D_G^g=A|\n"
    out = client.post("/api/novelty", json={"abc": abc}).json()
    assert out["coverage"] < 0.5 and len(out["figure_measures"]) <= 1
    _bad(client.post("/api/novelty", json={"abc": "X:1\nT:Typo\nK:D\nDF#A|\n"}), 422, "unexpected character '#'")


def test_search_by_figure_and_by_title(client):
    fig = client.post("/api/search", json={"figure": "G, C C 2", "limit": 5}).json()
    assert fig["kind"] == "figure" and fig["tunes"] >= 1 and 1 <= len(fig["matches"]) <= 5
    first = fig["matches"][0]
    opened = client.get(f"/api/corpus/{first['tune_id']}").json()
    assert opened["title"] == first["title"] and "K:" in opened["abc"]
    by_title = client.post("/api/search", json={"title": "grenadier"}).json()
    assert by_title["kind"] == "title" and any("Grenadier" in t["title"] for t in by_title["tunes"])


@pytest.mark.parametrize("body, status, words", [
    ({}, 400, "give either figure or title"),
    ({"figure": "C", "title": "x"}, 400, "give either figure or title"),
    ({"figure": "C " * 65}, 400, "figure has 65 tokens"),
    ({"figure": "C" * 500}, 400, "the most is 400"),
    ({"title": "a", "limit": 0}, 400, "limit=0 is outside"),
    ({"title": "a", "limit": 1000}, 400, "limit=1000 is outside"),
    ({"figure": "C D", "meter": "5/4"}, 400, "meter '5/4' is not in the corpus vocabulary"),
])
def test_search_refuses_bad_queries(client, body, status, words):
    _bad(client.post("/api/search", json=body), status, words)


def test_corpus_tune_ids_are_checked(client):
    _bad(client.get("/api/corpus/0"), 404, "no corpus tune 0")
    _bad(client.get("/api/corpus/99999999"), 404, "no corpus tune 99999999")
    _bad(client.get("/api/corpus/abc"), 404, "Not Found")


# ---------------------------------------------------------------------------- export
def test_export_each_format(client):
    abc = client.post("/api/export/abc", json={"abc": SCALE})
    assert abc.text == tokenize(SCALE)[0].abc and 'filename="scale.abc"' in abc.headers["content-disposition"]
    midi = client.post("/api/export/midi", json={"abc": SCALE})
    assert midi.headers["content-type"] == "audio/midi"
    assert [n.pitch for n in read_midi(midi.content).melody()] == [n.pitch for n in perform(SCALE).notes]
    pdf = client.post("/api/export/pdf", json={"abc": SCALE})
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    page = client.post("/api/export/html", json={"abc": SCALE}).text
    assert "<svg" in page and '<button class="play"' in page
    _bad(client.post("/api/export/png", json={"abc": SCALE}), 400, "format='png'")
    _bad(client.post("/api/export/midi", json={"abc": "X:1\nT:Empty\nK:C\n"}), 422, "no notes")


# ---------------------------------------------------------------------------- tunebook
def test_tunebook_save_list_change_delete_export(client):
    r = client.post("/api/tunebook", json={"abc": SCALE, "notes": "first try"})
    assert r.status_code == 201
    saved = r.json()
    assert (saved["title"], saved["notes"], saved["abc"]) == ("Scale", "first try", SCALE)
    listed = client.get("/api/tunebook").json()["tunes"]
    assert listed[0]["id"] == saved["id"] and "abc" not in listed[0]
    changed = client.put(f"/api/tunebook/{saved['id']}", json={"notes": "better"}).json()
    assert (changed["notes"], changed["abc"]) == ("better", SCALE)
    assert client.get(f"/api/tunebook/{saved['id']}").json()["notes"] == "better"
    other = client.post("/api/tunebook", json={"abc": SHORT, "title": "Mine"}).json()
    book = client.get("/api/tunebook/export/abc").text
    assert "T:Scale" in book and "T:Short bar" in book
    html = client.get("/api/tunebook/export/html").text
    assert html.count('<section class="tune"') == 2 and 'class="novelty"' in html
    assert client.get("/api/tunebook/export/pdf").content.startswith(b"%PDF")
    _bad(client.get("/api/tunebook/export/midi"), 400, "midi holds one tune")
    assert client.delete(f"/api/tunebook/{other['id']}").json() == {"deleted": other["id"]}
    _bad(client.get(f"/api/tunebook/{other['id']}"), 404, f"no saved tune {other['id']}")
    client.delete(f"/api/tunebook/{saved['id']}")
    _bad(client.get("/api/tunebook/export/abc"), 400, "the tunebook is empty")


@pytest.mark.parametrize("method, path, body, status, words", [
    ("post", "/api/tunebook", {}, 400, "abc is missing"),
    ("post", "/api/tunebook", {"abc": SCALE, "notes": "n" * 10_001}, 400, "notes is 10001 characters"),
    ("post", "/api/tunebook", {"abc": SCALE, "title": "t" * 201}, 400, "title is 201 characters"),
    ("post", "/api/tunebook", {"abc": SCALE, "notes": 3}, 400, "notes must be a string"),
    ("put", "/api/tunebook/1", {}, 400, "give title, abc or notes"),
    ("put", "/api/tunebook/424242", {"notes": "x"}, 404, "no saved tune 424242"),
    ("delete", "/api/tunebook/424242", None, 404, "no saved tune 424242"),
    ("get", "/api/tunebook/424242", None, 404, "no saved tune 424242"),
])
def test_tunebook_refuses_bad_requests(client, method, path, body, status, words):
    kw = {"json": body} if body is not None else {}
    _bad(getattr(client, method)(path, **kw), status, words)


def test_tunebook_lives_in_the_folkabc_home(tmp_path, monkeypatch):
    monkeypatch.setenv("FOLKABC_HOME", str(tmp_path / "home"))
    assert default_tunebook_path() == tmp_path / "home" / "tunebook.sqlite"
    book = Tunebook()
    book.add("A", SCALE)
    assert (tmp_path / "home" / "tunebook.sqlite").exists()
    assert [t.title for t in Tunebook().list()] == ["A"]  # another connection sees the committed write


def test_a_failed_write_leaves_the_tunebook_unchanged(tmp_path):
    book = Tunebook(tmp_path / "b.sqlite")
    book.add("A", SCALE)
    with pytest.raises(Exception, match="title is empty"):
        book.add("  ", SCALE)
    assert [t.title for t in book.list()] == ["A"]


# ---------------------------------------------------------------------------- the command
@pytest.fixture(scope="module")
def served(corpus_dir, tmp_path_factory):
    """``folkabc serve --port 0`` in a subprocess; yields its base URL."""
    home = tmp_path_factory.mktemp("home")
    env = dict(os.environ, FOLKABC_HOME=str(home), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "folkabc", "serve", "--port", "0", "--corpus", str(corpus_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    m = re.match(r"folkabc serve: (http://127\.0\.0\.1:\d+/)  \(tunebook (\S+);", line)
    assert m, (line, proc.stderr.read() if proc.poll() is not None else "")
    assert m.group(2) == str(home / "tunebook.sqlite")
    yield m.group(1)
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:  # pragma: no cover - a hung server: stop it, then fail
        proc.kill()
        proc.wait(timeout=30)
        pytest.fail("the server did not stop within 30 s of SIGTERM")


def test_cli_serves_on_loopback_and_keeps_inference_off_the_event_loop(served):
    assert httpx.get(served + "api/info").json()["corpus"]["tunes"] > 100
    finished = []

    def long_generate(seed: int) -> None:
        r = httpx.post(served + "api/generate", json={"n": 8, "seed": seed}, timeout=300)
        finished.append((r.status_code, time.monotonic()))

    t_start = time.monotonic()
    workers = [threading.Thread(target=long_generate, args=(100 * k,)) for k in range(6)]
    for w in workers:
        w.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    quick = httpx.get(served + "api/info", timeout=60)
    answered = time.monotonic()
    for w in workers:
        w.join()
    assert quick.status_code == 200 and [s for s, _ in finished] == [200] * 6
    last = max(t for _, t in finished)
    # the model work queued behind its limiter; the info request did not wait for it
    assert answered < last and answered - t0 < (last - t_start) / 2, "info waited for the model"


def test_cli_refuses_a_bad_port(corpus_dir):
    run = subprocess.run([sys.executable, "-m", "folkabc", "serve", "--port", "70000", "--corpus", str(corpus_dir)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr.strip() == "folkabc serve: error: --port 70000 is outside 0..65535"


@pytest.mark.parametrize("argv, message", [
    (["--host", ""], "argument --host: empty host: give an address (127.0.0.1 is this machine only)"),
    (["--tunebook", ""], "argument --tunebook: empty path"),
])
def test_cli_refuses_an_empty_host_or_tunebook(argv, message):
    """`--host ''` once bound every interface (0.0.0.0), `--tunebook ''` opened '.'; both are refused
    while the line is read, before a model or corpus loads."""
    run = subprocess.run([sys.executable, "-m", "folkabc", "serve", *argv], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.strip() == f"folkabc serve: error: {message} (see folkabc serve --help)"


def test_cli_generates_and_engraves_side_by_side(served):
    """Engraving forks a verovio worker while model threads run: nothing hangs (the command runs
    the model with one BLAS thread, so no BLAS thread pool is stopped under a running call)."""
    results = []

    def hit(k: int) -> None:
        if k % 2:
            r = httpx.post(served + "api/generate", json={"n": 4, "seed": k, "max_length": 200}, timeout=120)
        else:
            r = httpx.post(served + "api/render", json={"abc": SCALE}, timeout=120)
        results.append(r.status_code)

    threads = [threading.Thread(target=hit, args=(k,)) for k in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=150)
    assert results == [200] * 12


def test_generate_in_a_key(client, model):
    """The composer's key control: the ABC comes in the key asked for (issue 19), and a key
    no mode allows is refused with one line."""
    from folkabc.tokens import detokenize

    t = client.post("/api/generate", json={"meter": "6/8", "mode": "Cdor", "seed": 3, "key": "A",
                                            "temperature": 0.9}).json()["tunes"][0]
    assert "\nK:Ador\n" in t["abc"]
    assert t["abc"] == detokenize(t["tokens"], title="folkabc 3", index=1, key="A")
    _bad(client.post("/api/generate", json={"key": "H#x"}), 400, "unreadable key")
    page = client.get("/").text
    assert 'id="key"' in page
