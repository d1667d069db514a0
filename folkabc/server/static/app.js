/* folkabc serve: the page's script. Talks to the JSON API of the same server (docs/serve.md);
   no other network access, no external scripts. Playing uses the tunebook's player (player.js). */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var app = (window.folkabcApp = { busy: 0, check: null, render: null, novelty: null, seq: 0 });
  var editor = $("editor");

  function call(method, path, body) {
    app.busy += 1;
    var opts = { method: method, headers: {} };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch(path, opts).then(function (r) {
      var type = r.headers.get("Content-Type") || "";
      var got = type.indexOf("application/json") === 0 ? r.json() : r.blob();
      return got.then(function (data) {
        if (!r.ok) { throw new Error((data && data.error) || ("HTTP " + r.status)); }
        return { data: data, response: r };
      });
    }).finally(function () { app.busy -= 1; });
  }
  function post(path, body) { return call("POST", path, body).then(function (x) { return x.data; }); }
  function get(path) { return call("GET", path).then(function (x) { return x.data; }); }
  function text(el, s, cls) { el.textContent = s; el.className = "status" + (cls ? " " + cls : ""); }
  function li(parent, content, cls) {
    var item = document.createElement("li");
    if (cls) item.className = cls;
    item.append.apply(item, content);
    parent.appendChild(item);
    return item;
  }
  function link(label, onclick) {
    var b = document.createElement("button");
    b.type = "button"; b.className = "link"; b.textContent = label; b.addEventListener("click", onclick);
    return b;
  }

  // ------------------------------------------------------------------ notation, check, novelty
  function measures() { return $("score").querySelectorAll("g.measure"); }
  function mark(cls, indices) {
    var ms = measures();
    Array.prototype.forEach.call(ms, function (m) { m.classList.remove(cls); });
    (indices || []).forEach(function (i) { if (i !== null && i < ms.length) ms[i].classList.add(cls); });
  }
  function showFindings() {
    var c = app.check, list = $("findings");
    list.innerHTML = "";
    if (!c) return;
    text($("check-status"), c.ok ? "Bar check: every bar is complete (" + c.summary + ")"
                                 : "Bar check: " + c.problems + " problem(s) (" + c.summary + ")", c.ok ? "" : "error");
    c.findings.forEach(function (f) {
      li(list, [f.message + (f.line ? " (line " + f.line + ")" : "")], f.error ? "error finding" : "info");
    });
    mark("finding", c.findings.filter(function (f) { return f.error; }).map(function (f) { return f.measure; }));
  }
  function clearNovelty() {
    app.novelty = null; $("novelty").hidden = true; mark("shared", []); mark("matched", []);
  }

  function refresh() {
    var abc = editor.value, seq = ++app.seq;
    clearNovelty();
    if (!abc.trim()) { $("score").innerHTML = ""; app.check = app.render = null; showFindings(); return Promise.resolve(); }
    text($("render-status"), "engraving…");
    var rendering = post("/api/render", { abc: abc }).then(function (r) {
      if (seq !== app.seq) return;
      app.render = r;
      $("score").innerHTML = r.svg;
      text($("render-status"), (r.title || "Untitled") + " · " + r.measures + " bars · " + r.notes.length + " notes");
      $("play-btn").disabled = false;
    }, function (e) {
      if (seq !== app.seq) return;
      app.render = null; $("play-btn").disabled = true;
      text($("render-status"), "Cannot render: " + e.message, "error");
    });
    var checking = post("/api/check", { abc: abc }).then(function (c) {
      if (seq === app.seq) app.check = c;
    }, function (e) {
      if (seq !== app.seq) return;
      app.check = null; $("findings").innerHTML = "";
      text($("check-status"), "Cannot check: " + e.message, "error");
    });
    $("save").disabled = $("novelty-btn").disabled = false;
    return Promise.all([rendering, checking]).then(function () { if (seq === app.seq) showFindings(); });
  }

  var timer = null;
  editor.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });

  function novelty() {
    var box = $("novelty");
    box.hidden = false; box.textContent = "Measuring novelty against the corpus…";
    post("/api/novelty", { abc: editor.value }).then(function (n) {
      app.novelty = n;
      box.innerHTML = "";
      var h = document.createElement("h2"); h.textContent = "Novelty"; box.appendChild(h);
      var p = document.createElement("p");
      p.textContent = Math.round(n.coverage * 100) + "% of the tune lies in figures of ≥" + n.k +
        " tokens found in the corpus.";
      box.appendChild(p);
      if (n.longest) {
        var q = document.createElement("p");
        q.className = "longest";
        q.append("Longest shared figure: " + n.longest.length + " tokens (bars " + n.longest.bars[0] + "–" +
                 n.longest.bars[1] + ", in blue) `" + n.longest.tokens + "` in " + n.longest.tunes + " tune(s): ");
        n.longest.tune_ids.slice(0, 5).forEach(function (id, k) {
          q.append(link(n.longest.titles[k] || ("tune " + id), function () { openCorpus(id); }), " ");
        });
        box.appendChild(q);
      }
      if (n.nearest) {
        var r = document.createElement("p");
        r.append("Nearest corpus tune (score " + n.nearest.score.toFixed(2) +
                 (n.nearest.transpose ? ", transposed " + n.nearest.transpose + " semitones" : "") +
                 ", " + n.nearest.bars_same + " of " + n.nearest.bars + " bars the same): ",
                 link(n.nearest.title || ("tune " + n.nearest.tune_id), function () { openCorpus(n.nearest.tune_id); }));
        box.appendChild(r);
      }
      mark("shared", n.figure_measures);
      mark("matched", n.matched_measures);
    }, function (e) { box.textContent = "Novelty: " + e.message; });
  }
  $("novelty-btn").addEventListener("click", novelty);

  // ------------------------------------------------------------------ generate
  $("generate-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var body = { temperature: Number($("temperature").value || 1), n: 1 };
    if ($("meter").value) body.meter = $("meter").value;
    if ($("mode").value) body.mode = $("mode").value;
    if ($("key").value.trim()) body.key = $("key").value.trim();
    if ($("seed").value !== "") body.seed = Number($("seed").value);
    if ($("prime").value.trim()) body.prime = $("prime").value.trim();
    if ($("constrain").value) body.constrain = $("constrain").value;
    if ($("form").value) body.form = $("form").value;
    $("generate").disabled = true;
    text($("generate-status"), "generating…");
    post("/api/generate", body).then(function (out) {
      var t = out.tunes[0];
      if (!t.abc) throw new Error(t.error || "no tune");
      text($("generate-status"), "seed " + t.seed + (t.ended ? "" : " (stopped at the length limit)") +
           (t.cost ? "; constraint cost " + t.cost.total.toFixed(2) + " nats" : ""));
      editor.value = t.abc;
      $("notes").value = "";
      return refresh();
    }).catch(function (e) { text($("generate-status"), e.message, "error"); })
      .finally(function () { $("generate").disabled = false; });
  });

  // ------------------------------------------------------------------ play
  $("play-btn").addEventListener("click", function () {
    var player = window.folkabcPlayer;
    if (!app.render || !player || !player.play) return;
    if (player.state === "playing") { player.stop(); return; }
    player.data.push({ title: app.render.title, notes: app.render.notes });
    player.play(player.data.length - 1, $("play-btn"));
  });

  // ------------------------------------------------------------------ export
  function download(request, status) {
    return request.then(function (x) {
      var name = /filename="([^"]+)"/.exec(x.response.headers.get("Content-Disposition") || "");
      var a = document.createElement("a");
      a.href = URL.createObjectURL(x.data);
      a.download = name ? name[1] : "tune";
      document.body.appendChild(a); a.click(); a.remove();
      setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
      text(status, "exported " + a.download);
    }).catch(function (e) { text(status, "Export: " + e.message, "error"); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("button.export"), function (b) {
    b.addEventListener("click", function () {
      download(call("POST", "/api/export/" + b.dataset.format, { abc: editor.value }), $("save-status"));
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("button.book-export"), function (b) {
    b.addEventListener("click", function () {
      download(call("GET", "/api/tunebook/export/" + b.dataset.format), $("book-status"));
    });
  });

  // ------------------------------------------------------------------ tunebook
  function loadBook() {
    return get("/api/tunebook").then(function (out) {
      var list = $("tunebook");
      list.innerHTML = "";
      if (!out.tunes.length) li(list, ["(no saved tunes yet)"], "empty");
      out.tunes.forEach(function (t) {
        li(list, [link(t.title, function () { openSaved(t.id); }),
                  t.notes ? " — " + t.notes : "", " ",
                  link("delete", function () {
                    call("DELETE", "/api/tunebook/" + t.id).then(loadBook);
                  })], "saved").dataset.id = t.id;
      });
    });
  }
  function openSaved(id) {
    return get("/api/tunebook/" + id).then(function (t) {
      editor.value = t.abc; $("notes").value = t.notes;
      return refresh();
    });
  }
  $("save").addEventListener("click", function () {
    post("/api/tunebook", { abc: editor.value, notes: $("notes").value }).then(function (t) {
      text($("save-status"), "saved: " + t.title);
      return loadBook();
    }).catch(function (e) { text($("save-status"), "Save: " + e.message, "error"); });
  });

  // ------------------------------------------------------------------ corpus
  function openCorpus(id) {
    return get("/api/corpus/" + id).then(function (t) {
      if (!t.abc) throw new Error("tune " + id + " has no ABC");
      editor.value = t.abc; $("notes").value = "";
      return refresh();
    }).catch(function (e) { text($("search-status"), e.message, "error"); });
  }
  $("search-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var body = {}, list = $("search-results");
    body[$("search-kind").value] = $("search-text").value;
    list.innerHTML = "";
    post("/api/search", body).then(function (r) {
      if (r.kind === "figure") {
        text($("search-status"), r.occurrences + " occurrence(s) in " + r.tunes + " tune(s)" + (r.approx ? " (first shown)" : ""));
        r.matches.forEach(function (m) {
          li(list, [link(m.title || ("tune " + m.tune_id), function () { openCorpus(m.tune_id); }),
                    " bar " + m.bar + " (" + (m.source || "") + ")"]);
        });
      } else {
        text($("search-status"), r.tunes.length + " tune(s)" + (r.approx ? " (first shown)" : ""));
        r.tunes.forEach(function (t) {
          li(list, [link(t.title || ("tune " + t.id), function () { openCorpus(t.id); }),
                    " " + (t.meter || "") + " " + (t.mode || "")]);
        });
      }
    }).catch(function (e) { text($("search-status"), e.message, "error"); });
  });

  // ------------------------------------------------------------------ start
  get("/api/info").then(function (info) {
    info.meters.forEach(function (m) { var o = new Option(m.slice(2), m.slice(2)); $("meter").add(o); });
    info.modes.forEach(function (m) { var o = new Option(m.slice(2), m.slice(2)); $("mode").add(o); });
    $("temperature").min = info.limits.temperature[0];
    $("temperature").max = info.limits.temperature[1];
    $("info").textContent = "model " + info.model.layers.join("×") + " · corpus " + info.corpus.tunes + " tunes";
  }).catch(function (e) { $("info").textContent = e.message; });
  loadBook();
  app.refresh = refresh; app.loadBook = loadBook; app.openCorpus = openCorpus; app.novelty = null;
})();
