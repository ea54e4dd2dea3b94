/* Renders the formulas that pymdownx.arithmatex (generic mode) leaves as
   <span class="arithmatex">\(...\)</span> and <div class="arithmatex">\[...\]</div>.
   Subscribing to Material's document$ renders again after each page switch
   should navigation.instant ever be enabled. Only .arithmatex elements are
   scanned: a "$" in prose or code is never taken for math. */
document$.subscribe(function ({ body }) {
  if (typeof renderMathInElement === "undefined") {
    return;  // KaTeX is only loaded on pages that contain math
  }
  body.querySelectorAll(".arithmatex").forEach(function (el) {
    renderMathInElement(el, {
      delimiters: [
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true }
      ],
      throwOnError: false
    });
  });
});
