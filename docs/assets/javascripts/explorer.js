/* Explorers over real runs ({{ fidle:explorer NAME }}, src/fidle_examples/build/explorer.py, plugin/explorerhtml.py).
   Every state was trained and drawn when the site was built: the page holds the first
   one, and its JSON what the others show. This script only shows the controls and,
   when one moves, swaps the images' src and alt, the numbers, the text alternative
   (an aria-live region) and the command. An image is loaded when its state is chosen.
   No request of its own, no library: works offline and from file://. A page without
   an explorer is left untouched. */
(function () {
  "use strict";

  var explorers = document.querySelectorAll(".fidle-explorer");
  if (!explorers.length) {
    return;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  // The text alternative of a state, as explorerhtml._summary writes the first one.
  function fillSummary(region, state) {
    region.textContent = "";
    var setting = element("p", "fidle-explorer__setting");
    setting.appendChild(element("strong", "", "Réglage affiché\u00a0:"));
    setting.appendChild(document.createTextNode(" " + state.setting + "."));
    region.appendChild(setting);
    if (state.metrics.length) {
      var list = element("dl", "fidle-explorer__metrics");
      state.metrics.forEach(function (pair) {
        var row = element("div");
        row.appendChild(element("dt", "", pair[0]));
        row.appendChild(element("dd", "", pair[1]));
        list.appendChild(row);
      });
      region.appendChild(list);
    }
    state.warnings.forEach(function (text) {
      region.appendChild(element("p", "fidle-explorer__warning", text));
    });
  }

  function setUp(root) {
    var script = root.querySelector("script.fidle-explorer__data");
    var data;
    try {
      data = JSON.parse(script.textContent);
    } catch (e) {
      return;  // damaged page: the first state stays, with its note
    }
    var images = root.querySelectorAll(".fidle-explorer__figures img");
    // Every file of the explorer sits beside the first image (generated/NAME/explorer/).
    var base = images[0].getAttribute("src").replace(/[^\/]*$/, "");
    var region = root.querySelector(".fidle-explorer__state");
    var code = root.querySelector(".fidle-explorer__command code");
    var ranges = root.querySelectorAll("input[type=range][data-control]");
    var groups = root.querySelectorAll("fieldset[data-control]");

    function choice() {
      var chosen = [];
      Array.prototype.forEach.call(ranges, function (input) {
        chosen[Number(input.getAttribute("data-control"))] = input.value;
      });
      Array.prototype.forEach.call(groups, function (group) {
        var checked = group.querySelector("input:checked");
        chosen[Number(group.getAttribute("data-control"))] = checked ? checked.value : "0";
      });
      return chosen;
    }

    function show() {
      var chosen = choice();
      var state = data.states[chosen.join("-")];
      if (!state) {
        return;
      }
      Array.prototype.forEach.call(ranges, function (input) {
        var index = Number(input.getAttribute("data-control"));
        var text = data.controls[index][Number(input.value)];
        input.setAttribute("aria-valuetext", text);
        var output = input.parentNode.querySelector("output");
        if (output) {
          output.textContent = text;
        }
      });
      Array.prototype.forEach.call(images, function (img, i) {
        img.setAttribute("src", base + state.files[i]);
        img.setAttribute("alt", data.captions[i] + " — " + state.setting);
      });
      fillSummary(region, state);
      code.textContent = state.command;
      root.setAttribute("data-state", chosen.join("-"));
    }

    root.querySelector(".fidle-explorer__controls").hidden = false;
    root.querySelector(".fidle-explorer__nojs").hidden = true;
    root.addEventListener("input", show);
    root.addEventListener("change", show);
    show();  // a browser may have restored the controls of a previous visit
  }

  Array.prototype.forEach.call(explorers, setUp);
})();
