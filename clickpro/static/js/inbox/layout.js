// Which pane the inbox shows. Desktop (≥992px) shows all three; below that one pane at a
// time (768–991px: the list stays beside it). The view lives in #inbox[data-view]:
// "list" | "thread" | "side"; inbox.css hides the other panes by it.
import { $ } from "./dom.js";
import { PAGE } from "./state.js";

const root = document.getElementById("inbox");
/** The list's own URL (/inbox/): the page of no conversation. */
export const LIST = PAGE.replace(/c\/$/, "");

/** Show ``view`` ("list", "thread" or "side"). */
export function setView(view) {
  if (!root) return;
  root.dataset.view = view;
  if (view !== "list") window.scrollTo(0, 0);
}

export function currentView() {
  return root ? root.dataset.view || "list" : "list";
}

/** Keep the inbox exactly as tall as the screen below it (100dvh minus its top):
 *  the composer stays at the bottom, also when the on-screen keyboard opens. */
function fitHeight() {
  if (!root) return;
  const top = root.getBoundingClientRect().top + window.scrollY;
  root.style.setProperty("--inbox-top", Math.max(0, Math.round(top)) + "px");
}

/** The back and details buttons of the small-screen layout. */
export function wireLayout() {
  if (!root) return;
  fitHeight();
  window.addEventListener("resize", fitHeight);
  $("thread-back").addEventListener("click", () => {
    // opened from the list: go back to that entry (the conversation stays forward)
    const state = window.history.state || {};
    if (state.fromList && state.view !== "side") window.history.back();
    else {
      window.history.pushState({ list: true }, "", LIST);
      window.dispatchEvent(new PopStateEvent("popstate", { state: { list: true } }));
    }
  });
  $("thread-details").addEventListener("click", () => {
    const state = window.history.state || {};
    if (state.conversation && state.view !== "side") {
      window.history.pushState({ conversation: state.conversation, view: "side" }, "", window.location.href);
    }
    setView("side");
  });
  $("inbox-filters-toggle").addEventListener("click", (e) => {
    const open = $("inbox-filters").classList.toggle("open");
    e.currentTarget.setAttribute("aria-expanded", open ? "true" : "false");
    fitHeight();
  });
  $("side-back").addEventListener("click", () => {
    if (window.history.state && window.history.state.view === "side") window.history.back();
    else setView("thread");
  });
}
