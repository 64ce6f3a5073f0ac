// The ao web UI: the runs list, a run's dataflow graph, a call's panel with its editor, and replays.
// Everything it shows comes from the collector's API (/api/v1); text is set with textContent only.
import cytoscape from "/ui/vendor/cytoscape.esm.min.mjs";
import dagre from "/ui/vendor/cytoscape-dagre.min.mjs";

cytoscape.use(dagre);

const TOKEN_KEY = "ao.token";
const $ = (id) => document.getElementById(id);

// --- the API, with the bearer token the collector may ask for --------------------------------------

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

let tokenWanted = null; // resolves when the user has given a token

function askForToken() {
  if (!tokenWanted) {
    tokenWanted = new Promise((resolve) => {
      const form = $("token-form");
      form.hidden = false;
      $("token").focus();
      form.onsubmit = (event) => {
        event.preventDefault();
        localStorage.setItem(TOKEN_KEY, $("token").value);
        form.hidden = true;
        tokenWanted = null;
        resolve();
      };
    });
  }
  return tokenWanted;
}

async function api(path, options = {}) {
  for (;;) {
    const headers = { Accept: "application/json", ...(options.headers || {}) };
    const token = localStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch(`/api/v1${path}`, { ...options, headers });
    if (response.status === 401) {
      await askForToken();
      continue;
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const detail = body && body.detail !== undefined ? body.detail : response.statusText;
      throw new ApiError(response.status, typeof detail === "string" ? detail : JSON.stringify(detail));
    }
    return body;
  }
}

// --- small DOM helpers -------------------------------------------------------------------------------

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function runLink(runId) {
  const link = el("a");
  link.href = `#/runs/${encodeURIComponent(runId)}`;
  link.append(el("code", runId));
  return link;
}

function showError(message) {
  const box = $("error");
  box.hidden = !message;
  box.textContent = message || "";
}

const number = (value) => (value === null || value === undefined ? "–" : Number(value).toLocaleString());
const usd = (value) => (value === null || value === undefined ? "–" : `$${Number(value).toFixed(6)}`);
const ms = (value) => (value === null || value === undefined ? "–" : `${Number(value).toFixed(0)} ms`);

function statusBadge(status) {
  return el("span", status, `status ${status}`);
}

// --- the runs list -----------------------------------------------------------------------------------

async function showRuns() {
  const runs = await api("/runs?limit=200");
  const body = $("runs").querySelector("tbody");
  body.replaceChildren();
  for (const run of runs) {
    const row = el("tr");
    row.dataset.runId = run.run_id;
    const cells = [
      runLink(run.run_id),
      el("span", run.name),
      statusBadge(run.status),
      el("span", run.start_time),
      el("span", ms(run.duration_ms)),
      el("span", number(run.call_count)),
      el("span", `${number(run.input_tokens)} / ${number(run.output_tokens)}`),
      el("span", usd(run.cost_usd)),
      run.replay_of ? runLink(run.replay_of) : el("span", ""),
      run.parent_run_id ? runLink(run.parent_run_id) : el("span", ""),
    ];
    for (const cell of cells) {
      const td = el("td");
      td.append(cell);
      row.append(td);
    }
    body.append(row);
  }
  show("runs-view");
}

// --- a run: its graph, the call panel, replay --------------------------------------------------------

let graph = null;
let currentRun = null;
let currentCall = null;

function mark(node) {
  if (node.edited) return "edited";
  return node.cached ? "cached" : "live";
}

function shortLabel(node) {
  const output = (node.output || "").replace(/\s+/g, " ");
  return `${node.model || node.name}\n${output.length > 40 ? `${output.slice(0, 40)}…` : output}`;
}

