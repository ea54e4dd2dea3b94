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

  // The later sections of long pages (div.fidle-lazy, content-visibility:
  // auto) are laid out only near the viewport: measuring an element there
  // would force their layout. Until its section comes near, a region is
  // assumed to scroll (reachable, no measure); it is measured then.
  var near = new Set();
  var lazy = document.querySelectorAll(".fidle-lazy");
  if (lazy.length && "IntersectionObserver" in window) {
    var watcher = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) near.add(entry.target); else near.delete(entry.target);
      });
      schedule();
    }, { rootMargin: "100% 0px" });
    lazy.forEach(function (el) { watcher.observe(el); });
  } else {
    lazy.forEach(function (el) { near.add(el); });
  }

  function update() {
    document.querySelectorAll(SELECTOR).forEach(function (el) {
      var section = el.closest(".fidle-lazy");
      if (section && !near.has(section)) {
        if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "0");
      } else if (el.scrollWidth > el.clientWidth) {
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
