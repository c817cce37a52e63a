// Running subtotals, the water-quality class, the gates that hold and the projected decision
// while an inspector types — with or without a network — and a warning before leaving with
// unsaved changes.
//
// Every keystroke is scored on the device at once (static/js/scoring.js, from the rubric data of
// GET /rubrics/<id>/<version>.json: the server's rules, exact to the cent). When online, the
// server's preview is still asked (debounced) and its answer replaces the local one: the server
// is authoritative, and only it has the explanations and the messages in words. Offline, or when
// the server does not answer, the local result simply stays: nothing breaks and nothing says so.
// Without JavaScript the form still saves and shows the same numbers.
(function () {
  "use strict";
  var form = document.getElementById("inspection-form");
  if (!form) return;
  var url = form.getAttribute("data-preview-url"); // absent on a form not saved yet
  var rubricUrl = form.getAttribute("data-rubric-url");
  var scorer = window.HRScoring || null; // absent in a browser without BigInt: server only
  var rubric = null;
  // A page shown again after a refused submit or a conflict holds answers not yet saved.
  var dirty = form.hasAttribute("data-unsaved"), timer = null, pending = null;
  var edits = 0; // bumped on every edit: a server answer about older input is not shown
  var NOT_ANSWERS = { csrf_token: true, version: true, action: true, idempotency_key: true };

  // The page's language: texts the template put in <script id="form-texts">.
  var T = JSON.parse(document.getElementById("form-texts").textContent);

  function setText(id, text) {
    var el = document.getElementById(id);
    if (el) el.textContent = text;
  }

  // -- the form's fields, as the server's form reads them (scoring.js answersFromFields) --------

  function readFields() {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      var name = el.name;
      if (!name || el.disabled || NOT_ANSWERS[name] || /^(submit|button|file|reset)$/.test(el.type)) return;
      if (el.type === "checkbox" && name.indexOf("gate_") === 0) {
        fields[name] = el.checked; // a gate: one box, true or false
      } else if (el.type === "checkbox") {
        if (!fields[name]) fields[name] = []; // a checklist: the items ticked
        if (el.checked) fields[name].push(el.value);
      } else if (el.type === "radio") {
        if (!(name in fields)) fields[name] = null;
        if (el.checked) fields[name] = el.value;
      } else {
        fields[name] = el.value;
      }
    });
    return fields;
  }

  // What an indicator's explanation, or a field's message, was written for: the server's texts
  // are kept while what they describe is unchanged, and dropped (never left stale) once it is not.
  function indicatorInput(fields, code) {
    return JSON.stringify(Object.keys(fields).sort().filter(function (name) {
      return name === code || name.indexOf(code + "_") === 0;
    }).map(function (name) { return [name, fields[name]]; }));
  }

  var explained = {}; // code → {input, text}
  var messages = {}; // field name → {input, text}

  function remember(fields, data) {
    form.querySelectorAll(".indicator").forEach(function (section) {
      var code = section.getAttribute("data-code");
      var ind = data ? data.indicators[code] : null;
      var el = document.getElementById("explain-" + code);
      explained[code] = {
        input: indicatorInput(fields, code),
        text: data ? (ind && ind.explain) || "" : el ? el.textContent : "",
      };
    });
    messages = {};
    form.querySelectorAll(".field-error-slot").forEach(function (slot) {
      var name = slot.getAttribute("data-for");
      var text = data ? data.errors[name] : slot.textContent.trim();
      if (text) messages[name] = { input: JSON.stringify(fields[name]), text: text };
    });
  }

  // -- rendering (the server's answer and the local one alike) ---------------------------------

  function showErrors(errors, fields) {
    form.querySelectorAll(".field-error-slot").forEach(function (slot) {
      var name = slot.getAttribute("data-for");
      var message = errors[name];
      if (message && fields) { // a local result names the field, not the words: reuse or generic
        var known = messages[name];
        message = known && known.input === JSON.stringify(fields[name]) ? known.text : T.check_field || "!";
      }
      var field = slot.closest(".field");
      var input = form.querySelector('[name="' + name + '"]');
      var current = slot.textContent.trim();
      if ((message || "") !== current) {
        slot.textContent = "";
        if (message) {
          var p = document.createElement("p");
          p.className = "error";
          p.id = name + "-error";
          p.setAttribute("role", "alert");
          p.textContent = message;
          slot.appendChild(p);
        }
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

  function statusText(data) {
    var parts = [], shown = Object.keys(data.errors).length;
    if (data.missing.length) parts.push(T.missing.replace("{n}", data.missing.length));
    if (shown && T.invalid) parts.push(T.invalid.replace("{n}", shown));
    if (parts.length) return parts.join(T.comma || "，");
    // an error not shown yet (e.g. a gate ticked without its note) is still not "complete"
    return data.complete ? T.complete : "";
  }

  function showProjection(data) {
    var codes = (data.gates || []).map(function (g) { return typeof g === "string" ? g : g.code; });
    var decision = document.getElementById("projected-decision");
    if (decision) {
      decision.setAttribute("data-decision", data.decision || "");
      decision.textContent = "";
      if (data.decision && T.decisions) {
        var strong = document.createElement("strong");
        strong.textContent = T.decisions[data.decision];
        decision.appendChild(document.createTextNode(T.decision || ""));
        decision.appendChild(strong);
      } else if (T.pending) {
        var muted = document.createElement("span");
        muted.className = "muted";
        muted.textContent = T.pending;
        decision.appendChild(muted);
      }
    }
    var gates = document.getElementById("gates-held");
    if (gates) {
      gates.setAttribute("data-gates", codes.join(" "));
      gates.textContent = "";
      if (codes.length) {
        gates.appendChild(document.createTextNode(T.gates || ""));
        codes.forEach(function (code, i) {
          if (i) gates.appendChild(document.createTextNode(T.list_sep));
          var strong = document.createElement("strong");
          strong.textContent = code;
          gates.appendChild(strong);
        });
      }
    }
  }

  // fields: given for a local result (its texts come from what the server last said)
  function render(data, fields) {
    form.querySelectorAll(".indicator").forEach(function (section) {
      var code = section.getAttribute("data-code");
      var ind = data.indicators[code];
      setText("points-" + code, ind ? ind.points : "—");
      var text = ind ? ind.explain : "";
      if (fields) {
        var known = explained[code];
        text = ind && known && known.input === indicatorInput(fields, code) ? known.text : "";
      }
      setText("explain-" + code, text || "");
      var wq = document.getElementById("wq-" + code);
      if (wq) waterText(wq, ind && ind.water_quality);
    });
    Object.keys(data.subtotals).forEach(function (dim) { setText("subtotal-" + dim, data.subtotals[dim]); });
    setText("running-total", data.total);
    setText("missing-count", statusText(data));
    showProjection(data);
    showErrors(data.errors, fields);
    form.setAttribute("data-scored-by", fields ? "device" : "server");
  }

  // -- scoring: here at once, and by the server when it answers ---------------------------------

  function scoreHere() {
    if (!rubric || !scorer) return;
    var fields = readFields(), data;
    try {
      data = scorer.formPreview(rubric, fields);
    } catch (e) {
      return; // never break the form: the server's answer will do
    }
    render(data, fields);
  }

  function askServer() {
    if (!url || navigator.onLine === false) return;
    if (pending) pending.abort();
    var controller = pending = new AbortController();
    var asked = edits, fields = readFields();
    fetch(url, { method: "POST", body: new FormData(form), signal: controller.signal, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || asked !== edits) return; // typed since: the local result is newer
        remember(fields, data);
        render(data);
      })
      .catch(function () { /* offline, unreachable or aborted: the local result stands */ });
  }

  function edited(delay) {
    dirty = true;
    edits += 1;
    scoreHere();
    clearTimeout(timer);
    timer = setTimeout(askServer, delay);
  }

  form.addEventListener("input", function () { edited(250); });
  form.addEventListener("change", function () { edited(50); });
  // back online: the server's word replaces what was computed here meanwhile
  window.addEventListener("online", function () { if (edits) { clearTimeout(timer); timer = setTimeout(askServer, 50); } });

  // The rubric data: from the network, the service worker's cache or, failing both, the copy
  // kept from an earlier visit (it is the published rubric: nothing private).
  remember(readFields(), null);
  if (scorer && rubricUrl) {
    var kept = "hr-rubric:" + rubricUrl;
    fetch(rubricUrl, { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.text();
      })
      .then(function (text) {
        try { localStorage.setItem(kept, text); } catch (e) { /* full or disabled: no matter */ }
        return text;
      })
      .catch(function () {
        try { return localStorage.getItem(kept); } catch (e) { return null; }
      })
      .then(function (text) {
        if (!text) return;
        rubric = JSON.parse(text);
        form.setAttribute("data-device-scoring", "ready");
        if (edits) scoreHere(); // typed (or restored) before the data arrived
      })
      .catch(function () { /* no rubric data: the server's preview alone */ });
  }

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
