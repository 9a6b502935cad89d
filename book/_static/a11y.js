// Accessibility fixes for the theme's header buttons (checked by axe-core in
// tests/test_site.py, rule label-content-name-mismatch: a button's accessible
// name must contain its visible text).
// - The search field button shows "Search Ctrl+K" but is labelled "Search":
//   drop the label so its name is its visible text.
// - The colour-mode button's icons carry tooltips ("Light", "Dark") that
//   differ from its label "Color mode": drop the icons' titles (the button
//   keeps its own label and tooltip).
(function () {
  function fix() {
    document.querySelectorAll(".search-button-field[aria-label]").forEach(function (el) {
      if (el.textContent.trim()) el.removeAttribute("aria-label");
    });
    // Collapsed cells ("Show code cell content") and dropdowns: same fix.
    document.querySelectorAll("summary[aria-label]").forEach(function (el) {
      if (el.textContent.trim()) el.removeAttribute("aria-label");
    });
    document.querySelectorAll(".theme-switch-button [title]").forEach(function (el) {
      el.removeAttribute("title");
    });
    document.querySelectorAll(".theme-switch-button svg title").forEach(function (el) {
      el.remove();
    });
  }
  document.addEventListener("DOMContentLoaded", fix);
  window.addEventListener("load", function () { fix(); setTimeout(fix, 0); });
})();
