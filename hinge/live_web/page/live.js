// The page of `hinge live --web`: draws the messages of hinge/live_web/messages.py.
// Plain browser JavaScript, no library, nothing loaded from anywhere but this server.
"use strict";

const TRACE_WINDOW_S = 20;
const RETRY_FIRST_MS = 500, RETRY_MAX_MS = 5000;
const token = new URLSearchParams(location.search).get("token");
const socketUrl = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws" +
  (token ? "?token=" + encodeURIComponent(token) : "");
const $ = (id) => document.getElementById(id);
const palette = getComputedStyle(document.documentElement);
const colour = (label) => palette.getPropertyValue("--" + label).trim() || "#777777";
const SHORT = { "hip-led": "hip", "spine-led": "spine", "uncertain": "?" };

let trace = [];        // [t_s, pitch_deg], oldest first
let finals = [];       // final verdicts of the recent list, for shading the trace
let summary = null;
let ended = false;
let audio = null;
let retryMs = RETRY_FIRST_MS;
let socket = null;
let retryTimer = null;
let drawPending = false;
// When each verdict reached the page (ms since the epoch, as the test's clock): tests read these.
window.hingeShown = [];
window.hingeBeeps = 0;

const nowMs = () => performance.timeOrigin + performance.now();

function setLink(state, text) {
  const link = $("link");
  link.dataset.state = state;
  link.textContent = text || state;
}

// `v` is the verdict to show large; `live` the verdict message that brought it (null: a state).
function showVerdict(v, live) {
  const card = $("verdict");
  if (!v) {
    card.dataset.label = "none";
    card.dataset.stage = "";
    $("verdict-stage").textContent = "waiting for the first bend";
    $("verdict-label").textContent = "\u2013";
    $("verdict-score").textContent = "\u2013";
    $("verdict-reason").textContent = "";
    $("verdict-cue").textContent = "";
    return;
  }
  const b = v.bend;
  card.dataset.label = b.label;
  card.dataset.stage = v.stage;
  card.dataset.bendId = b.bend_id;
  // As the terminal: only final verdicts are numbered (a provisional one may be withdrawn).
  let stage = v.stage === "provisional" ? "just now \u00b7 provisional" : "bend " + b.bend_id;
  if (v.updated && v.previous) {
    stage += " \u00b7 updated (was " + v.previous.label + ", " + v.previous.score_text + ")";
  }
  $("verdict-stage").textContent = stage;
  $("verdict-label").textContent = b.label;
  $("verdict-score").textContent = b.score_text;
  $("verdict-reason").textContent = b.reason;
  $("verdict-cue").textContent = b.cue ? "next: " + b.cue : "";
  if (live) {
    const at = nowMs();
    card.dataset.shownMs = at.toFixed(1);
    window.hingeShown.push({ bend_id: b.bend_id, stage: v.stage, label: b.label, score_text: b.score_text,
                             end_s: b.end_s, beep: live.beep, at_ms: at });
  }
}

function showRecent(list) {
  const ol = $("recent");
  ol.replaceChildren();
  finals = [];
  for (const v of list.slice().reverse()) {
    const b = v.bend;
    if (v.stage === "final") finals.push(b);
    const li = document.createElement("li");
    const id = document.createElement("span");
    id.className = "id";
    id.textContent = v.stage === "provisional" ? "\u2013" : b.bend_id;
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.dataset.label = b.label;
    badge.textContent = b.label + (v.stage === "provisional" ? " (provisional)" : v.updated ? " (updated)" : "");
    const score = document.createElement("b");
    score.textContent = b.score_text + "/100";
    const why = document.createElement("span");
    why.className = "why";
    why.textContent = b.reason;
    li.append(id, badge, score, why);
    ol.append(li);
  }
}

function showSummary(s) {
  summary = s;
  $("count").textContent = s ? s.count : 0;
  $("mean").textContent = s ? s.mean_text : "\u2013";
  $("trend").textContent = s && s.trend_text !== null ? s.trend_text : "\u2013";
  $("summary-line").textContent = s ? s.line : "bends: 0";
  scheduleDraw();
}

