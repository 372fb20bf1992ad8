// Incident pages: keyboard navigation of the queue and small form helpers.
// Every page works without this file; it only adds shortcuts.
(function () {
  function typing() {
    return window.itsmTyping ? window.itsmTyping() : false;
  }
  function shortcutsOn() {
    return window.itsmShortcutsEnabled ? window.itsmShortcutsEnabled() : true;
  }

  // Queue: j/k move between rows, x toggles the row's checkbox, Enter/o opens it.
  // Single-key shortcuts can be switched off on the queue page (WCAG 2.1.4); Ctrl+Enter stays.
  var current = -1;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-queue] tbody tr[data-row]")); }
  function focusRow(index) {
    var list = rows();
    if (!list.length) { return; }
    current = Math.max(0, Math.min(index, list.length - 1));
    list.forEach(function (row, i) { row.classList.toggle("is-current", i === current); });
    var link = list[current].querySelector("a.row-link");
    if (link) { link.focus(); }
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey && event.key === "Enter") {
      var form = event.target.closest && event.target.closest("form[data-ctrl-enter]");
      if (form) { event.preventDefault(); form.requestSubmit(); }
      return;
    }
    if (!shortcutsOn() || typing() || event.altKey || event.ctrlKey || event.metaKey || !document.querySelector("[data-queue]")) { return; }
    var list = rows();
    if (document.activeElement && document.activeElement.closest) {
      var row = document.activeElement.closest("tr[data-row]");
      if (row) { current = list.indexOf(row); }
    }
    if (event.key === "j") { event.preventDefault(); focusRow(current + 1); }
    else if (event.key === "k") { event.preventDefault(); focusRow(current - 1); }
    else if (event.key === "x" && current >= 0 && list[current]) {
      event.preventDefault();
      var box = list[current].querySelector("input[type=checkbox]");
      if (box) { box.checked = !box.checked; }
    } else if (event.key === "o" && current >= 0 && list[current]) {
      var link = list[current].querySelector("a.row-link");
      if (link) { link.click(); }
    }
  });

  // Which control had focus in the results before htmx replaces them, so that focus can return to
  // its counterpart afterwards (WCAG 2.4.3): a sort header by its column, a pager link by its rel,
  // anything else by its id; otherwise the table itself. Without this, focus fell to <body>.
  var pendingFocus = null;
  function focusKey(el) {
    if (!el || !el.closest || el.id === "queue-results" || !el.closest("#queue-results")) { return null; }
    var th = el.closest("th");
    if (th && el.tagName === "A") { return {column: th.cellIndex}; }
    if (el.getAttribute("rel")) { return {rel: el.getAttribute("rel")}; }
    if (el.id) { return {id: el.id}; }
    return {table: true};
  }
  function restoreFocus(key) {
    var results = document.getElementById("queue-results");
    if (!results || !key) { return; }
    var target = null;
    if (key.column !== undefined) {
      var th = results.querySelectorAll("thead th")[key.column];
      target = th && th.querySelector("a");
    } else if (key.rel) {
      target = results.querySelector(".pagination a[rel=" + key.rel + "]") || results.querySelector(".pagination a");
    } else if (key.id) {
      target = document.getElementById(key.id);
    }
    if (!target) {
      target = results.querySelector("table");
      if (target) { target.setAttribute("tabindex", "-1"); }
    }
    if (target) { target.focus(); }
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    // A sort or pager link is the control to return to (a click does not focus it in every
    // browser); for the periodic refresh, whatever in the results has focus (e.g. a row link).
    var fromResults = elt.id !== "queue-results" && elt.closest && elt.closest("#queue-results");
    pendingFocus = focusKey(fromResults ? elt : document.activeElement);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target && event.detail.target.id === "queue-results" && pendingFocus) {
      restoreFocus(pendingFocus);
    }
    pendingFocus = null;
  });

  // Requests that the CSP-safe triggers cannot filter by themselves (no eval for htmx filters):
  // the search box's "change" (it refreshes on typing), and the 60-second refresh while the tab is
  // hidden or rows are selected for a bulk action.
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt, trigger = event.detail.triggeringEvent;
    if (elt.id === "queue-filters" && trigger && trigger.type === "change" && trigger.target.matches("[data-search]")) {
      event.preventDefault();
    } else if (elt.matches && elt.matches("[data-refresh]") &&
        (document.visibilityState !== "visible" || elt.querySelector("input[name=numbers]:checked"))) {
      event.preventDefault();
    }
  });

  // Rows are replaced by htmx swaps: start again from the top.
  document.addEventListener("htmx:afterSwap", function () { current = -1; });

  // Queue filters: leave empty fields out of the request, so the pushed URL stays readable.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.id !== "queue-filters" || !event.detail.formData) { return; }
    var data = event.detail.formData, empty = [];
    data.forEach(function (value, key) {
      if (value === "" || (key === "unassigned" && value === "unknown")) { empty.push(key); }
    });
    empty.forEach(function (key) { data.delete(key); });
  });

  // Bulk bar: show the fields of the chosen action only.
  function syncBulk() {
    var action = document.getElementById("id_bulk_action");
    if (!action) { return; }
    document.querySelectorAll("[data-bulk-part]").forEach(function (part) {
      part.hidden = action.value !== part.dataset.bulkPart;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "id_bulk_action") { syncBulk(); }
  });
  document.addEventListener("DOMContentLoaded", syncBulk);
})();
