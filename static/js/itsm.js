// Small progressive enhancements; every page works without JavaScript. No inline script or event
// handler anywhere (Content-Security-Policy): pages mark elements with data-* attributes instead.
(function () {
  var STORAGE_KEY = "itsm.singleKeyShortcuts";

  // WCAG 2.1.4: single-key shortcuts can be turned off, and the choice is remembered.
  function shortcutsEnabled() {
    try { return window.localStorage.getItem(STORAGE_KEY) !== "off"; } catch (e) { return true; }
  }
  window.itsmShortcutsEnabled = shortcutsEnabled;

  function syncShortcutToggles() {
    document.querySelectorAll("[data-shortcuts-toggle]").forEach(function (box) {
      box.checked = shortcutsEnabled();
      var wrapper = box.closest("[data-shortcuts-setting]");
      if (wrapper) { wrapper.hidden = false; }  // only useful with JavaScript
    });
  }
  document.addEventListener("DOMContentLoaded", syncShortcutToggles);
  document.addEventListener("change", function (event) {
    if (!event.target.matches("[data-shortcuts-toggle]")) { return; }
    try { window.localStorage.setItem(STORAGE_KEY, event.target.checked ? "on" : "off"); } catch (e) { /* private mode */ }
    syncShortcutToggles();
  });

  function typing() {
    var el = document.activeElement;
    return el && (/^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) || el.isContentEditable);
  }
  window.itsmTyping = typing;

  document.addEventListener("keydown", function (event) {
    // "/" focuses the page's search box, as in most agent tools.
    if (event.key === "/" && shortcutsEnabled() && !typing() && !event.ctrlKey && !event.metaKey && !event.altKey) {
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

  document.addEventListener("click", function (event) {
    // Print buttons on report pages.
    if (event.target.closest("[data-print]")) { event.preventDefault(); window.print(); }
  });

  // Knowledge suggestions follow a form field (data-suggest-for="<field id>"): send its text as q.
  document.addEventListener("htmx:configRequest", function (event) {
    var forId = event.detail.elt.dataset && event.detail.elt.dataset.suggestFor;
    if (!forId || !event.detail.formData) { return; }
    var field = document.getElementById(forId);
    event.detail.formData.set("q", field ? field.value : "");
  });
})();
