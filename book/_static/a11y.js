// Accessibility fix that no template can make (checked by axe-core in
// tests/site/test_site.py; rule label-content-name-mismatch: an element's
// accessible name must contain its visible text). myst-nb writes the summary
// of a collapsed cell, which shows "Show code cell content", with the label
// "Toggle hidden content", and sphinx-togglebutton adds such labels from its own
// script: drop the label, so that the name is the text. The theme's search and
// colour-mode buttons are fixed in their templates (book/_templates).
(function () {
  function fix() {
    document.querySelectorAll("summary[aria-label]").forEach(function (el) {
      if (el.textContent.trim()) el.removeAttribute("aria-label");
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    fix();
    new MutationObserver(fix).observe(document.body, { childList: true, subtree: true });
  });
})();
