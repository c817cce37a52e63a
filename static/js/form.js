// Running subtotals and the water-quality class while an inspector types, and a warning before
// leaving with unsaved changes. The server scores (one set of rules, in scoring/); this file
// only shows what it answers. Without JavaScript the form still saves and shows the same numbers.
(function () {
  "use strict";
  var form = document.getElementById("inspection-form");
  if (!form) return;
  var url = form.getAttribute("data-preview-url");
  var dirty = false, timer = null, pending = null;

  function setText(id, text) {
    var el = document.getElementById(id);
    if (el) el.textContent = text;
  }

  function showErrors(errors) {
    form.querySelectorAll(".field-error-slot").forEach(function (slot) {
      var name = slot.getAttribute("data-for");
      var message = errors[name];
      var field = slot.closest(".field");
      var input = form.querySelector('[name="' + name + '"]');
      slot.textContent = "";
      if (message) {
        var p = document.createElement("p");
        p.className = "error";
        p.id = name + "-error";
        p.setAttribute("role", "alert");
        p.textContent = message;
        slot.appendChild(p);
      }
      if (field) field.classList.toggle("has-error", !!message);
      if (input && input.type !== "checkbox" && input.type !== "radio") {
        if (message) {
          input.setAttribute("aria-invalid", "true");
          input.setAttribute("aria-describedby", name + "-error");
        } else {
          input.removeAttribute("aria-invalid");
          input.removeAttribute("aria-describedby");
        }
      }
    });
  }

  function render(data) {
    form.querySelectorAll(".indicator").forEach(function (section) {
      var code = section.getAttribute("data-code");
      var ind = data.indicators[code];
      setText("points-" + code, ind ? ind.points : "—");
      setText("explain-" + code, ind ? ind.explain : "");
      var wq = document.getElementById("wq-" + code);
      if (wq) {
        if (ind && ind.water_quality) {
          wq.textContent = "水质类别：" + ind.water_quality.label + " 类，限制因子：" +
            ind.water_quality.limiting.map(function (p) { return PARAM_NAMES[p] || p; }).join("、");
        } else {
          wq.textContent = "填齐各项参数后显示水质类别";
        }
      }
    });
    Object.keys(data.subtotals).forEach(function (dim) { setText("subtotal-" + dim, data.subtotals[dim]); });
    setText("running-total", data.total);
    setText("missing-count", data.missing.length ? "未填 " + data.missing.length + " 项" : "已全部填写");
    showErrors(data.errors);
  }

  var PARAM_NAMES = { "do": "溶解氧", codmn: "高锰酸盐指数", cod: "化学需氧量", bod5: "五日生化需氧量",
    nh3n: "氨氮", tp: "总磷", tn: "总氮", ph: "pH" };

  function refresh() {
    if (pending) pending.abort();
    pending = new AbortController();
    var body = new FormData(form);
    fetch(url, { method: "POST", body: body, signal: pending.signal, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) render(data); })
      .catch(function () { /* offline or aborted: the next keystroke tries again */ });
  }

  form.addEventListener("input", function () {
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
  form.addEventListener("change", function () { dirty = true; clearTimeout(timer); timer = setTimeout(refresh, 50); });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (e) {
    if (!dirty) return;
    e.preventDefault();
    e.returnValue = "";
  });
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
