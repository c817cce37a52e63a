// The survey's submit button waits out the minimum answering time (data-min-seconds on the
// form) before it can be pressed, so a quick person is not refused by the server's check.
// Without JavaScript the button works at once and the server alone decides. No inline script.
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form) return;
  var button = document.getElementById("survey-submit");
  var seconds = parseFloat(form.getAttribute("data-min-seconds") || "0");
  if (!button || !(seconds > 0)) return;
  button.disabled = true;
  // a little over the minimum: the server counts whole seconds from the signed stamp
  window.setTimeout(function () { button.disabled = false; }, seconds * 1000 + 300);
})();
