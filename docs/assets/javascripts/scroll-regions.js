/* Wide formulas, tables, diagrams and notebook cells scroll sideways. A region
   that scrolls must be reachable with the keyboard (WCAG 2.1.1, axe rule
   scrollable-region-focusable): it gets tabindex="0" while, and only while,
   its content is wider than the column. */
(function () {
  var SELECTOR = [
    ".md-typeset div.arithmatex",       // display formulas
    ".md-typeset__scrollwrap",          // tables (wrapped by Material)
    ".md-typeset .mermaid",             // diagrams
    ".highlight-ipynb",                 // code cells of notebook pages
    ".jp-OutputArea-output pre"         // outputs of notebook cells
  ].join(", ");

  function update() {
    document.querySelectorAll(SELECTOR).forEach(function (el) {
      if (el.scrollWidth > el.clientWidth) {
        el.setAttribute("tabindex", "0");
      } else if (el.getAttribute("tabindex") === "0") {
        el.removeAttribute("tabindex");
      }
    });
  }

  var pending = false;
  function schedule() {
    if (!pending) {
      pending = true;
      requestAnimationFrame(function () { pending = false; update(); });
    }
  }

  // Material wraps tables and draws diagrams after the page loads: measure
  // again whenever the content changes or the window changes size.
  document$.subscribe(function () {
    schedule();
    new MutationObserver(schedule).observe(document.body, { childList: true, subtree: true });
  });
  window.addEventListener("resize", schedule);
})();
