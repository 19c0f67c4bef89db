// Behaviour every page shares, kept out of the HTML so the Content-Security-Policy can forbid
// inline scripts and style attributes (script-src 'self'; style-src 'self').
(function () {
  "use strict";

  // <form data-confirm="确定……？">: ask before submitting.
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // <button data-print>: the browser's print dialog.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) window.print();
  });

  // data-width / data-left="42.0%": sizes set from the script (CSSOM), which CSP allows.
  function size(root) {
    root.querySelectorAll("[data-width]").forEach(function (el) {
      el.style.width = el.getAttribute("data-width");
    });
    root.querySelectorAll("[data-left]").forEach(function (el) {
      el.style.left = el.getAttribute("data-left");
    });
  }

  // <div data-poll="/reports/jobs/…/status/">: a background job's progress, then a reload.
  function poll(panel) {
    var url = panel.getAttribute("data-poll");
    var bar = panel.querySelector("progress");
    var label = panel.querySelector("[data-label]");
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        bar.max = d.total || 1;
        bar.value = d.progress;
        label.textContent = d.label + "…… " + (d.total ? d.progress + " / " + d.total + " 行" : "");
        if (d.status === "queued" || d.status === "running") setTimeout(function () { poll(panel); }, 1000);
        else location.reload();
      })
      .catch(function () { setTimeout(function () { poll(panel); }, 3000); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    size(document);
    document.querySelectorAll("[data-poll]").forEach(poll);
  });
})();
