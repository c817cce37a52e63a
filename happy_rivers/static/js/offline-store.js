// What the device keeps for the inspector, in IndexedDB (through the vendored `idb` wrapper):
// drafts as they are typed and the outbox of saves, submits and creations made without a
// network. Loaded by the pages (static/js/offline.js) and by the service worker (Background
// Sync), so both send the outbox the same way. Every outbox entry is one operation with its
// own client-made UUID, sent as the Idempotency-Key header: however often it is sent (a retry,
// a second tab, the service worker and a page at once) the server applies it once.
(function (global) {
  "use strict";
  var idb = global.idb;
  var DB_NAME = "happy-rivers";
  var PAGES_CACHE = "happy-rivers-pages";
  var dbPromise = null;

  function db() {
    if (!dbPromise) {
      dbPromise = idb.openDB(DB_NAME, 1, {
        upgrade: function (database) {
          database.createObjectStore("drafts", { keyPath: "key" });
          var outbox = database.createObjectStore("outbox", { keyPath: "id" });
          outbox.createIndex("user", "user");
          database.createObjectStore("meta", { keyPath: "name" });
        },
      });
    }
    return dbPromise;
  }

  function draftKey(user, url) { return user + " " + url; }

  function newId() {
    if (global.crypto && global.crypto.randomUUID) return global.crypto.randomUUID();
    // randomUUID needs a secure context (https or localhost); the same v4 layout otherwise
    var b = global.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // -- drafts ----------------------------------------------------------------------------------

  function saveDraft(user, url, fields, baseVersion, extra) {
    var record = { key: draftKey(user, url), user: user, url: url, fields: fields,
                   baseVersion: baseVersion, updatedAt: Date.now() };
    Object.keys(extra || {}).forEach(function (k) { record[k] = extra[k]; });
    return db().then(function (d) { return d.put("drafts", record); }).then(function () { return record; });
  }

  function getDraft(user, url) {
    return db().then(function (d) { return d.get("drafts", draftKey(user, url)); });
  }

  function deleteDraft(user, url) {
    return db().then(function (d) { return d.delete("drafts", draftKey(user, url)); });
  }

  // -- outbox ----------------------------------------------------------------------------------

  function listOutbox(user) {
    return db().then(function (d) { return d.getAllFromIndex("outbox", "user", user); })
      .then(function (rows) { return rows.sort(function (a, b) { return a.queuedAt - b.queuedAt; }); });
  }

  // Queue one operation: {user, url (where it is posted), formUrl (the page it came from), label,
  // fields: [[name, value or {blob, filename}], …]}. A newer save of the same form that has not
  // been sent yet replaces the older one: both carry the version the page was opened at, so
  // sending both would make the second a conflict with the first.
  function enqueue(op) {
    return db().then(function (d) {
      var tx = d.transaction("outbox", "readwrite");
      return tx.store.index("user").getAll(op.user).then(function (rows) {
        var replaced = op.coalesce === false ? null : rows.find(function (r) {
          return r.state === "pending" && r.url === op.url && r.formUrl === op.formUrl && !r.sentAt
            && !r.hasFile;
        });
        if (replaced && replaced.id !== op.id) tx.store.delete(replaced.id);
        var entry = {
          id: op.id || newId(), user: op.user, url: op.url, formUrl: op.formUrl, label: op.label || "",
          kind: op.kind || "form",
          fields: op.fields, hasFile: op.fields.some(function (f) { return typeof f[1] !== "string"; }),
          queuedAt: Date.now(), state: "pending", tries: 0,
        };
        tx.store.put(entry);
        return tx.done.then(function () { return entry; });
      });
    });
  }

  function updateEntry(entry) {
    return db().then(function (d) { return d.put("outbox", entry); });
  }

  function deleteEntry(id) {
    return db().then(function (d) { return d.delete("outbox", id); });
  }

  function body(entry) {
    if (!entry.hasFile) {
      var params = new URLSearchParams();
      entry.fields.forEach(function (f) { params.append(f[0], f[1]); });
      return params;
    }
    var data = new FormData();
    entry.fields.forEach(function (f) {
      if (typeof f[1] === "string") data.append(f[0], f[1]);
      else data.append(f[0], f[1].blob, f[1].filename);
    });
    return data;
  }

  // The page the server answered with becomes the cached copy of that page (a save lands on the
  // form at its new version, a submit on the result), so the form opened offline next is current.
  function cacheAnswer(entry, response) {
    if (!global.caches || !response.redirected) return Promise.resolve();
    var type = response.headers.get("Content-Type") || "";
    if (response.status !== 200 || type.indexOf("text/html") !== 0) return Promise.resolve();
    return global.caches.open(PAGES_CACHE).then(function (cache) {
      var answered = new URL(response.url);
      var form = new URL(entry.formUrl, answered);
      var stale = form.pathname + form.search !== answered.pathname + answered.search
        ? cache.delete(form.href) : Promise.resolve();
      return stale.then(function () { return cache.put(answered.href, response.clone()); });
    });
  }

  var LOGIN_PATH = "/login";

  // Send one entry. Resolves to its outcome: "sent", "conflict" (409), "invalid" (422),
  // "refused" (another 4xx), "signed-out", or "retry" (no network, or the server failed).
  function send(entry, origin) {
    entry.tries += 1;
    entry.sentAt = Date.now();
    return updateEntry(entry).then(function () {
      return fetch(new URL(entry.url, origin).href, {
        method: "POST", body: body(entry), credentials: "same-origin",
        headers: { "Idempotency-Key": entry.id },
      });
    }).then(function (response) {
      var path = new URL(response.url).pathname;
      if (response.ok && path === LOGIN_PATH) return { outcome: "signed-out", response: response };
      if (response.ok) return { outcome: "sent", response: response };
      if (response.status === 409) return { outcome: "conflict", response: response };
      if (response.status === 422) return { outcome: "invalid", response: response };
      if (response.status >= 500) return { outcome: "retry", response: response };
      return { outcome: "refused", response: response };
    }, function () { return { outcome: "retry", response: null }; });
  }

  var flushing = null, again = null;

  // Send the user's pending entries, oldest first; stop at the first that cannot get through
  // (the network is still gone, or the server is down). One run at a time on the device: the
  // pages and the service worker take the same Web Lock, so a tab and Background Sync do not
  // both send an entry (the server would answer the second from its idempotency record anyway).
  function flush(user, origin) {
    // asked again while a round is running (an entry queued meanwhile): one more round after it
    if (flushing) {
      if (!again) again = flushing.then(function () { again = null; return flush(user, origin); });
      return again;
    }
    var locks = global.navigator && global.navigator.locks;
    var run = function () { return flushUnlocked(user, origin); };
    flushing = (locks ? locks.request("happy-rivers-outbox", run) : run())
      .finally(function () { flushing = null; });
    return flushing;
  }

  function flushUnlocked(user, origin) {
    return listOutbox(user).then(function (rows) {
      var results = [];
      var pending = rows.filter(function (r) { return r.state === "pending"; });
      function next(i) {
        if (i >= pending.length) return results;
        var entry = pending[i];
        return send(entry, origin).then(function (r) {
          r.entry = entry;
          results.push(r);
          if (r.outcome === "retry" || r.outcome === "signed-out") {
            return updateEntry(entry).then(function () { return results; });
          }
          if (r.outcome === "sent") {
            return Promise.all([deleteEntry(entry.id), dropSyncedDraft(entry), cacheAnswer(entry, r.response)])
              .then(function () { return next(i + 1); });
          }
          entry.state = r.outcome;
          entry.status = r.response.status;
          return updateEntry(entry).then(function () { return next(i + 1); });
        });
      }
      return next(0);
    });
  }

  // The draft of a form whose save went through is no longer needed — unless more was typed
  // after the save was queued.
  function dropSyncedDraft(entry) {
    return getDraft(entry.user, entry.formUrl).then(function (draft) {
      if (draft && draft.updatedAt <= entry.queuedAt) return deleteDraft(entry.user, entry.formUrl);
    });
  }

  // -- the user on this device -----------------------------------------------------------------

  function setCurrentUser(user) {
    return db().then(function (d) { return d.put("meta", { name: "user", value: user }); });
  }

  function getCurrentUser() {
    return db().then(function (d) { return d.get("meta", "user"); })
      .then(function (row) { return row ? row.value : null; });
  }

  // Sign-out on a shared phone: nothing of this user stays on the device.
  function clearUser(user) {
    return db().then(function (d) {
      var tx = d.transaction(["drafts", "outbox", "meta"], "readwrite");
      var drafts = tx.objectStore("drafts"), outbox = tx.objectStore("outbox");
      return drafts.getAll().then(function (rows) {
        rows.filter(function (r) { return r.user === user; }).forEach(function (r) { drafts.delete(r.key); });
        return outbox.index("user").getAllKeys(user);
      }).then(function (keys) {
        keys.forEach(function (k) { outbox.delete(k); });
        tx.objectStore("meta").delete("user");
        return tx.done;
      });
    }).then(function () { return global.caches ? global.caches.delete(PAGES_CACHE) : false; });
  }

  global.HappyRiversStore = {
    PAGES_CACHE: PAGES_CACHE,
    newId: newId,
    saveDraft: saveDraft,
    getDraft: getDraft,
    deleteDraft: deleteDraft,
    enqueue: enqueue,
    listOutbox: listOutbox,
    updateEntry: updateEntry,
    deleteEntry: deleteEntry,
    flush: flush,
    setCurrentUser: setCurrentUser,
    getCurrentUser: getCurrentUser,
    clearUser: clearUser,
  };
})(self);
