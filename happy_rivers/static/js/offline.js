// The inspector's work survives a lost signal (issue 10 §1). On every signed-in page:
// - registers the service worker (/sw.js) and asks for persistent storage;
// - keeps what is typed into an inspection form in IndexedDB as it is typed (user + page URL),
//   and on load puts back what a reload, a crash or a closed tab would have lost;
// - without a network, 保存草稿 / 提交审核 go into the outbox instead of to the browser's error
//   page; the outbox is sent on load, on the `online` event and by Background Sync, each entry
//   with its own Idempotency-Key, and the header badge counts what waits;
// - sign-out asks before dropping unsynced work, then clears this user's data from the device.
// Texts come from <script id="offline-config"> (templates/pwa/_client.html), in the page's language.
(function () {
  "use strict";
  var S = window.HappyRiversStore;
  var configEl = document.getElementById("offline-config");
  if (!configEl || !S) return;
  var C = JSON.parse(configEl.textContent);
  var T = C.texts;
  var user = String(C.user);
  var SYNC_TAG = "happy-rivers-outbox";
  // forms whose posts can wait in the outbox: an assessment's form, and the new-assessment form
  var QUEUEABLE = [/^\/assessments\/\d+\/edit$/, /^\/waterbodies\/\d+\/assessments$/];
  var NOT_KEPT = { csrf_token: true, version: true, idempotency_key: true, action: true };
  var here = location.pathname + location.search;
  var statusEl = document.getElementById("offline-status");
  var badge = document.getElementById("outbox-badge");

  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }

  // -- messages (one line per topic, in the live region at the top of <main>) ------------------

  function say(topic, text, kind, actions) {
    if (!statusEl) return;
    var line = statusEl.querySelector('[data-topic="' + topic + '"]');
    if (!text) {
      if (line) line.remove();
      statusEl.hidden = !statusEl.children.length;
      return;
    }
    if (!line) {
      line = document.createElement("div");
      line.setAttribute("data-topic", topic);
      statusEl.appendChild(line);
    }
    line.className = "flash flash-" + (kind || "info") + " offline-" + topic;
    line.textContent = "";
    var p = document.createElement("span");
    p.textContent = text;
    line.appendChild(p);
    (actions || []).forEach(function (a) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "link-button";
      b.textContent = a.label;
      b.addEventListener("click", a.run);
      line.appendChild(b);
    });
    statusEl.hidden = false;
  }

  function showConnection() {
    say("offline", navigator.onLine ? "" : T.offline, "warning");
  }

  // -- the service worker and the storage ------------------------------------------------------

  var swReady = null;
  if ("serviceWorker" in navigator) {
    swReady = navigator.serviceWorker.register(C.sw, { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    });
    swReady.catch(function () { /* no worker (e.g. private mode): drafts and outbox still work */ });
    navigator.serviceWorker.addEventListener("message", function (e) {
      if (e.data && e.data.type === "outbox-flushed") sentByWorker(e.data);
    });
  }
  // Best effort: without it the browser may evict the drafts under storage pressure.
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persisted().then(function (yes) { return yes || navigator.storage.persist(); })
      .catch(function () {});
  }

  function requestSync() {
    if (!swReady) return;
    swReady.then(function (reg) {
      if (reg.sync) return reg.sync.register(SYNC_TAG);
    }).catch(function () { /* no Background Sync: the online event and the next page load send */ });
  }

  // data-offline-prefetch: space-separated URLs to keep (or, empty, the element's own href)
  function prefetchUrls(root) {
    var urls = [];
    (root ? [root] : document.querySelectorAll("[data-offline-prefetch]")).forEach(function (el) {
      var list = (el.getAttribute("data-offline-prefetch") || el.getAttribute("href") || "").trim();
      list.split(/\s+/).forEach(function (url) { if (url) urls.push(new URL(url, location.href).href); });
    });
    return urls;
  }

  // 开始填写 on a waterbody page creates the assessment on the server. Without a network the
  // blank form of the chosen kind (kept when this page was opened: the URL is on the kind's
  // option, or in the form's own list) opens instead; it creates the assessment, answers and all,
  // when its first save is sent.
  document.querySelectorAll("form").forEach(function (form) {
    if (!form.hasAttribute("data-offline-prefetch") && !form.querySelector("[data-offline-prefetch]")) return;
    form.addEventListener("submit", function (e) {
      if (navigator.onLine) return;
      var kind = form.querySelector('[name="kind"]');
      var option = kind && kind.selectedOptions && kind.selectedOptions[0];
      var url = option && option.hasAttribute("data-offline-prefetch") ? prefetchUrls(option)[0]
        : prefetchUrls(form).find(function (u) {
          return !kind || new URL(u).searchParams.get("kind") === kind.value;
        });
      if (!url) return;
      e.preventDefault();
      location.assign(url);
    });
  });

  // The page the inspector opened first (before the worker controlled it) is kept too, and so
  // are the new-assessment forms the waterbody page marks for offline use.
  function keepForOffline() {
    if (!window.caches || !navigator.onLine) return;
    var urls = [];
    if (!navigator.serviceWorker || !navigator.serviceWorker.controller) {
      if (document.querySelector("main") && !document.querySelector("[data-offline-no-cache]")) urls.push(location.href);
    }
    prefetchUrls().forEach(function (url) { urls.push(url); });
    if (!urls.length) return;
    caches.open(S.PAGES_CACHE).then(function (cache) {
      return Promise.all(urls.map(function (url) {
        return fetch(url, { credentials: "same-origin" }).then(function (r) {
          if (r.status === 200 && !r.redirected) return cache.put(url, r);
        }).catch(function () {});
      }));
    });
  }

  // -- drafts ----------------------------------------------------------------------------------

  function isQueueable(form) {
    var action = form.getAttribute("action") || location.pathname;
    var path = new URL(action, location.href).pathname;
    return (form.getAttribute("method") || "").toLowerCase() === "post" && form.querySelector('[name="action"]')
      && QUEUEABLE.some(function (re) { return re.test(path); });
  }

  function capture(form) {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || NOT_KEPT[el.name] || el.disabled) return;
      if (el.type === "file" || el.type === "submit" || el.type === "button") return;
      var values = fields[el.name] || (fields[el.name] = []);
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) values.push(el.value);
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.selectedOptions, function (o) { values.push(o.value); });
      } else {
        values.push(el.value);
      }
    });
    return fields;
  }

  // "90" and "90.0" are the same answer: the server writes numbers back its own way
  function same(a, b) {
    a = a || []; b = b || [];
    if (a.length !== b.length) return false;
    var x = a.slice().sort(), y = b.slice().sort();
    return x.every(function (v, i) {
      if (v === y[i]) return true;
      var p = v.trim(), q = y[i].trim();
      return p !== "" && q !== "" && !isNaN(p) && !isNaN(q) && Number(p) === Number(q);
    });
  }

  function put(form, name, values) {
    form.querySelectorAll('[name="' + name + '"]').forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") el.checked = values.indexOf(el.value) >= 0;
      else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = values.indexOf(o.value) >= 0; });
      } else el.value = values[0] === undefined ? "" : values[0];
    });
  }

  function versionOf(form) {
    var v = form.querySelector('[name="version"]');
    return v ? v.value : null;
  }

  // One inspection form on this page: its draft, its queued posts, its key for this submit.
  function FormKeeper(form) {
    this.form = form;
    this.key = here;
    // what the server gave this page: the base a draft's edits are measured against
    this.base = { fields: capture(form), version: versionOf(form) };
    this.writing = null;
    this.again = false;
    this.lastBody = null;
    this.lastKey = null;
  }

  FormKeeper.prototype.save = function () {
    var self = this;
    if (this.writing) { this.again = true; return this.writing; }
    this.writing = S.saveDraft(user, this.key, capture(this.form), this.base.version,
                               { baseFields: this.base.fields })
      .catch(function () {})
      .then(function () {
        self.writing = null;
        if (self.again) { self.again = false; return self.save(); }
      });
    return this.writing;
  };

  // Put back what was typed here and not yet saved. Only the fields the inspector changed are
  // applied, over what the server shows now; a field a colleague changed meanwhile too makes the
  // form go back to the version those edits were made on, so saving shows the conflict view
  // instead of overwriting the colleague's value.
  FormKeeper.prototype.restore = function (draft) {
    var self = this, form = this.form;
    var now = capture(form), applied = 0, clashes = 0;
    var reposted = form.hasAttribute("data-unsaved");
    Object.keys(draft.fields).forEach(function (name) {
      var mine = draft.fields[name], base = (draft.baseFields || {})[name], current = now[name];
      if (!(name in now) || same(mine, base) || same(mine, current)) return;
      if (!same(current, base) && !reposted) clashes += 1;
      put(form, name, mine);
      applied += 1;
    });
    if (reposted || clashes) {
      // the edits are still measured against the version they were made on
      this.base = { fields: draft.baseFields || this.base.fields, version: reposted ? this.base.version : draft.baseVersion };
    }
    if (!applied) {
      if (!reposted) return S.deleteDraft(user, this.key);
      return null;
    }
    if (clashes) {
      var v = form.querySelector('[name="version"]');
      if (v && draft.baseVersion !== null) v.value = draft.baseVersion;
    }
    say("restored", clashes ? fmt(T.restored_stale, { n: clashes }) : T.restored, clashes ? "warning" : "info");
    // the running subtotals (static/js/form.js) follow the restored answers
    form.dispatchEvent(new Event("input", { bubbles: true }));
    return self.save();
  };

  FormKeeper.prototype.fieldsToSend = function (submitter) {
    var data = new FormData(this.form);
    var fields = [];
    data.forEach(function (value, name) {
      if (typeof value === "string" && name !== "idempotency_key") fields.push([name, value]);
    });
    if (submitter && submitter.name) fields.push([submitter.name, submitter.value]);
    return fields;
  };

  FormKeeper.prototype.onSubmit = function (e) {
    var self = this, form = this.form, submitter = e.submitter;
    var fields = this.fieldsToSend(submitter);
    if (navigator.onLine) {
      // A normal post, marked so that a double click or a resubmitted page is applied once.
      var bodyText = JSON.stringify(fields);
      if (bodyText !== this.lastBody) { this.lastBody = bodyText; this.lastKey = S.newId(); }
      var hidden = form.querySelector('input[name="idempotency_key"]');
      if (!hidden) {
        hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = "idempotency_key";
        form.appendChild(hidden);
      }
      hidden.value = this.lastKey;
      this.save();
      return;
    }
    e.preventDefault();
    var heading = document.querySelector("main h1");
    S.enqueue({
      user: user, url: form.getAttribute("action"), formUrl: this.key, fields: fields,
      label: heading ? heading.textContent.replace(/\s+/g, " ").trim() : document.title,
    }).then(function () {
      return self.save();
    }).then(function () {
      say("queued", T.queued, "warning");
      refreshOutbox();
      requestSync();
    });
  };

  // After a queued save of this very form went through: the form is now at the server's new
  // version, and what was sent is the new base for the edits.
  FormKeeper.prototype.synced = function (entry, html) {
    var match = /<input[^>]*name="version"[^>]*>/.exec(html);
    var value = match && /value="(\d+)"/.exec(match[0]);
    if (!value) return;
    var v = this.form.querySelector('[name="version"]');
    if (v) v.value = value[1];
    var sent = {};
    entry.fields.forEach(function (f) {
      if (!NOT_KEPT[f[0]]) (sent[f[0]] = sent[f[0]] || []).push(f[1]);
    });
    Object.keys(this.base.fields).forEach(function (name) { if (!(name in sent)) sent[name] = []; });
    this.base = { fields: sent, version: value[1] };
    say("queued", "");
    this.save();
  };

  var keeper = null;
  document.querySelectorAll("form").forEach(function (form) {
    if (keeper || !isQueueable(form)) return;
    keeper = new FormKeeper(form);
    form.addEventListener("input", function () { keeper.save(); });
    form.addEventListener("change", function () { keeper.save(); });
    form.addEventListener("submit", function (e) { keeper.onSubmit(e); });
  });
  // a tab closed or sent to the background mid-word: write what is there now
  window.addEventListener("pagehide", function () { if (keeper) keeper.save(); });

  // -- the outbox ------------------------------------------------------------------------------

  // Re-post a kept entry as a normal page post, so the server's own page (the conflict view, or
  // the form with its errors) opens; the draft stays on the device until that page is saved.
  function openAsPage(entry) {
    S.deleteEntry(entry.id).then(function () {
      var form = document.createElement("form");
      form.method = "post";
      form.action = entry.url;
      form.hidden = true;
      entry.fields.forEach(function (f) {
        if (typeof f[1] !== "string") return;
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = f[0];
        input.value = f[1];
        form.appendChild(input);
      });
      document.body.appendChild(form);
      form.submit();
    });
  }

  function refreshOutbox() {
    return S.listOutbox(user).then(function (rows) {
      if (badge) {
        badge.hidden = rows.length === 0;
        var count = badge.querySelector(".count");
        if (count) count.textContent = rows.length;
        badge.setAttribute("aria-label", fmt(T.badge_label, { n: rows.length }));
      }
      var pending = rows.filter(function (r) { return r.state === "pending"; });
      var mine = pending.filter(function (r) { return r.formUrl === here; });
      if (!mine.length) say("queued", "");
      else if (!statusEl || !statusEl.querySelector('[data-topic="queued"]')) say("queued", T.pending_here, "warning");
      if (api.onOutbox) api.onOutbox(rows);
      ["conflict", "invalid", "refused"].forEach(function (state) {
        rows.filter(function (r) { return r.state === state; }).forEach(function (r) {
          var actions = state === "refused"
            ? [{ label: T.discard, run: function () { S.deleteEntry(r.id).then(refreshOutbox); } }]
            : [{ label: T["open_" + state], run: function () { openAsPage(r); } }];
          say("entry-" + r.id, fmt(T[state], { label: r.label || r.formUrl, status: r.status }), "error", actions);
        });
      });
      return rows;
    });
  }

  // A connection that has just come back often fails the first request: while something waits,
  // try again after 2, 4, 8 … 60 s (the online event and Background Sync also start a round).
  var retryTimer = null, retryDelay = 2000;
  function retryLater() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flushNow, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }

  function flushNow() {
    showConnection();
    clearTimeout(retryTimer);
    if (!navigator.onLine) return refreshOutbox();
    say("synced", "");
    return S.flush(user, location.origin).then(function (results) {
      if (results.some(function (r) { return r.outcome === "retry"; })) retryLater();
      else retryDelay = 2000;
      var sent = results.filter(function (r) { return r.outcome === "sent"; });
      if (results.some(function (r) { return r.outcome === "signed-out"; })) say("signed-out", T.signed_out, "error");
      if (sent.length) {
        say("synced", fmt(T.synced, { n: sent.length }), "success");
        // good news needs no dismissing: it goes by itself (the server's page now shows the rest)
        setTimeout(function () { say("synced", ""); }, 8000);
      }
      var chain = Promise.resolve();
      sent.forEach(function (r) {
        chain = chain.then(function () {
          return afterSent(r.entry, r.response.url, function () { return r.response.text(); });
        });
      });
      return chain.then(refreshOutbox);
    }).then(function () {
      document.documentElement.setAttribute("data-outbox-flushed", String(Date.now()));
    });
  }

  // An entry of this page went through (sent from here, or by the service worker's Background
  // Sync, which passes on where the server answered): follow the server's answer.
  function afterSent(entry, answeredUrl, html) {
    if (entry.kind === "upload") {
      // the evidence list of the page the server answered with shows the new file
      if (entry.formUrl === here && api.onUploaded) return html().then(api.onUploaded);
      return null;
    }
    if (!keeper || entry.formUrl !== keeper.key) return null;
    var answered = new URL(answeredUrl);
    if (answered.pathname !== location.pathname) {
      // a submit lands on the result page, a creation on the new assessment's form
      location.assign(answered.href);
      return null;
    }
    return html().then(function (text) { keeper.synced(entry, text); });
  }

  function sentByWorker(message) {
    var sent = message.sent || [];
    if (sent.length) {
      say("synced", fmt(T.synced, { n: sent.length }), "success");
      setTimeout(function () { say("synced", ""); }, 8000);
    }
    var chain = Promise.resolve();
    sent.forEach(function (s) {
      chain = chain.then(function () {
        return afterSent(s.entry, s.url, function () {
          return fetch(s.url, { credentials: "same-origin" }).then(function (r) { return r.text(); });
        });
      });
    });
    return chain.then(refreshOutbox);
  }

  // What static/js/evidence.js uses: queue an operation (an upload) like a save, and be told
  // when the answer to an upload of this page arrives.
  var api = window.HappyRiversOffline = {
    user: user,
    here: here,
    texts: T,
    say: say,
    queue: function (op) {
      op.user = user;
      op.formUrl = op.formUrl || here;
      return S.enqueue(op).then(function (entry) {
        requestSync();
        return refreshOutbox().then(function () {
          if (navigator.onLine) flushNow();
          return entry;
        });
      });
    },
    onUploaded: null,
    onOutbox: null,
  };

  // -- sign-out on a shared phone --------------------------------------------------------------

  document.querySelectorAll("form[data-sign-out]").forEach(function (form) {
    var confirmed = false;
    form.addEventListener("submit", function (e) {
      if (confirmed) return;
      e.preventDefault();
      S.listOutbox(user).then(function (rows) {
        if (rows.length && !window.confirm(fmt(T.sign_out_confirm, { n: rows.length }))) return;
        return S.clearUser(user).catch(function () {}).then(function () {
          confirmed = true;
          form.submit();
        });
      });
    });
  });

  // -- start -----------------------------------------------------------------------------------

  S.getCurrentUser().then(function (previous) {
    // another account used this phone and did not sign out: its pages are not for this user
    var wipe = previous !== null && previous !== user && window.caches
      ? caches.delete(S.PAGES_CACHE) : null;
    return Promise.resolve(wipe).then(function () { return S.setCurrentUser(user); });
  }).then(function () {
    return keeper ? S.getDraft(user, keeper.key) : null;
  }).then(function (draft) {
    if (draft && keeper) return keeper.restore(draft);
  }).then(function () {
    // the service worker queued this page's post (the connection failed mid-way) and sent it back
    if (location.hash === "#offline-queued") {
      say("queued", T.queued, "warning");
      history.replaceState(null, "", location.pathname + location.search);
    }
    document.documentElement.setAttribute("data-offline-ready", "1");
    keepForOffline();
    return flushNow();
  }).catch(function (err) {
    document.documentElement.setAttribute("data-offline-ready", "error");
    throw err;
  });
  window.addEventListener("online", function () { retryDelay = 2000; flushNow(); });
  window.addEventListener("offline", showConnection);
})();
