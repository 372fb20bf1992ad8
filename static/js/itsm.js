// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("keydown", function (event) {
  // "/" focuses the page's search box, as in most agent tools.
  if (event.key === "/" && !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName)) {
    var search = document.querySelector("[data-search]");
    if (search) { event.preventDefault(); search.focus(); }
  }
});
document.addEventListener("change", function (event) {
  // "Select all" checkbox for bulk actions on queue pages.
  if (event.target.matches("[data-select-all]")) {
    var scope = event.target.closest("form") || document;
    scope.querySelectorAll("input[type=checkbox][name=" + event.target.dataset.selectAll + "]").forEach(function (box) {
      box.checked = event.target.checked;
    });
  }
});
