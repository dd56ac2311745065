/*
 * pintu web chat: the citizen's page at /chat (API in bot/handlers/web.py).
 *
 * - One session token, kept in localStorage, so a reload continues the same
 *   conversation; a 401 from any call (a token expired or revoked) gets a new
 *   session. Opening sessions is limited per address: a 429 is told politely
 *   and waited out (Retry-After).
 * - "Hapus percakapan ini" forgets the conversation on this device: the server
 *   revokes the token, and the token, the transcript and the screen are cleared.
 * - The bot's messages arrive by long poll. On load the history is fetched
 *   again from the start; the citizen's own messages come from a local
 *   transcript, placed after the bot message they answered.
 * - What the citizen sends goes through one ordered queue, persisted, and each
 *   message is retried with the same client_id until the server has it: the
 *   server deduplicates, so nothing typed is lost and nothing arrives twice.
 * - Message text is data: it reaches the page only as text nodes, never as HTML;
 *   *bold* becomes <strong> and a phone number a tel: link, built node by node.
 * - Every label comes from /chat/api/strings; the HTML holds the fallbacks. The
 *   labels follow the conversation's language, which each poll reports: the
 *   browser's language only until the conversation has one.
 */
"use strict";

const API = "/chat/api";
const TOKEN_KEY = "pintu.token";
const MINE_KEY = "pintu.mine";
const KEEP_MINE = 200; // own messages remembered for the transcript
const POLL_WAIT = 25; // seconds the server may hold a long poll
const REQUEST_LOCATION = "_location"; // a choice asking for the browser's location
// Emergency numbers standing alone, Indonesian numbers with an area code or a
// mobile prefix (spaces, dashes, brackets allowed), and +62 numbers. Not a
// number inside a word, a reference or an application number (SKCK/110/XI).
const PHONE =
  /(?<![\w/.-])(?:11[02]|\+62[\d\s-]{8,14}\d|\(0\d{2,3}\)\s?\d{3,4}[\s-]?\d{3,5}|0\d{2,3}[\s-]?\d{3,4}[\s-]?\d{3,5})(?![\w/-])/;
// A case reference (PGD-AB2CD3), kept on one line: a phone breaks it at the dash.
const REF = /\b[A-Z]{3}-[2-9A-HJ-NP-Z]{6}\b/;
const TOKENS = new RegExp(`(?<ref>${REF.source})|${PHONE.source}`, "g");

const $ = (id) => document.getElementById(id);
const ui = {
  log: $("log"),
  form: $("composer"),
  text: $("text"),
  textLabel: $("text-label"),
  send: $("send"),
  attach: $("attach"),
  photo: $("photo"),
  status: $("status"),
  intro: $("intro"),
  title: $("title"),
  forget: $("forget"),
};

let locale = (navigator.language || "").toLowerCase().startsWith("en") ? "en" : "id";
let strings = {};
let token = storage("get", TOKEN_KEY);
let renewing = null;
let lastId = 0;
let mine = parse(storage("get", MINE_KEY)) ?? [];
let pumping = false;
let held = null; // the emergency answer kept in view (see `append`)
let generation = 0; // counts forgotten conversations: answers for an older one are dropped
let polling = null; // the AbortController of the poll in flight
let limitedUntil = 0; // no new session before this time (ms), after a 429
let limitedTold = false;
const files = new Map(); // client_id -> File still to upload (kept in memory only)
const bubbles = new Map(); // client_id -> the citizen's bubble

// -- small helpers -----------------------------------------------------------

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const backoff = (attempt) => Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
const t = (key) => strings[key] ?? "";

/** localStorage that never throws (it may be disabled or full). */
function storage(action, key, value) {
  try {
    if (action === "remove") return localStorage.removeItem(key);
    return action === "get" ? localStorage.getItem(key) : localStorage.setItem(key, value);
  } catch {
    return null;
  }
}

/** A refusal to open a session for now (429): waited out, not shown as "offline". */
class Limited extends Error {}

