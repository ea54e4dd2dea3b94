/* The search index (search/search_index.json, about 860 kB) and its worker
   load when the reader turns to the search, not with every page.

   Material's bundle, served over http(s), fetches the index with an
   XMLHttpRequest and starts the search worker as soon as it runs: on a page
   that nobody searches from, that is the largest download of the page, and
   JSON parsing on the main thread. This file runs just before the bundle
   (overrides/main.html) and holds both back:
   - the request for search_index.json is opened as Material asks, but sent
     only on demand;
   - the search worker is a stand-in that queues Material's messages and
     starts the real worker on demand.
   "On demand": the search field gets the focus (click, Tab, Material's
   shortcuts f, s and /), the search toggle opens, the pointer or a finger
   comes onto the search (a head start of a few hundred milliseconds), or the
   address asks for a search or its highlighting (?q=, ?h=). From file://,
   Material already waits for the search to open: nothing is changed there. */
(function () {
  "use strict";

  if (location.protocol === "file:" || !window.XMLHttpRequest || !window.Worker) return;

  var INDEX = /\/search\/search_index\.json$/;
  var WORKER = /\/workers\/search\.[0-9a-f]+\.min\.js$/;
  var active = false;
  var pending = [];

  function activate() {
    if (active) return;
    active = true;
    var run = pending;
    pending = [];
    run.forEach(function (task) { task(); });
  }

  function whenActive(task) {
    if (active) task(); else pending.push(task);
  }

  function path(url) {
    try { return new URL(String(url), document.baseURI).pathname; } catch (e) { return ""; }
  }

  var open = XMLHttpRequest.prototype.open;
  var send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.fidleSearchIndex = INDEX.test(path(url));
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    var request = this;
    var args = arguments;
    if (!request.fidleSearchIndex || active) return send.apply(request, args);
    whenActive(function () {
      if (request.readyState === XMLHttpRequest.OPENED) send.apply(request, args);
    });
  };

  var RealWorker = window.Worker;
  function Worker(url, options) {
    if (active || !WORKER.test(path(url))) return new RealWorker(url, options);
    // Material only listens ("message") and posts: an EventTarget that
    // forwards both once the real worker exists.
    var proxy = new EventTarget();
    var queue = [];
    var real = null;
    proxy.postMessage = function (message) {
      if (real) real.postMessage(message); else if (queue) queue.push(message);
    };
    proxy.terminate = function () {
      if (real) real.terminate();
      queue = null;
    };
    whenActive(function () {
      if (!queue) return;
      real = new RealWorker(url, options);
      real.addEventListener("message", function (event) {
        proxy.dispatchEvent(new MessageEvent("message", { data: event.data }));
      });
      real.addEventListener("error", function () {
        proxy.dispatchEvent(new Event("error"));
      });
      queue.forEach(function (message) { real.postMessage(message); });
      queue = null;
    });
    return proxy;
  }
  Worker.prototype = RealWorker.prototype;
  window.Worker = Worker;

  var params = new URLSearchParams(location.search);
  if (params.has("q") || params.has("h")) {
    activate();
    return;
  }
  var toggle = document.getElementById("__search");
  if (toggle) toggle.addEventListener("change", activate);
  document.addEventListener("focusin", function (event) {
    if (event.target.closest && event.target.closest(".md-search")) activate();
  });
  document.querySelectorAll("label[for='__search'], .md-search").forEach(function (el) {
    el.addEventListener("pointerenter", activate, { once: true, passive: true });
    el.addEventListener("touchstart", activate, { once: true, passive: true });
  });
})();
