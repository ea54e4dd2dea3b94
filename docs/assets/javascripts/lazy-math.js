/* KaTeX's drawing of the formulas of a long page's later sections, put back
   as they come near.

   overrides/hooks/lazy_sections.py leaves those formulas as MathML alone
   (<span class="arithmatex" data-fidle-math="N"><math>...</math></span>), which
   the browser draws itself, and writes their KaTeX drawings, in order, in a
   script beside the page (data-formulas), that calls fidleLazyMath([...]).
   That script is fetched when a formula comes within a viewport or so of the
   visible area, or once the page has been idle a while after loading (for
   printing, and so that scrolling down finds them ready); a <script> tag, so
   that it also works from file://. Each drawing goes back into the markup
   KaTeX wrote at build time, the MathML moved into it: what the page would
   have been without this. */
(function () {
  "use strict";

  var script = document.currentScript;
  var src = script && script.getAttribute("data-formulas");
  var formulas = document.querySelectorAll(".arithmatex[data-fidle-math]");
  if (!src || !formulas.length) return;

  var IDLE_DELAY_MS = 2000;
  var MARGIN = "100% 0px";
  var BATCH_MS = 8;  // per frame: short tasks, the page stays responsive
  var drawings = null;
  var requested = false;
  var queue = [];
  var observer = null;

  function upgrade(el) {
    if (!drawings || !el.hasAttribute("data-fidle-math")) return;  // done already
    var html = drawings[+el.getAttribute("data-fidle-math")];
    var math = el.firstElementChild;
    if (!html || !math || math.localName !== "math") return;
    var holder = document.createElement("template");
    holder.innerHTML = html;
    var slot = holder.content.querySelector(".katex-mathml");
    if (!slot) return;
    slot.appendChild(math);
    el.replaceChildren(holder.content);
    el.removeAttribute("data-fidle-math");
  }

  function drain() {
    var stop = performance.now() + BATCH_MS;
    while (queue.length && performance.now() < stop) upgrade(queue.shift());
    if (queue.length) requestAnimationFrame(drain);
  }

  function enqueue(el) {
    if (queue.indexOf(el) < 0) queue.push(el);
    if (drawings && queue.length === 1) requestAnimationFrame(drain);
  }

  window.fidleLazyMath = function (list) {
    drawings = list;
    if (queue.length) requestAnimationFrame(drain);
  };

  function load() {
    if (requested) return;
    requested = true;
    var tag = document.createElement("script");
    tag.src = src;  // beside the page: relative to it
    tag.async = true;
    document.head.appendChild(tag);
  }

  function all() {
    load();
    formulas.forEach(function (el) {
      if (el.hasAttribute("data-fidle-math")) enqueue(el);
    });
  }

  if ("IntersectionObserver" in window) {
    observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        observer.unobserve(entry.target);
        load();
        enqueue(entry.target);
      });
    }, { rootMargin: MARGIN });
    formulas.forEach(function (el) { observer.observe(el); });
  }

  function idle() {
    var start = window.requestIdleCallback || function (f) { setTimeout(f, 1); };
    setTimeout(function () { start(all); }, IDLE_DELAY_MS);
  }
  if (document.readyState === "complete") idle();
  else window.addEventListener("load", idle);
  // Printing from the page: what has come is drawn at once.
  window.addEventListener("beforeprint", function () {
    all();
    while (drawings && queue.length) upgrade(queue.shift());
  });
})();
