// Graph (schema 1) <-> exits. The graph JSON is the truth; drawflow only draws it.

/** [field, label, target] of every exit of a step (same order as graph.py exits_of). */
export function exitsOf(step, t) {
  const kind = step.type;
  if (["send", "set", "wait"].includes(kind)) return [["next", t.next, step.next]];
  if (kind === "ask") {
    const v = step.validation || {};
    const choices = v.kind === "choice" && Array.isArray(v.choices) ? v.choices : [];
    const out = choices.length
      ? choices.map((c, i) => [`choices.${i}.next`, c.title || c.id, c.next])
      : [["next", t.next, step.next]];
    return out.concat([["on_invalid", t.on_invalid, step.on_invalid]]);
  }
  if (kind === "condition") {
    const rules = Array.isArray(step.rules) ? step.rules : [];
    return rules.map((r, i) => [`rules.${i}.next`, `#${i + 1}`, r && r.next]).concat([["else", t.else, step.else]]);
  }
  if (kind === "http" || kind === "ai") return [["next", t.next, step.next], ["on_error", t.on_error, step.on_error]];
  return [];
}

/** Point exit `field` of `step` at `target` (null: unconnected). */
export function setExit(step, field, target) {
  const parts = field.split(".");
  if (parts.length === 1) { step[field] = target; return; }
  const [list, index] = parts;
  const arr = list === "choices" ? (step.validation || {}).choices : step.rules;
  if (Array.isArray(arr) && arr[+index]) arr[+index].next = target;
}

/** One line of what a step does (for the node). */
export function summaryOf(step) {
  const msg = step.message || {};
  if (step.type === "ask") return `${(msg.text || "").slice(0, 40)} → {{${step.save_as || "?"}}}`;
  if (step.type === "http") return `${step.method || "POST"} ${(step.url || "").slice(0, 40)}`;
  if (step.type === "wait") return `${step.seconds || 0}s`;
  if (step.type === "condition") return `${(step.rules || []).length} regra(s)`;
  return (msg.text || msg.caption || step.note || step.instructions || "").slice(0, 50);
}

/** Variables the graph's steps set (mirror of graph.py writes_of), sorted. */
export function variablesOf(graph) {
  const names = new Set();
  Object.values(graph.steps || {}).forEach((step) => {
    if (!step || typeof step !== "object") return;
    if (step.type === "ask" && step.save_as) {
      names.add(step.save_as);
      const v = step.validation || {};
      if (v.kind === "choice" && Array.isArray(v.choices) && v.choices.length) names.add(`${step.save_as}_id`);
    }
    if (step.type === "set" && step.variables && typeof step.variables === "object") Object.keys(step.variables).forEach((k) => names.add(k));
    if (step.type === "http" && step.map && typeof step.map === "object") { Object.keys(step.map).forEach((k) => names.add(k)); names.add("http_status"); }
    if (step.type === "ai") names.add(step.save_as || "resposta_ia");
  });
  return [...names].filter(Boolean).sort();
}

export function newStepId(graph, type) {
  let n = 1;
  while (graph.steps[`${type}_${n}`]) n += 1;
  return `${type}_${n}`;
}

export const DEFAULTS = {
  send: () => ({ message: { kind: "text", text: "" }, next: null }),
  ask: () => ({ message: { kind: "text", text: "" }, validation: { kind: "text" }, save_as: "resposta", invalid_message: "", max_attempts: 3, next: null, on_invalid: null }),
  condition: () => ({ rules: [{ if: { source: "var", name: "", op: "eq", value: "" }, next: null }], else: null }),
  set: () => ({ add_labels: [], remove_labels: [], attributes: {}, variables: {}, next: null }),
  http: () => ({ url: "https://", method: "POST", headers: {}, timeout_s: 10, map: {}, next: null, on_error: null }),
  ai: () => ({ instructions: "", save_as: "resposta_ia", send: true, next: null, on_error: null }),
  handoff: () => ({ team_id: null, priority: "normal", note: "" }),
  wait: () => ({ seconds: 60, next: null }),
  end: () => ({ message: { kind: "text", text: "" } }),
};
