// Incident pages: keyboard navigation of the queue and small form helpers.
// Every page works without this file; it only adds shortcuts.
(function () {
  function typing() {
    var el = document.activeElement;
    return el && (/^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) || el.isContentEditable);
  }

  // Queue: j/k move between rows, x toggles the row's checkbox, Enter/o opens it.
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
    if (typing() || event.altKey || event.ctrlKey || event.metaKey || !document.querySelector("[data-queue]")) { return; }
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
