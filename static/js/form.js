// Running subtotals and the water-quality class while an inspector types, and a warning before
// leaving with unsaved changes. The server scores (one set of rules, in scoring/); this file
// only shows what it answers. Without JavaScript the form still saves and shows the same numbers.
(function () {
  "use strict";
  var form = document.getElementById("inspection-form");
  if (!form) return;
  var url = form.getAttribute("data-preview-url");
  // A page shown again after a refused submit or a conflict holds answers not yet saved.
  var dirty = form.hasAttribute("data-unsaved"), timer = null, pending = null;

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

  // The page's language: texts the template put in <script id="form-texts">.
  var T = JSON.parse(document.getElementById("form-texts").textContent);

  function waterText(el, wq) {
    el.textContent = "";
    if (!wq) { el.textContent = T.wq_pending; return; }
    var label = wq.label === "劣Ⅴ" ? T.wq_worst : wq.label;
    var strong = document.createElement("strong");
    strong.textContent = T.wq_class.replace("{label}", label);
    var names = wq.limiting.map(function (p) { return T.params[p] || p; }).join(T.list_sep);
    el.appendChild(document.createTextNode(T.wq_prefix));
    el.appendChild(strong);
    el.appendChild(document.createTextNode(T.wq_limiting + names));
  }

  function render(data) {
    form.querySelectorAll(".indicator").forEach(function (section) {
      var code = section.getAttribute("data-code");
      var ind = data.indicators[code];
      setText("points-" + code, ind ? ind.points : "—");
      setText("explain-" + code, ind ? ind.explain : "");
      var wq = document.getElementById("wq-" + code);
      if (wq) waterText(wq, ind && ind.water_quality);
    });
    Object.keys(data.subtotals).forEach(function (dim) { setText("subtotal-" + dim, data.subtotals[dim]); });
    setText("running-total", data.total);
    setText("missing-count", data.missing.length ? T.missing.replace("{n}", data.missing.length) : T.complete);
    showErrors(data.errors);
  }

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

  // Uploading evidence leaves the page. Typed but unsaved answers are saved as a draft first,
  // so a photo taken half-way through the form never costs what was typed.
  var upload = document.getElementById("upload-form");
  var uploadStatus = document.getElementById("upload-status");
  if (upload) {
    upload.addEventListener("submit", function (e) {
      if (!dirty) return;
      e.preventDefault();
      var body = new FormData(form);
      body.set("action", "save");
      if (uploadStatus) uploadStatus.textContent = upload.getAttribute("data-saving");
      // getAttribute: form.action would be the buttons named "action"
      fetch(form.getAttribute("action"), { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) {
          if (!r.ok) throw new Error(String(r.status));
          dirty = false;
          upload.submit();
        })
        .catch(function () {
          if (uploadStatus) uploadStatus.textContent = upload.getAttribute("data-save-failed");
        });
    });
  }
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
