// Evidence from the field (issue 10 §3), on an assessment's form: a photo taken with the camera
// (or a file chosen) is read for its EXIF time and GPS position (vendored exifr) and compressed on
// the phone to about 1600 px on the long side; then it is posted as the page always did, or,
// without a network, queued in the outbox like a save and sent by itself when it returns. Compressing drops EXIF, which is why
// the time and place are read first and sent as fields beside the file. The evidence list shows
// the photos still waiting, from the device.
(function () {
  "use strict";
  var O = window.HappyRiversOffline;
  var upload = document.getElementById("upload-form");
  if (!O || !upload) return;
  var T = O.texts;
  var LONG_SIDE = 1600;
  var QUALITY = 0.85;
  var fileInput = upload.querySelector('input[type="file"]');
  var indicator = upload.querySelector('[name="indicator"]');
  var status = document.getElementById("upload-status");

  // -- reading and shrinking a photo ------------------------------------------------------------

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // exifr reads EXIF's zone-less "2026:12:04 10:15:30" as this phone's local time; the local
  // fields give back the digits the camera wrote, which is what is stored.
  function localIso(date) {
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + "T"
      + pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds());
  }

  // EXIF writes "2026:12:04 10:15:30"; some builds of exifr hand that over as it is
  function takenAt(value) {
    if (value instanceof Date) return isNaN(value) ? "" : localIso(value);
    var m = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(String(value || ""));
    return m ? m[1] + "-" + m[2] + "-" + m[3] + "T" + m[4] + ":" + m[5] + ":" + m[6] : "";
  }

  function readExif(file) {
    if (!window.exifr) return Promise.resolve(null);
    return window.exifr.parse(file, { tiff: true, exif: true, gps: true })
      .then(function (tags) {
        if (!tags) return null;
        // the "mini" build has no tag dictionary: DateTimeOriginal is 0x9003, CreateDate 0x9004,
        // DateTime 0x0132 (the names are there too with the full build)
        var taken = takenAt(tags.DateTimeOriginal || tags[0x9003] || tags.CreateDate || tags[0x9004]
                            || tags.DateTime || tags[0x0132]);
        var place = typeof tags.latitude === "number" && typeof tags.longitude === "number"
          && isFinite(tags.latitude) && isFinite(tags.longitude);
        if (!taken && !place) return null;
        return {
          taken_at: taken,
          latitude: place ? tags.latitude.toFixed(6) : "",
          longitude: place ? tags.longitude.toFixed(6) : "",
        };
      })
      .catch(function () { return null; });
  }

  function shrink(file) {
    if (!window.createImageBitmap) return Promise.resolve(file);
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          // a small photo already under the size: keep the original bytes
          resolve(blob && (scale < 1 || blob.size < file.size) ? blob : file);
        }, "image/jpeg", QUALITY);
      });
    }).catch(function () { return file; });
  }

  function prepare(file) {
    if (!/^image\/(jpeg|png)$/.test(file.type)) {
      return Promise.resolve({ blob: file, filename: file.name, photo: false });
    }
    return Promise.all([readExif(file), shrink(file)]).then(function (got) {
      var blob = got[1];
      var name = blob === file ? file.name : file.name.replace(/\.[^.]*$/, "") + ".jpg";
      return { blob: blob, filename: name, photo: true, exif: got[0] };
    });
  }

  // -- sending -------------------------------------------------------------------------------

  function metadataFields(p) {
    var fields = [];
    if (!p.photo) return fields;
    fields.push(["has_exif", p.exif ? "1" : "0"]);
    if (p.exif && p.exif.taken_at) fields.push(["taken_at", p.exif.taken_at]);
    if (p.exif && p.exif.latitude) fields.push(["latitude", p.exif.latitude], ["longitude", p.exif.longitude]);
    return fields;
  }

  // Without a network: into the outbox, sent by itself when the connection returns.
  function queue(p) {
    var csrf = upload.querySelector('[name="csrf_token"]');
    var fields = [["csrf_token", csrf ? csrf.value : ""], ["indicator", indicator ? indicator.value : ""]]
      .concat(metadataFields(p));
    fields.push(["file", { blob: p.blob, filename: p.filename }]);
    return O.queue({
      kind: "upload", url: upload.getAttribute("action"), fields: fields, coalesce: false,
      label: T.photo_label.replace("{name}", p.filename),
    }).then(function () {
      if (fileInput) fileInput.value = "";
      if (status) status.textContent = navigator.onLine ? T.photo_sending : T.photo_queued;
    });
  }

  // Online: the page's own post, with the compressed photo in the file box and what was read
  // from it beside it (static/js/form.js still saves typed answers first; the server's page
  // says 已上传).
  var passing = false;
  function post(p) {
    if (fileInput && window.DataTransfer && p.blob !== (fileInput.files || [])[0]) {
      var box = new DataTransfer();
      box.items.add(new File([p.blob], p.filename, { type: p.blob.type }));
      fileInput.files = box.files;
    }
    upload.querySelectorAll("input[data-photo-metadata]").forEach(function (el) { el.remove(); });
    metadataFields(p).forEach(function (f) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = f[0];
      input.value = f[1];
      input.setAttribute("data-photo-metadata", "");
      upload.appendChild(input);
    });
    passing = true;
    upload.requestSubmit();
  }

  function send(file) {
    if (status) status.textContent = T.photo_preparing;
    return prepare(file).then(function (p) { return navigator.onLine ? post(p) : queue(p); });
  }

  upload.addEventListener("submit", function (e) {
    if (passing) { passing = false; return; } // the prepared post: on to form.js and the server
    var file = fileInput && fileInput.files[0];
    if (!file) return; // the server names the missing file
    e.preventDefault();
    e.stopImmediatePropagation();
    send(file);
  });

  // the camera straight away on a phone; the file box beside it still takes the gallery and PDFs
  var camera = document.createElement("input");
  camera.type = "file";
  camera.accept = "image/*";
  camera.setAttribute("capture", "environment");
  camera.id = "evidence-camera";
  camera.className = "camera-input";
  var cameraLabel = document.createElement("label");
  cameraLabel.htmlFor = camera.id;
  cameraLabel.className = "button camera-button";
  cameraLabel.textContent = T.take_photo;
  camera.addEventListener("change", function () {
    if (camera.files[0]) send(camera.files[0]).then(function () { camera.value = ""; });
  });
  var anchor = fileInput ? fileInput.closest(".field") || fileInput : upload.firstChild;
  upload.insertBefore(cameraLabel, anchor);
  upload.insertBefore(camera, anchor);

  // -- the evidence list -----------------------------------------------------------------------

  var evidence = document.getElementById("evidence");
  var shown = [];

  O.onOutbox = function (rows) {
    shown.forEach(function (url) { URL.revokeObjectURL(url); });
    shown = [];
    var list = document.getElementById("evidence-pending");
    if (list) list.remove();
    var waiting = rows.filter(function (r) { return r.kind === "upload" && r.formUrl === O.here; });
    if (!waiting.length || !evidence) return;
    list = document.createElement("ul");
    list.id = "evidence-pending";
    list.className = "attachments pending";
    waiting.forEach(function (r) {
      var li = document.createElement("li");
      var file = r.fields.filter(function (f) { return f[0] === "file"; })[0];
      if (file && /^image\//.test(file[1].blob.type)) {
        var img = document.createElement("img");
        var url = URL.createObjectURL(file[1].blob);
        shown.push(url);
        img.src = url;
        img.alt = "";
        img.className = "thumb";
        li.appendChild(img);
      }
      var text = document.createElement("span");
      text.textContent = (file ? file[1].filename : r.label) + " · " + T.photo_waiting;
      li.appendChild(text);
      list.appendChild(li);
    });
    evidence.insertBefore(list, upload);
  };

  // After an upload went through: the evidence section of the answered page replaces this one's
  // list (the page itself is not reloaded, so nothing typed meanwhile is touched).
  O.onUploaded = function (html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("#evidence ul.attachments:not(.pending)");
    var current = evidence && evidence.querySelector("ul.attachments:not(.pending)");
    if (fresh && current) current.replaceWith(document.importNode(fresh, true));
    else if (fresh && evidence) evidence.insertBefore(document.importNode(fresh, true), evidence.querySelector("ul.pending") || upload);
    if (status) status.textContent = T.photo_uploaded;
  };
})();