function drawGraph(data, differs) {
  if (graph) graph.destroy();
  const elements = [
    ...data.nodes.map((node) => ({
      data: { id: node.id, label: shortLabel(node), mark: mark(node), differs: differs.has(node.id) ? 1 : 0 },
    })),
    ...data.edges.map((edge, index) => ({
      data: { id: `e${index}`, source: edge.source, target: edge.target, via: edge.via || "taint" },
    })),
  ];
  graph = cytoscape({
    container: $("graph"),
    elements,
    layout: { name: "dagre", rankDir: "TB", nodeSep: 30, rankSep: 50 },
    style: [
      { selector: "node", style: {
        label: "data(label)", "text-wrap": "wrap", "text-max-width": 180, "font-size": 10, "text-valign": "center",
        shape: "round-rectangle", width: 190, height: 44, "background-color": "#3fb56b", color: "#1d2430",
        "border-width": 1, "border-color": "#1d2430" } },
      { selector: 'node[mark = "cached"]', style: { "background-color": "#8fa3bf" } },
      { selector: 'node[mark = "edited"]', style: { "background-color": "#f0a03c" } },
      { selector: "node[differs = 1]", style: { "border-width": 4, "border-color": "#d23c3c" } },
      { selector: "node:selected", style: { "border-width": 3, "border-color": "#1f6feb" } },
      { selector: "edge", style: {
        width: 2, "curve-style": "bezier", "target-arrow-shape": "triangle", "line-color": "#5a6678",
        "target-arrow-color": "#5a6678" } },
      { selector: 'edge[via = "content"]', style: { "line-style": "dashed" } },
    ],
  });
  graph.on("tap", "node", (event) => showCall(event.target.id()));
  window.aoGraph = graph; // for people (and tests) at the console
}

async function showRun(runId) {
  const run = await api(`/runs/${encodeURIComponent(runId)}`);
  currentRun = run;
  $("run-id").textContent = run.run_id;
  $("run-status").replaceChildren(statusBadge(run.status));
  $("run-facts").textContent =
    `${run.name || ""} · started ${run.start_time || "–"} · ${ms(run.duration_ms)} · ${number(run.call_count)} calls · ` +
    `${number(run.input_tokens)} / ${number(run.output_tokens)} tokens · ${usd(run.cost_usd)}` +
    (run.unknown_usage_calls ? ` (usage unknown for ${number(run.unknown_usage_calls)} calls)` : "");
  const lineage = $("run-lineage");
  lineage.replaceChildren();
  if (run.replay_of) lineage.append("replay of ", runLink(run.replay_of));
  if (run.parent_run_id) lineage.append(run.replay_of ? " · " : "", "subrun of ", runLink(run.parent_run_id));
  const differs = new Set();
  $("run-diff").textContent = "";
  if (run.replay_of) {
    const diff = await api(`/runs/${encodeURIComponent(run.run_id)}/diff`);
    for (const call of diff.calls) if (call.output_differs) differs.add(call.span_id);
    const counts = {};
    for (const call of diff.calls) counts[call.status] = (counts[call.status] || 0) + 1;
    $("run-diff").textContent =
      `${differs.size} of ${diff.calls.length} calls' outputs differ from the original run · ` +
      Object.entries(counts).map(([status, count]) => `${count} ${status}`).join(", ");
  }
  drawGraph(await api(`/runs/${encodeURIComponent(run.run_id)}/graph`), differs);
  $("replay-result").replaceChildren();
  $("call").hidden = true;
  show("run-view");
  document.body.dataset.run = `${run.run_id} ${run.status}`; // what the page shows, once drawn
  if (run.status === "running") setTimeout(() => route(), 1500); // a replay under way: look again
}

function messageText(message) {
  const parts = (message.parts || []).map((part) => {
    if (part.type === "text") return part.content;
    if (part.type === "tool_call") return `tool call ${part.name}(${JSON.stringify(part.arguments)})`;
    if (part.type === "tool_call_response") return `tool result ${JSON.stringify(part.response)}`;
    return `[${part.type}]`;
  });
  return parts.join("\n");
}

function parsed(value) {
  if (typeof value !== "string") return value || [];
  try {
    return JSON.parse(value || "[]");
  } catch {
    return [{ role: "?", parts: [{ type: "text", content: value }] }];
  }
}

function showMessages(container, messages) {
  container.replaceChildren();
  for (const message of parsed(messages)) {
    const box = el("div", null, "message");
    box.append(el("span", message.role || "", "role"), messageText(message));
    container.append(box);
  }
}

