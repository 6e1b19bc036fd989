// Live updates of the operator console over Socket.IO (socket.io-client 4.x, console/package.json).
//
// The page's live regions say which server events change them and where their fragment is:
//   <div data-live-on="alert_update alert_acknowledged" data-live-url="/console/twin/alarms/">
// The client takes a short-lived access token from the console (data-live-token-url on <body>, asked
// again on every (re)connection), joins the `alerts` and `dashboard_updates` rooms, and re-reads a
// region's fragment from the server when one of its events arrives: the server stays the only judge of
// what this person in this organization may see. While connected, <body data-live="on"> stops the
// regions' 5 s polling (hx-trigger "every 5s [!document.body.dataset.live]"); when the connection drops
// polling resumes until it is back. Without this script (no npm install) the pages poll or reload.
// A region someone is typing in (a field with focus, or a value they changed) is not replaced, by a
// live event or by polling, until they are done: the refresh waits and tries again.
(function () {
  "use strict";
  var body = document.body;
  var tokenUrl = body.getAttribute("data-live-token-url");
  var ROOMS = ["alerts", "dashboard_updates"];
  var RETRY_MS = 5000;
  var listeners = {};

  function regions() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-live-on]"));
  }

  function label(text) {
    document.querySelectorAll("[data-live-label]").forEach(function (node) { node.textContent = text; });
  }

  function editing(region) {
    var active = document.activeElement;
    if (active && active !== body && region.contains(active) && active.matches("input, textarea, select")) return true;
    return Array.prototype.some.call(region.querySelectorAll("input, textarea"), function (field) {
      if (field.type === "hidden") return false;
      if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
      return field.value !== field.defaultValue;
    });
  }

  function liveRead(region, detail) {
    return region && region.hasAttribute && region.hasAttribute("data-live-on") && detail.requestConfig &&
      detail.requestConfig.verb === "get";
  }
  // Polling (htmx "every 5s") skips a round while the region is being edited; a re-read already in
  // flight when someone started typing is not swapped in: the region is read again once they are done.
  document.addEventListener("htmx:beforeRequest", function (evt) {
    if (liveRead(evt.detail.elt, evt.detail) && editing(evt.detail.elt)) evt.preventDefault();
  });
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var region = evt.detail.target;
    if (liveRead(region, evt.detail) && editing(region)) {
      evt.detail.shouldSwap = false;
      refresh(region);
    }
  });

  var pending = new Map();
  var EDIT_RETRY_MS = 1000;
  function refresh(region) {
    if (pending.has(region)) return;
    pending.set(region, setTimeout(function () {
      pending.delete(region);
      if (editing(region)) { setTimeout(function () { refresh(region); }, EDIT_RETRY_MS); return; }
      var url = region.getAttribute("data-live-url");
      if (!url) return;
      if (window.htmx) {
        window.htmx.ajax("GET", url, { target: region, swap: "innerHTML" });
        return;
      }
      fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } }).then(function (response) {
        if (response.status === 401) { window.location.reload(); return null; }
        return response.ok ? response.text() : null;
      }).then(function (html) {
        if (html === null || html === undefined) return;
        if (editing(region)) { refresh(region); return; }
        region.innerHTML = html;
      });
    }, 100));
  }

  function dispatch(event, data) {
    regions().forEach(function (region) {
      if (region.getAttribute("data-live-on").split(/\s+/).indexOf(event) >= 0) refresh(region);
    });
    (listeners[event] || []).forEach(function (fn) { fn(data); });
  }

  window.CustosLive = {
    on: function (event, fn) { (listeners[event] = listeners[event] || []).push(fn); },
    socket: null,
  };

  if (!tokenUrl || typeof window.io !== "function") return;
  if (!regions().length && !document.querySelector("[data-live-page]")) return;

  var socket = window.io({
    auth: function (cb) {
      fetch(tokenUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : {}; })
        .then(function (answer) { cb({ token: answer.token || "" }); })
        .catch(function () { cb({ token: "" }); });
    },
    reconnectionDelayMax: RETRY_MS,
  });
  window.CustosLive.socket = socket;
  var joined = new Set();

  function offline(reason) {
    joined.clear();
    delete body.dataset.live;
    label("Updates: every 5 s (" + reason + ")");
  }

  socket.on("connection_established", function () {
    joined.clear();
    ROOMS.forEach(function (room) { socket.emit("join_room", { room: room }); });
  });
  socket.on("room_joined", function (answer) {
    if (!answer || ROOMS.indexOf(answer.room) < 0) return;
    joined.add(answer.room);
    if (joined.size === ROOMS.length) {
      body.dataset.live = "on";
      label("Updates: live");
      regions().forEach(refresh); // anything that changed before the rooms were joined
    }
  });
  ["alert_update", "alert_acknowledged", "dashboard_update", "stream_data"].forEach(function (event) {
    socket.on(event, function (data) { dispatch(event, data); });
  });
  socket.on("disconnect", function () { offline("reconnecting"); });
  socket.on("connect_error", function () {
    offline("live updates unavailable");
    // A refused handshake (expired console login, bad token) is not retried by the client itself.
    if (!socket.active) setTimeout(function () { socket.connect(); }, RETRY_MS);
  });
})();
