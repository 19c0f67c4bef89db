// The completion table's metric-group toggles and its two sticky header rows. An external
// file, not inline, because the Content-Security-Policy allows scripts from 'self' only.
// Without JavaScript the toggles still work: they are a GET form the server honours.
(function () {
  "use strict";

  var form = document.querySelector("[data-metric-toggles]");
  var table = document.querySelector("[data-completion]");
  if (!form || !table) return;
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=show]"));
  var storeKey = "targets:show:" + form.getAttribute("data-plan");

  function checkedCodes() {
    return boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
  }

  // The chosen groups in a query string: none listed means all (the server's rule too).
  function withShow(search, codes) {
    var params = new URLSearchParams(search);
    params.delete("show");
    if (codes.length < boxes.length) codes.forEach(function (c) { params.append("show", c); });
    var text = params.toString();
    return text ? "?" + text : "";
  }

  function remember(codes) {
    try {
      if (codes.length < boxes.length) localStorage.setItem(storeKey, JSON.stringify(codes));
      else localStorage.removeItem(storeKey);
    } catch (e) { /* private mode: the query string still remembers */ }
  }

  function apply(codes) {
    table.querySelectorAll("[data-metric]").forEach(function (cell) {
      cell.hidden = codes.indexOf(cell.getAttribute("data-metric")) < 0;
    });
    // The address and the export button keep the choice (reload, bookmark, Excel).
    history.replaceState(null, "", location.pathname + withShow(location.search, codes) + location.hash);
    document.querySelectorAll("[data-completion-export]").forEach(function (link) {
      var url = new URL(link.href, location.href);
      link.href = url.pathname + withShow(url.search, codes);
    });
    var note = document.querySelector("[data-chosen-note]");
    if (note) note.hidden = codes.length === boxes.length;
    placeSecondRow();
  }

  boxes.forEach(function (box) {
    box.addEventListener("change", function () {
      if (!checkedCodes().length) box.checked = true; // an empty table helps nobody
      var codes = checkedCodes();
      remember(codes);
      apply(codes);
    });
  });

  // The second header row sticks just under the first, whose height depends on the text.
  function placeSecondRow() {
    var rows = table.tHead ? table.tHead.rows : [];
    if (rows.length < 2) return;
    var top = rows[0].getBoundingClientRect().height;
    Array.prototype.forEach.call(rows[1].cells, function (th) { th.style.top = top + "px"; });
  }
  window.addEventListener("resize", placeSecondRow);

  // An address without a choice: the one this browser last made for this plan, if any.
  if (!new URLSearchParams(location.search).has("show")) {
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem(storeKey) || "null"); } catch (e) { saved = null; }
    if (Array.isArray(saved)) {
      var known = boxes.map(function (b) { return b.value; });
      saved = saved.filter(function (c) { return known.indexOf(c) >= 0; });
      if (saved.length) boxes.forEach(function (b) { b.checked = saved.indexOf(b.value) >= 0; });
    }
  }
  apply(checkedCodes());
})();
