// Accessibility fixes for the theme's buttons (checked by axe-core in
// tests/test_site.py; rule label-content-name-mismatch: a button's accessible
// name must contain its visible text).
// - The search field button shows "Search Ctrl+K" but is labelled "Search",
//   and collapsed cells' summaries show "Show code cell content" but are
//   labelled "Toggle hidden content": drop the label so the name is the text.
// - The colour-mode button's icons carry tooltips ("Light", "Dark") that
//   differ from its label "Color mode": the icons are decoration, so they are
//   hidden from assistive technology, without titles. Font Awesome replaces
//   the <i> icons by <svg> at any time, so the fix reruns on DOM changes.
(function () {
  function fix() {
    document.querySelectorAll(".search-button-field[aria-label], summary[aria-label]").forEach(function (el) {
      if (el.textContent.trim()) el.removeAttribute("aria-label");
    });
    document.querySelectorAll(".theme-switch-button i, .theme-switch-button svg").forEach(function (el) {
      if (el.hasAttribute("title")) el.removeAttribute("title");
      if (el.hasAttribute("aria-labelledby")) el.removeAttribute("aria-labelledby");
      if (el.getAttribute("role") === "img") el.removeAttribute("role");
      if (el.getAttribute("aria-hidden") !== "true") el.setAttribute("aria-hidden", "true");
      el.querySelectorAll("title").forEach(function (t) { t.remove(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    fix();
    new MutationObserver(fix).observe(document.body, { childList: true, subtree: true });
  });
})();
