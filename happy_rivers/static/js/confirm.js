// Asks before a step that cannot be undone: any button or link with data-confirm="question".
// Without JavaScript the button simply works; with it, "Cancel" stops the click. No inline
// script, so the page's Content-Security-Policy can forbid them.
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var target = e.target.closest ? e.target.closest("[data-confirm]") : null;
    if (!target) return;
    if (!window.confirm(target.getAttribute("data-confirm"))) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);
})();
