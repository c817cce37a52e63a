// The service worker, served as /sw.js (scope: the whole site) by views/pwa.py, which writes
// self.HAPPY_RIVERS_SW — the precache list with a content hash per file, and the URLs below —
// above this text. Workbox (vendored, static/vendor/workbox/) does the caching:
// - the app shell (CSS, JS, icons), the rubric JSON and the offline page are precached; a new
//   deployment changes the hashes, so the new worker fetches what changed and drops the rest;
// - pages are network-first: a page opened once (the waterbody list, a waterbody, an open
//   assessment's form, the new-assessment forms the waterbody page marks) opens again with no
//   network. That cache is not the precache, so an update never takes cached forms away.
// Background Sync sends the outbox (static/js/offline-store.js) when the connection returns,
// even with no page of the app open.
/* global workbox, HappyRiversStore */
"use strict";
var CONFIG = self.HAPPY_RIVERS_SW;
importScripts(CONFIG.workboxPath + "workbox-sw.js");
// debug: false — otherwise workbox-sw loads the .dev.js builds on localhost, which are not vendored
workbox.setConfig({ modulePathPrefix: CONFIG.workboxPath, debug: false });
importScripts(CONFIG.idbScript, CONFIG.storeScript);

var SYNC_TAG = "happy-rivers-outbox";
// pages never worth keeping: the sign-in page (its CSRF token), sign-out, the language switch
var NOT_CACHED = /^\/(login|logout|lang\/|sw\.js|api\/)/;

workbox.core.setCacheNameDetails({ prefix: "happy-rivers" });
// The new worker takes over at once: its precache is complete before it activates, and the
// pages cache is shared, so an open form keeps working offline through the switch.
self.skipWaiting();
workbox.core.clientsClaim();
workbox.precaching.cleanupOutdatedCaches();
workbox.precaching.precacheAndRoute(CONFIG.precache);

var pages = new workbox.strategies.NetworkFirst({
  cacheName: HappyRiversStore.PAGES_CACHE,
  // at the riverside a connection that hangs is worse than none: show the kept page instead
  networkTimeoutSeconds: 6,
  plugins: [new workbox.cacheableResponse.CacheableResponsePlugin({ statuses: [200] })],
});
workbox.routing.registerRoute(function (ctx) {
  return ctx.request.mode === "navigate" && !NOT_CACHED.test(ctx.url.pathname);
}, pages);

workbox.routing.setCatchHandler(function (ctx) {
  if (ctx.request.mode !== "navigate") return Promise.resolve(Response.error());
  return workbox.precaching.matchPrecache(CONFIG.offlinePage).then(function (r) {
    return r || Response.error();
  });
});

// A save, a submit, a creation or an upload posted as a page while the phone believes it is
// online but the request cannot get through (weak signal at the riverside): instead of the
// browser's error page, the post goes into the outbox and the form opens again from the cache,
// saying so. Its idempotency_key (fresh for each post, from the page) becomes the entry's
// Idempotency-Key: if the post did reach the server before the answer was lost, the resend is
// answered from the server's record and applied once.
var QUEUEABLE = [/^\/assessments\/\d+\/(edit|attachments)$/, /^\/waterbodies\/\d+\/assessments$/];
self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "POST" || request.mode !== "navigate") return;
  if (!QUEUEABLE.some(function (re) { return re.test(new URL(request.url).pathname); })) return;
  var copy = request.clone();
  event.respondWith(fetch(request).catch(function () { return queuePost(copy); }));
});

function queuePost(request) {
  var back = new URL(request.referrer || "/", self.location.origin);
  return Promise.all([HappyRiversStore.getCurrentUser(), request.formData()]).then(function (got) {
    var user = got[0], data = got[1], fields = [], key = null;
    if (user === null) return Response.error();
    data.forEach(function (value, name) {
      if (name === "idempotency_key") key = value;
      else if (typeof value === "string") fields.push([name, value]);
      else fields.push([name, { blob: value, filename: value.name }]);
    });
    var path = new URL(request.url).pathname;
    return HappyRiversStore.enqueue({
      id: key, user: user, url: path, formUrl: back.pathname + back.search, fields: fields,
      kind: /\/attachments$/.test(path) ? "upload" : "form", label: "",
    }).then(function () {
      if (self.registration.sync) self.registration.sync.register(SYNC_TAG).catch(function () {});
      back.hash = "offline-queued";
      return Response.redirect(back.href, 303);
    });
  }).catch(function () { return Response.error(); });
}

function tellPages(message) {
  return self.clients.matchAll({ type: "window" }).then(function (list) {
    list.forEach(function (client) { client.postMessage(message); });
  });
}

// Only the signed-in user's entries are sent: on a shared phone another user's cookie must not
// carry them. A rejection asks the browser to try the sync again later.
self.addEventListener("sync", function (event) {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(HappyRiversStore.getCurrentUser().then(function (user) {
    if (user === null) return null;
    return HappyRiversStore.flush(user, self.location.origin).then(function (results) {
      var sent = results.filter(function (r) { return r.outcome === "sent"; })
        .map(function (r) { return { entry: r.entry, url: r.response.url }; });
      return tellPages({ type: "outbox-flushed", sent: sent }).then(function () {
        if (results.some(function (r) { return r.outcome === "retry"; })) throw new Error("retry");
      });
    });
  }));
});
