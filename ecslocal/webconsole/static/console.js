// The console's only script: poll /api/state and /api/logs, wire the forms and buttons.
// Text is always set with textContent (never innerHTML): nothing the runtime says becomes markup.
"use strict";

const refreshMs = 1000 * Number(document.body.dataset.refreshSeconds || 2);
let logNext = 0;
let expiresAt = null;

function $(id) { return document.getElementById(id); }
function setText(id, text) { $(id).textContent = text == null || text === "" ? "—" : String(text); }

async function api(method, path, body) {
  const options = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  let data = {};
  try { data = await response.json(); } catch (e) { data = {}; }
  return { status: response.status, data };
}

function duration(seconds) {
  if (seconds == null) return "—";
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return (h ? h + " h " : "") + (h || m ? m + " min " : "") + r + " s";
}

function showExpiry() {
  if (!expiresAt) { setText("whoami-expiry", "never (long-term credentials)"); return; }
  setText("whoami-expiry", duration((expiresAt - Date.now()) / 1000));
}

function renderWarnings(warnings) {
  const list = $("whoami-warnings");
  list.replaceChildren();
  if (!warnings.length) {
    const li = document.createElement("li");
    li.textContent = "No warnings.";
    li.className = "ok";
    list.append(li);
  }
  for (const w of warnings) {
    const li = document.createElement("li");
    li.className = "bad";
    const code = document.createElement("strong");
    code.textContent = w.code + " (" + w.severity + ")";
    li.append(code, document.createTextNode(": " + w.message));
    list.append(li);
  }
}

function renderSteps(steps) {
  const list = $("steps");
  for (const step of steps) {
    let li = $("step-" + step.number);
    if (!li) {
      li = document.createElement("li");
      li.id = "step-" + step.number;
      const title = document.createElement("span");
      title.textContent = step.title + " ";
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Run step " + step.number;
      button.addEventListener("click", () => runStep(step.number));
      const status = document.createElement("span");
      status.className = "status";
      status.setAttribute("role", "status");
      const out = document.createElement("pre");
      li.append(title, button, document.createTextNode(" "), status, out);
      list.append(li);
    }
    const status = li.querySelector(".status");
    status.textContent = step.status;
    status.className = "status " + (step.status === "not as expected" ? "bad" : step.status === "idle" ? "" : "ok");
    li.querySelector("button").disabled = step.status === "running";
    li.querySelector("pre").textContent = step.lines.join("\n");
  }
}

function render(state) {
  const t = state.task;
  setText("task-family", t.family + ":" + t.revision);
  setText("task-id", t.task_id);
  setText("task-status", t.status + " (desired " + t.desired_status + ")");
  setText("task-health", t.health);
  setText("task-uptime", duration(t.uptime_seconds));
  const e = state.execution_role;
  setText("exec-arn", e.arn);
  setText("exec-session", e.session_arn);
  setText("exec-image", e.image + (e.image_digest ? " found in ECR (" + e.image_digest + ")" : ""));
  setText("exec-secrets", e.secrets.length ? e.secrets.join(", ") + " (names only)" : "none");
  setText("exec-logs", e.log_group ? e.log_group + " : " + e.log_stream : "no awslogs");
  const r = state.task_role;
  setText("task-role-arn", r.arn);
  const w = r.whoami || {};
  if (w.error) {
    setText("whoami-arn", "cannot tell: " + w.error.message);
  } else {
    setText("whoami-arn", w.arn);
    const c = w.credentials || {};
    setText("whoami-source", c.source + (c.description ? ": " + c.description : ""));
    setText("whoami-key", c.access_key_id);
    expiresAt = c.expires_at ? Date.parse(c.expires_at) : null;
    showExpiry();
  }
  renderWarnings(w.warnings || []);
  for (const q of ["pending", "confirmed"]) {
    const d = state.queues[q] || {};
    setText(q + "-visible", d.error ? "error: " + d.error : d.visible);
    setText(q + "-inflight", d.error ? "" : d.in_flight);
  }
  renderSteps(state.steps);
}

async function refresh() {
  try {
    const { status, data } = await api("GET", "/api/state");
    if (status === 200) { render(data); setText("updated", "updated " + new Date().toLocaleTimeString()); }
    else { setText("updated", "cannot update: " + ((data.error || {}).message || status)); }
    const logs = await api("GET", "/api/logs?after=" + logNext);
    if (logs.status === 200) {
      setText("log-where", logs.data.group ? "(" + logs.data.group + " : " + logs.data.stream + ")" : "");
      const pre = $("log-lines");
      for (const line of logs.data.lines) pre.append(document.createTextNode(line.message + "\n"));
      logNext = logs.data.next;
      if (logs.data.lines.length) pre.scrollTop = pre.scrollHeight;
    }
  } catch (e) {
    setText("updated", "cannot reach the runtime (stopped?)");
  }
}

function say(result) {
  const d = result.data;
  const text = d.error ? "error " + result.status + ": " + (d.error.message || d.error.code) : null;
  const el = $("queue-result");
  el.className = d.error ? "bad" : "ok";
  return text ? (el.textContent = text, false) : true;
}

function showReceived(queue, messages) {
  const list = $("received");
  list.replaceChildren();
  for (const m of messages) {
    const li = document.createElement("li");
    li.append(document.createTextNode(queue + ": " + m.body + " (" + m.message_id + ") "));
    const release = document.createElement("button");
    release.type = "button";
    release.textContent = "Release";
    release.addEventListener("click", async () => {
      const result = await api("POST", "/api/messages/release", { queue, receipt_handle: m.receipt_handle });
      if (say(result)) { $("queue-result").textContent = "released " + m.message_id; li.remove(); }
      refresh();
    });
    li.append(release);
    list.append(li);
  }
}

async function runStep(number) {
  await api("POST", "/api/tour/" + number, {});
  refresh();
}

document.addEventListener("DOMContentLoaded", () => {
  $("send-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await api("POST", "/api/messages", { body: $("message-body").value });
    if (say(result)) $("queue-result").textContent = "sent " + result.data.message_id + " to pending";
    refresh();
  });
  $("receive-button").addEventListener("click", async () => {
    const queue = $("receive-queue").value;
    const result = await api("POST", "/api/messages/receive", { queue, max: 10 });
    if (say(result)) {
      $("queue-result").textContent = "received " + result.data.messages.length + " from " + queue;
      showReceived(queue, result.data.messages);
    }
    refresh();
  });
  $("confirm-button").addEventListener("click", async () => {
    const result = await api("POST", "/api/messages/confirm", {});
    if (say(result)) $("queue-result").textContent = "confirmed " + (result.data.confirmed || []).length;
    refresh();
  });
  refresh();
  setInterval(refresh, refreshMs);
  setInterval(showExpiry, 1000);
});