function parse(json) {
  try {
    return JSON.parse(json);
  } catch {
    return null;
  }
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** 32 hex characters; unlike crypto.randomUUID this also works on plain http. */
function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function saveMine() {
  if (mine.length > KEEP_MINE) mine = mine.slice(-KEEP_MINE);
  storage("set", MINE_KEY, JSON.stringify(mine));
}

// -- talking to the server ---------------------------------------------------

/** The session token; with `stale`, replaces that token (once, however many callers saw it fail). */
async function session(stale) {
  if (token && token !== stale) return token;
  if (Date.now() < limitedUntil) throw tellLimited();
  renewing ??= (async () => {
    const response = await fetch(`${API}/session`, { method: "POST" });
    if (response.status === 429) {
      limitedUntil = Date.now() + (Number(response.headers.get("Retry-After")) || 60) * 1000;
      throw tellLimited();
    }
    if (!response.ok) throw new Error(`session: HTTP ${response.status}`);
    limitedTold = false;
    token = (await response.json()).token;
    storage("set", TOKEN_KEY, token);
    mine = mine.filter((entry) => entry.state === "pending"); // a new conversation
    saveMine();
    return token;
  })().finally(() => {
    renewing = null;
  });
  return renewing;
}

/** Says once (when the labels are there) that no session can be opened now; the error. */
function tellLimited() {
  const told = t("web.session_limited");
  if (!limitedTold && told) {
    notice(told);
    limitedTold = true;
  }
  return new Limited("session: HTTP 429");
}

/** fetch() under /chat/api with the token; a 401 gets a new session and one more try. */
async function api(path, init = {}) {
  for (let attempt = 0; ; attempt++) {
    const used = await session();
    const headers = { ...init.headers, Authorization: `Bearer ${used}` };
    const response = await fetch(API + path, { ...init, headers });
    if (response.status !== 401 || attempt > 0) return response;
    await session(used);
  }
}

/** The labels in `wanted`, applied unless the language changed again meanwhile. */
async function loadStrings(wanted) {
  for (let attempt = 0; wanted === locale; attempt++) {
    try {
      const response = await fetch(`${API}/strings?locale=${encodeURIComponent(wanted)}`);
      if (response.ok) {
        const loaded = await response.json();
        if (wanted !== locale) return;
        strings = loaded;
        applyStrings();
        return;
      }
    } catch {
      // offline: retried below
    }
    await sleep(backoff(attempt));
  }
}

function applyStrings() {
  document.documentElement.lang = locale;
  document.title = ui.title.textContent = t("web.title");
  ui.text.placeholder = ui.textLabel.textContent = t("web.placeholder");
  ui.send.textContent = t("web.send");
  ui.attach.title = t("web.attach");
  ui.attach.setAttribute("aria-label", t("web.attach"));
  ui.status.textContent = t("web.offline");
  ui.forget.title = t("web.forget");
  ui.forget.setAttribute("aria-label", t("web.forget"));
  ui.intro.replaceChildren();
  appendTokens(ui.intro, t("web.intro")); // "telepon 110" dials here too
}

/** Follows the conversation's language (reported by each poll) with the page's labels. */
function followLocale(spoken) {
  if (!spoken || spoken === locale) return;
  locale = spoken;
  loadStrings(locale);
}

function setOffline(offline) {
  ui.status.hidden = !offline;
}

/** Collects the bot's messages forever: first the history (no waiting), then long polls. */
async function poll() {
  let catchingUp = true;
  for (let failures = 0; ; ) {
    const seen = generation;
    const wait = catchingUp ? 0 : POLL_WAIT;
    const controller = (polling = new AbortController());
    const timer = setTimeout(() => controller.abort(), (wait + 15) * 1000);
    try {
      const response = await api(`/messages?after=${lastId}&wait=${wait}`, {
        signal: controller.signal,
      });
      if (!response.ok) throw new Error(`poll: HTTP ${response.status}`);
      const body = await response.json();
      if (seen !== generation) throw new Error("poll: a forgotten conversation");
      setOffline(false);
      failures = 0;
      followLocale(body.locale);
      body.messages.forEach(showBot);
      lastId = body.last_id;
      if (catchingUp && body.messages.length === 0) {
        catchingUp = false;
        showMine();
        pump();
      }
    } catch (error) {
      if (seen !== generation) {
        catchingUp = true; // the conversation was forgotten: start over at once
        continue;
      }
      if (!(error instanceof Limited)) setOffline(true);
      await sleep(backoff(failures++));
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Sends the queued messages one at a time, in order (until the conversation is forgotten). */
async function pump() {
  if (pumping) return;
  pumping = true;
  const seen = generation;
  try {
    for (let entry; seen === generation && (entry = mine.find((m) => m.state === "pending")); ) {
      const outcome = await deliver(entry, seen);
      if (seen === generation) setState(entry, outcome);
    }
  } finally {
    pumping = false;
  }
  if (seen !== generation) pump(); // what was typed since goes to the new conversation
}

/** Tries until the server answers; the same client_id every time: "sent", "failed" or "limited". */
async function deliver(entry, seen) {
  for (let attempt = 0; seen === generation; attempt++) {
    const request = buildRequest(entry);
    if (!request) return "failed"; // a photo from before a reload: the file is gone
    try {
      const response = await api(...request);
      if (response.ok) return "sent";
      if (response.status === 429 && entry.media) return "limited"; // today's photos used up
      if (![408, 429].includes(response.status) && response.status < 500) return "failed";
    } catch (error) {
      if (!(error instanceof Limited)) setOffline(true);
    }
    await sleep(backoff(attempt));
  }
  return "failed";
}

function buildRequest(entry) {
  const id = entry.client_id;
  if (entry.media) {
    if (!files.has(id)) return null;
    const form = new FormData();
    form.append("client_id", id);
    form.append("file", files.get(id));
    return ["/media", { method: "POST", body: form }];
  }
  const body = entry.location
    ? { client_id: id, location: entry.location }
    : entry.choice_id
      ? { client_id: id, choice_id: entry.choice_id, prompt_token: entry.prompt_token }
      : { client_id: id, text: entry.text };
  const headers = { "Content-Type": "application/json" };
  return ["/messages", { method: "POST", headers, body: JSON.stringify(body) }];
}

function setState(entry, outcome) {
  const state = outcome === "limited" ? "failed" : outcome;
  entry.state = state;
  files.delete(entry.client_id);
  saveMine();
  const bubble = bubbles.get(entry.client_id);
  if (bubble) bubble.dataset.state = state;
  if (outcome === "limited") notice(t("web.upload_limited"));
  else if (state === "failed" && entry.media) notice(t("web.upload_failed"));
}

// -- the log -----------------------------------------------------------------

/**
 * Adds `node` to the log and follows it down, as chats do; but an emergency
 * answer stays in view until the citizen says something: what follows it
 * (a welcome, the next question) never scrolls 110 off a small screen.
 */
function append(node) {
  const log = ui.log;
  if (held && log.scrollTop > holdAt(log) + 8) held = null; // the citizen read on
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  const following = atBottom || log.scrollTop >= holdAt(log);
  log.append(node);
  if (node.classList.contains("me")) held = null;
  if (node.classList.contains("urgent")) held = node;
  if (following || node.classList.contains("me")) log.scrollTop = holdAt(log);
}

/**
 * How far down the log may follow new messages: to the end, or until a held
 * emergency answer's last line (where 110 and the duty desk's number are) is
 * at the bottom of the screen (its answer buttons follow below).
 */
function holdAt(log) {
  if (!held) return log.scrollHeight;
  const text = held.firstElementChild || held; // the words, above the answer buttons
  const bottom = text.getBoundingClientRect().bottom - log.getBoundingClientRect().top;
  const end = log.scrollTop + bottom + 8 - log.clientHeight;
  return Math.max(0, Math.min(log.scrollHeight, end));
}

/** Text with *bold* segments as <strong> and phone numbers as tel: links, from text nodes only. */
function rich(text) {
  const paragraph = el("p", "text");
  text.split(/\*([^*\n]+)\*/).forEach((part, i) => {
    if (i % 2) {
      const strong = el("strong");
      appendTokens(strong, part);
      paragraph.append(strong);
    } else {
      appendTokens(paragraph, part);
    }
  });
  return paragraph;
}

/** Appends `text` to `parent`: each phone number a link that dials it, each case reference whole. */
function appendTokens(parent, text) {
  let from = 0;
  for (const found of text.matchAll(TOKENS)) {
    parent.append(text.slice(from, found.index));
    if (found.groups.ref) {
      parent.append(el("span", "ref", found[0]));
    } else {
      const link = el("a", "tel", found[0]);
      link.href = `tel:${found[0].replace(/[^\d+]/g, "")}`;
      parent.append(link);
    }
    from = found.index + found[0].length;
  }
  parent.append(text.slice(from));
}

function showBot(message) {
  showMine(message.id);
  if (message.expects !== "nothing") retireChoices();
  const item = el("div", message.urgent ? "msg bot urgent" : "msg bot");
  item.append(rich(message.text));
  if (message.choices.length) item.append(choiceGroup(message));
  append(item);
  ui.attach.classList.toggle("wanted", message.expects === "media");
}

function choiceGroup(message) {
  const group = el("div", "choices");
  group.setAttribute("role", "group");
  const prompt = message.prompt_token;
  const pressed = prompt && mine.find((m) => m.prompt_token === prompt)?.choice_id;
  for (const choice of message.choices) {
    const button = el("button", "choice", choice.label);
    button.type = "button";
    button.addEventListener("click", () => {
      if (choice.id === REQUEST_LOCATION) {
        shareLocation(group, button);
        return;
      }
      retire(group, button);
      enqueue({ text: choice.label, choice_id: choice.id, prompt_token: prompt });
    });
    group.append(button);
    if (choice.id === pressed) retire(group, button);
  }
  return group;
}

/** Asks the browser where it is and sends that; on refusal the buttons stay. */
function shareLocation(group, button) {
  if (!navigator.geolocation) {
    notice(t("web.location_failed"));
    return;
  }
  navigator.geolocation.getCurrentPosition(
    (position) => {
      retire(group, button);
      const { latitude, longitude } = position.coords;
      const text = `📍 ${latitude.toFixed(5)}, ${longitude.toFixed(5)}`;
      enqueue({ text, location: { latitude, longitude } });
    },
    () => notice(t("web.location_failed")),
    { enableHighAccuracy: true, timeout: 15000 },
  );
}

/** Disables a prompt's buttons, marking the one pressed. */
function retire(group, pressed) {
  for (const button of group.querySelectorAll("button")) button.disabled = true;
  if (pressed) {
    pressed.classList.add("pressed");
    pressed.setAttribute("aria-pressed", "true");
  }
}

function retireChoices() {
  for (const group of ui.log.querySelectorAll(".choices")) retire(group);
}

/** Shows the citizen's own messages sent before bot message `beforeId` (all when omitted). */
function showMine(beforeId = Infinity) {
  for (const entry of mine) {
    if (entry.after >= beforeId) break;
    if (bubbles.has(entry.client_id)) continue;
    const item = el("div", "msg me");
    item.dataset.state = entry.state;
    const file = files.get(entry.client_id);
    if (file) {
      const image = el("img", "thumb");
      image.alt = "";
      image.src = URL.createObjectURL(file);
      image.addEventListener("load", () => URL.revokeObjectURL(image.src), { once: true });
      item.append(image);
    }
    item.append(el("p", "text", entry.text));
    bubbles.set(entry.client_id, item);
    append(item);
  }
}

/** A note from the page itself (not the bot); "110" in it dials. */
function notice(text) {
  if (!text) return;
  const note = el("p", "notice");
  appendTokens(note, text);
  append(note);
}

/**
 * "Hapus percakapan ini": after a confirmation, the server revokes this
 * browser's token, and everything kept here is cleared. Reports already sent
 * stay with the police; the next message starts a new conversation.
 */
async function forget() {
  if (!window.confirm(t("web.forget_confirm"))) return;
  const used = token;
  generation++;
  token = null;
  mine = [];
  lastId = 0;
  held = null;
  files.clear();
  bubbles.clear();
  storage("remove", TOKEN_KEY);
  storage("remove", MINE_KEY);
  polling?.abort();
  for (const node of [...ui.log.children]) {
    if (node !== ui.intro && node.tagName !== "NOSCRIPT") node.remove();
  }
  ui.attach.classList.remove("wanted");
  if (used) {
    const headers = { Authorization: `Bearer ${used}` };
    try {
      await fetch(`${API}/session`, { method: "DELETE", headers });
    } catch {
      // offline: the token is gone from this device all the same
    }
  }
  notice(t("web.forgotten"));
}

/** Queues one thing the citizen did, shows it at once and starts sending. */
function enqueue(entry, file) {
  Object.assign(entry, { client_id: newClientId(), after: lastId, state: "pending" });
  if (file) files.set(entry.client_id, file);
  mine.push(entry);
  saveMine();
  showMine();
  pump();
}

// -- the composer ------------------------------------------------------------

ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = ui.text.value;
  if (!text.trim()) return;
  ui.text.value = "";
  enqueue({ text });
});

ui.text.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ui.form.requestSubmit();
  }
});

ui.attach.addEventListener("click", () => ui.photo.click());

ui.forget.addEventListener("click", forget);

ui.photo.addEventListener("change", () => {
  for (const file of ui.photo.files) enqueue({ text: file.name, media: true }, file);
  ui.photo.value = "";
});

loadStrings(locale);
poll();
