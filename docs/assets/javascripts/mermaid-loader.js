/* Mermaid (3.5 MB) must not delay the first paint of a page with a diagram.

   Material's bundle draws each `pre.mermaid` with the global `mermaid` and,
   when there is none, fetches the library from a CDN (unpkg). This small
   stand-in is that global: Material finds it, hands it its settings
   (initialize) and asks it for each diagram (render). The vendored library is
   fetched only when a diagram comes near the viewport, or once the page has
   been idle for a while after loading (so that diagrams further down are ready
   before the reader scrolls to them, and for printing); the stand-in then
   passes Material's settings and requests on to it. No CDN request can
   happen: the global exists before Material's bundle runs.

   Most diagrams never need it: overrides/hooks/mermaid_prerender.py draws
   them at build time when Chromium is at hand, and writes each SVG in a
   declarative shadow root (<template shadowrootmode="open">), as Material
   would build it. This file also attaches those shadow roots in the browsers
   that do not read that markup yet (before 2024).

   overrides/main.html loads this file on the pages with a diagram, before
   Material's bundle, with the library's address in data-src. */
(function () {
  "use strict";

  if (!HTMLTemplateElement.prototype.hasOwnProperty("shadowRootMode")) {
    document.querySelectorAll(".mermaid > template[shadowrootmode]").forEach(function (tpl) {
      var root = tpl.parentNode.attachShadow({ mode: tpl.getAttribute("shadowrootmode") });
      root.appendChild(tpl.content);
      tpl.remove();
    });
  }

  var script = document.currentScript;
  var src = script && script.getAttribute("data-src");
  // Idle time after the load event before the diagrams still off screen are
  // drawn anyway. Reading the text does not need them: the page is painted
  // and usable long before.
  var IDLE_DELAY_MS = 3000;
  // A diagram within one viewport height of the visible area starts loading.
  var MARGIN = "100% 0px";

  var settings = null;
  var library = null;          // Promise of the real mermaid object
  var waiting = [];            // resolvers of the renders not started yet
  var claimed = [];            // `pre.mermaid` elements already matched to a render

  function load() {
    if (!library) {
      library = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = src;
        tag.async = true;
        tag.onload = function () {
          var real = window.mermaid;  // the library replaced the stand-in
          if (!real || real === stub || typeof real.render !== "function") {
            reject(new Error("mermaid.min.js ne définit pas « mermaid »"));
            return;
          }
          real.initialize(settings || { startOnLoad: false });
          resolve(real);
        };
        tag.onerror = function () {
          reject(new Error("mermaid.min.js n'a pas pu être chargé : " + src));
        };
        document.head.appendChild(tag);
      });
    }
    return library;
  }

  function releaseAll() {
    var pending = waiting;
    waiting = [];
    pending.forEach(function (resolve) { resolve(); });
  }

  // The element Material is about to replace: at the time it calls render(),
  // its `pre.mermaid` is in the page and holds exactly the diagram's source.
  function findSource(text) {
    var blocks = document.querySelectorAll("pre.mermaid");
    for (var i = 0; i < blocks.length; i++) {
      if (claimed.indexOf(blocks[i]) < 0 && blocks[i].textContent === text) {
        claimed.push(blocks[i]);
        return blocks[i];
      }
    }
    return null;
  }

  // Resolves when the element comes near the viewport, or at the idle deadline.
  function nearViewport(element) {
    return new Promise(function (resolve) {
      if (!element || !("IntersectionObserver" in window)) {
        resolve();
        return;
      }
      waiting.push(resolve);
      var observer = new IntersectionObserver(function (entries) {
        if (entries.some(function (entry) { return entry.isIntersecting; })) {
          observer.disconnect();
          resolve();
        }
      }, { rootMargin: MARGIN });
      observer.observe(element);
    });
  }

  var stub = {
    initialize: function (config) { settings = config; },
    render: function (id, text) {
      return nearViewport(findSource(text))
        .then(load)
        .then(function (real) { return real.render(id, text); });
    }
  };
  window.mermaid = stub;
  // For overrides/hooks/mermaid_prerender.py, which draws the diagrams at build
  // time with the library set up exactly as Material sets it up here.
  window.fidleMermaid = {
    settings: function () { return settings; },
    load: load
  };

  function idleThenRelease() {
    setTimeout(function () {
      if ("requestIdleCallback" in window) {
        requestIdleCallback(releaseAll, { timeout: 2000 });
      } else {
        releaseAll();
      }
    }, IDLE_DELAY_MS);
  }
  if (document.readyState === "complete") {
    idleThenRelease();
  } else {
    window.addEventListener("load", idleThenRelease, { once: true });
  }
  // Printing shows every diagram: start drawing them all at once.
  window.addEventListener("beforeprint", releaseAll);
})();
