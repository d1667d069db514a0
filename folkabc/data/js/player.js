/* folkabc tunebook player: a small WebAudio synth for the note events embedded in the page.
   No network access, no external scripts. Each tune's notes are [onset_s, midi_pitch, duration_s]. */
(function () {
  "use strict";
  var errors = (window.folkabcErrors = window.folkabcErrors || []);
  var data = JSON.parse(document.getElementById("folkabc-tunes").textContent);
  var ctx = null;
  var current = null; // {index, nodes, button, timer}
  var player = (window.folkabcPlayer = { state: "idle", tune: null, scheduled: 0, started: 0, audio: null });

  function freq(pitch) { return 440 * Math.pow(2, (pitch - 69) / 12); }

  function stop() {
    if (!current) return;
    current.nodes.forEach(function (o) { try { o.stop(); } catch (e) { /* already stopped */ } });
    clearTimeout(current.timer);
    current.button.textContent = "\u25B6 Play";
    current.button.classList.remove("playing");
    current = null;
    player.state = "idle";
    player.tune = null;
  }

  function play(index, button) {
    var tune = data[index];
    if (current && current.index === index) { stop(); return; }
    stop();
    if (!ctx) {
      var AC = window.AudioContext || window.webkitAudioContext;
      if (!AC) { player.state = "no-webaudio"; button.textContent = "no audio in this browser"; return; }
      ctx = new AC();
    }
    if (ctx.state === "suspended" && ctx.resume) { ctx.resume(); }
    var t0 = ctx.currentTime + 0.05;
    var master = ctx.createGain();
    master.gain.value = 0.25;
    master.connect(ctx.destination);
    var nodes = [];
    tune.notes.forEach(function (n) {
      var on = t0 + n[0], dur = Math.max(0.03, n[2]);
      var osc = ctx.createOscillator();
      var env = ctx.createGain();
      osc.type = "triangle";
      osc.frequency.value = freq(n[1]);
      env.gain.setValueAtTime(0, on);
      env.gain.linearRampToValueAtTime(0.8, on + 0.01);
      env.gain.setTargetAtTime(0.5, on + 0.01, 0.08);
      env.gain.setTargetAtTime(0, on + dur * 0.92, 0.02);
      osc.connect(env);
      env.connect(master);
      osc.start(on);
      osc.stop(on + dur + 0.1);
      nodes.push(osc);
    });
    // the latest end, not the last onset's: a held note can outlast the notes after it
    var total = tune.notes.reduce(function (end, n) { return Math.max(end, n[0] + n[2]); }, 0);
    current = { index: index, nodes: nodes, button: button,
                timer: setTimeout(stop, (total + 0.3) * 1000) };
    button.textContent = "\u25A0 Stop";
    button.classList.add("playing");
    player.state = "playing";
    player.tune = index;
    player.scheduled = nodes.length;
    player.started += 1;
    player.audio = ctx.state;
  }

  // for pages that add tunes after loading (folkabc serve): push {notes} onto data, then play(index, button)
  player.data = data;
  player.play = play;
  player.stop = stop;

  document.querySelectorAll("button.play").forEach(function (b) {
    b.addEventListener("click", function () { play(Number(b.dataset.tune), b); });
  });

  // Self-test (used by the test suite in headless Chromium): open the page with #autotest.
  if (location.hash === "#autotest") {
    window.addEventListener("load", function () {
      var first = document.querySelector("button.play");
      if (first) first.click();
      setTimeout(function () {
        var status = {
          tunes: document.querySelectorAll("section.tune").length,
          rendered: document.querySelectorAll("section.tune .score > svg").length,
          failed: document.querySelectorAll("section.tune.failed").length,
          buttons: document.querySelectorAll("button.play").length,
          state: player.state, tune: player.tune, scheduled: player.scheduled,
          audio: ctx ? ctx.state : null, currentTime: ctx ? ctx.currentTime : null,
          errors: errors
        };
        var pre = document.getElementById("folkabc-test-status");
        pre.textContent = JSON.stringify(status);
        document.title = "folkabc-test-done";
      }, 1000);
    });
  }
})();