function showCalibration(c) {
  const box = $("calibration");
  box.hidden = !c || c.phase === "done";
  if (!c) return;
  $("calibration-progress").value = c.phase === "still" ? c.fraction : c.phase === "hinge" ? 1 : 0;
  $("calibration-message").textContent = (c.phase === "failed" ? "calibration failed: " : "") + c.message;
}

function showNotes(notes) {
  const ul = $("notes");
  ul.replaceChildren(...notes.map((text) => {
    const li = document.createElement("li");
    li.textContent = text;
    return li;
  }));
}

function addNote(text) {
  const shown = [...$("notes").children].map((li) => li.textContent);
  showNotes(shown.concat([text]).slice(-3));
}

// -- drawing -------------------------------------------------------------------------------
function canvasContext(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.font = "11px system-ui, sans-serif";
  return [ctx, width, height];
}

function drawTrace() {
  const [ctx, width, height] = canvasContext($("trace"));
  const left = 30, top = 14, bottom = height - 4;
  const newest = trace.length ? trace[trace.length - 1][0] : 0;
  let low = -10, high = 60;
  for (const [, p] of trace) { low = Math.min(low, p - 5); high = Math.max(high, p + 5); }
  if (!trace.length) {
    ctx.fillStyle = "#5f6368";
    ctx.fillText("drawn once the calibration is done", left, height / 2);
    return;
  }
  const x = (t) => left + (width - left) * (1 - (newest - t) / TRACE_WINDOW_S);
  const y = (p) => bottom - (bottom - top) * (p - low) / (high - low);
  // Bends in their class colour, with the class word (never colour alone).
  for (const b of finals) {
    if (b.end_s === null || b.start_s === null || b.end_s < newest - TRACE_WINDOW_S) continue;
    const x0 = Math.max(x(b.start_s), left), x1 = x(b.end_s);
    ctx.globalAlpha = 0.25;
    ctx.fillStyle = colour(b.label);
    ctx.fillRect(x0, top, Math.max(x1 - x0, 1), bottom - top);
    ctx.globalAlpha = 1;
    ctx.fillStyle = "#333333";
    ctx.fillText(SHORT[b.label] || b.label, x0 + 2, top - 3);
  }
  ctx.strokeStyle = "#dddddd";
  ctx.fillStyle = "#5f6368";
  for (let p = Math.ceil(low / 30) * 30; p <= high; p += 30) {
    ctx.beginPath(); ctx.moveTo(left, y(p)); ctx.lineTo(width, y(p)); ctx.stroke();
    ctx.fillText(String(p), 2, y(p) + 4);
  }
  ctx.strokeStyle = "#222222";
  ctx.lineWidth = 2;
  ctx.beginPath();
  let pen = false;
  for (let i = 0; i < trace.length; i++) {
    const [t, p] = trace[i];
    if (t < newest - TRACE_WINDOW_S) continue;
    const gap = i > 0 && t - trace[i - 1][0] > 0.5;  // a lost stretch: no line across it
    if (!pen || gap) ctx.moveTo(x(t), y(p)); else ctx.lineTo(x(t), y(p));
    pen = true;
  }
  ctx.stroke();
  ctx.lineWidth = 1;
}

function drawScores() {
  const [ctx, width, height] = canvasContext($("scores"));
  const scores = summary ? summary.scores : [];
  if (!scores.length) return;
  const n = scores.length, left = 4, right = width - 4;
  const x = (i) => n === 1 ? (left + right) / 2 : left + (right - left) * i / (n - 1);
  const y = (s) => height - 6 - (height - 12) * s / 100;
  ctx.strokeStyle = "#9a9a9a";
  ctx.beginPath();
  scores.forEach((s, i) => (i ? ctx.lineTo(x(i), y(s)) : ctx.moveTo(x(i), y(s))));
  ctx.stroke();
  scores.forEach((s, i) => {
    ctx.fillStyle = colour(summary.labels[i]);
    ctx.beginPath(); ctx.arc(x(i), y(s), 4, 0, 2 * Math.PI); ctx.fill();
  });
}

function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => { drawPending = false; drawTrace(); drawScores(); });
}