function lastText(messages, role) {
  const found = parsed(messages).filter((message) => !role || message.role === role);
  const message = role ? found[found.length - 1] : found[0];
  if (!message) return "";
  const part = (message.parts || []).find((p) => p.type === "text");
  return part ? part.content : "";
}

function fillEditor() {
  const call = currentCall;
  if (!call) return;
  const kind = document.querySelector('input[name="kind"]:checked').value;
  const mode = document.querySelector('input[name="mode"]:checked').value;
  const active = (call.edits || {})[kind];
  const text = active && typeof active.text === "string"
    ? active.text
    : kind === "input" ? lastText(call.input_messages, "user") : lastText(call.output_messages, null);
  $("edit-body").value = mode === "text" ? text : JSON.stringify(active || { text }, null, 2);
  $("edit-result").textContent = active ? `an ${kind} edit is active` : "";
}

async function showCall(spanId) {
  const call = await api(`/calls/${encodeURIComponent(spanId)}`);
  currentCall = call;
  $("call-name").textContent = `${call.name} · ${call.id}`;
  $("call-facts").textContent =
    `${call.provider}/${call.operation} · ${call.model || "?"} · ${number(call.input_tokens)} in / ` +
    `${number(call.output_tokens)} out · ${usd(call.cost_usd)} · ${ms(call.duration_ms)} · ` +
    `${call.cached ? "cached" : "live"}${call.status === "Error" ? ` · error ${call.error_type}` : ""}`;
  showMessages($("call-input"), call.input_messages);
  showMessages($("call-output"), call.output_messages);
  fillEditor();
  $("call").hidden = false;
}

async function saveEdit(event) {
  event.preventDefault();
  const kind = document.querySelector('input[name="kind"]:checked').value;
  const mode = document.querySelector('input[name="mode"]:checked').value;
  const result = $("edit-result");
  let body;
  try {
    body = mode === "text" ? { text: $("edit-body").value } : JSON.parse($("edit-body").value);
  } catch (error) {
    result.textContent = `not JSON: ${error.message}`;
    return;
  }
  try {
    await api(`/calls/${encodeURIComponent(currentCall.id)}/${kind}`, {
      method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    result.textContent = `saved: the ${kind} edit is used by the next replay`;
    currentCall.edits = { ...(currentCall.edits || {}), [kind]: body };
  } catch (error) {
    result.textContent = `refused (${error.status}): ${error.message}`;
  }
}

async function replay() {
  const result = $("replay-result");
  result.replaceChildren("starting…");
  try {
    const started = await api(`/runs/${encodeURIComponent(currentRun.run_id)}/replay`, { method: "POST" });
    location.hash = `#/runs/${encodeURIComponent(started.run_id)}`;
  } catch (error) {
    // 403: this collector does not start replays; the message has the command to run instead
    const command = error.message.match(/`([^`]+)`/);
    result.replaceChildren(`${error.message.replace(/`[^`]+`/, "").trim()} `);
    if (command) result.append(el("code", command[1]));
  }
}

// --- routing -----------------------------------------------------------------------------------------

function show(view) {
  for (const id of ["runs-view", "run-view"]) $(id).hidden = id !== view;
}

let waited = 0;

async function route() {
  showError("");
  const match = location.hash.match(/^#\/runs\/([^/]+)$/);
  try {
    if (match) await showRun(decodeURIComponent(match[1]));
    else await showRuns();
    waited = 0;
  } catch (error) {
    if (match && error.status === 404 && waited < 60) {
      // a replay just started: its first spans are on their way
      waited += 1;
      showError(`waiting for run ${decodeURIComponent(match[1])} to send its first spans…`);
      setTimeout(route, 1000);
      return;
    }
    showError(error.message);
  }
}

$("edit-form").addEventListener("submit", saveEdit);
for (const input of document.querySelectorAll('input[name="kind"], input[name="mode"]')) {
  input.addEventListener("change", fillEditor);
}
$("replay").addEventListener("click", replay);
window.addEventListener("hashchange", route);
route();