// -- sound ---------------------------------------------------------------------------------
// Phones start audio only from a tap: the button creates (or resumes) the audio context.
function beep(startS, frequencyHz) {
  const osc = audio.createOscillator(), gain = audio.createGain();
  osc.frequency.value = frequencyHz;
  gain.gain.setValueAtTime(0.0001, startS);
  gain.gain.exponentialRampToValueAtTime(0.5, startS + 0.01);
  gain.gain.exponentialRampToValueAtTime(0.0001, startS + 0.15);
  osc.connect(gain).connect(audio.destination);
  osc.start(startS);
  osc.stop(startS + 0.17);
}

function beepTwice() {
  if (!audio || audio.state !== "running") return;
  beep(audio.currentTime, 880);
  beep(audio.currentTime + 0.2, 880);
  if (navigator.vibrate) navigator.vibrate([120, 80, 120]);
  window.hingeBeeps += 1;
  document.body.dataset.beeps = window.hingeBeeps;
}

$("sound").addEventListener("click", async () => {
  audio = audio || new (window.AudioContext || window.webkitAudioContext)();
  await audio.resume();
  beep(audio.currentTime, 660);
  const button = $("sound");
  button.dataset.on = "1";
  button.textContent = "Sound on: two beeps for every spine-led bend";
  window.hingeSoundOnMs = nowMs();
});

// -- messages ------------------------------------------------------------------------------
function handle(m) {
  switch (m.type) {
    case "state":
      ended = m.ended;
      showCalibration(m.calibration);
      showVerdict(m.last, false);
      showRecent(m.recent);
      showSummary(m.summary);
      trace = m.trace.t_s.map((t, i) => [t, m.trace.pitch_deg[i]]);
      showNotes(m.notes);
      $("status").textContent = m.status || "";
      if (ended) setLink("ended", "session ended");
      break;
    case "calibration":
      showCalibration(m);
      break;
    case "verdict":
      showVerdict(m.last, m.stage === "withdrawn" ? null : m);
      showRecent(m.recent);
      if (m.beep) beepTwice();
      break;
    case "summary":
      showSummary(m);
      break;
    case "trace":
      for (let i = 0; i < m.t_s.length; i++) trace.push([m.t_s[i], m.pitch_deg[i]]);
      while (trace.length && trace[0][0] < m.t_s[m.t_s.length - 1] - TRACE_WINDOW_S) trace.shift();
      break;
    case "note":
      addNote(m.text);
      break;
    case "status":
      $("status").textContent = m.text;
      break;
    case "ended":
      ended = true;
      setLink("ended", "session ended");
      break;
  }
  scheduleDraw();
}

// -- connection: at once on load, again after every loss (a reload, a restarted hinge) ------
function connect() {
  if (!ended) setLink("connecting");
  socket = new WebSocket(socketUrl);
  socket.onopen = () => { retryMs = RETRY_FIRST_MS; setLink("live"); };
  socket.onmessage = (event) => handle(JSON.parse(event.data));
  socket.onclose = () => {
    socket = null;
    if (!ended) setLink("reconnecting");
    retryLater();
  };
}

function retryLater(ms) {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(reconnect, ms || retryMs);
  retryMs = Math.min(2 * retryMs, RETRY_MAX_MS);
}

async function reconnect() {
  retryTimer = null;
  // A WebSocket does not tell why it was refused: ask the page itself whether the token is refused.
  try {
    const answer = await fetch(location.href, { method: "HEAD", cache: "no-store" });
    if (answer.status === 403) {
      setLink("expired", "link expired: scan the new code in the terminal");
      retryLater(RETRY_MAX_MS);
      return;
    }
  } catch (error) {
    retryLater();  // hinge is not running (yet): try again
    return;
  }
  if (socket === null) connect();
}

document.addEventListener("visibilitychange", () => {
  // A phone that wakes up: try at once rather than after the back-off.
  if (document.visibilityState === "visible" && socket === null) { retryMs = RETRY_FIRST_MS; retryLater(1); }
});
window.addEventListener("resize", scheduleDraw);
connect();
