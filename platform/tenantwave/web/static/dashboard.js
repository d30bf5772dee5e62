// tenantwave dashboard: live updates by polling (no build step, no framework).
// Every few seconds, ask whether the dashboard's snapshot changed; when it did, fetch this page again
// and swap its <main> in place. Bake countdowns tick every second from the server's figure.
(function () {
  "use strict";
  var body = document.body;
  var every = Math.max(1, Number(body.dataset.poll || "2")) * 1000;
  var marker = body.dataset.marker;
  var live = document.getElementById("live");
  var loaded = Date.now();

  function say(text) { if (live) { live.textContent = text; } }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("main");
    var old = document.querySelector("main");
    if (fresh && old) { old.replaceWith(fresh); }
    marker = doc.body.dataset.marker || marker;
    body.dataset.marker = marker;
    loaded = Date.now();
    say("updated at " + new Date().toLocaleTimeString());
  }

  function typing() {
    // never swap a form the operator is filling in: the update waits for the next poll after it
    var active = document.activeElement;
    return !!(active && active.closest && active.closest("main form"));
  }

  function poll() {
    fetch(body.dataset.changes || "/api/changes", { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.marker === marker) { return null; }
        if (typing()) { say("changes waiting: they show when you leave the form"); return null; }
        return fetch(location.href, { cache: "no-store" }).then(function (r) {
          if (r.ok) { return r.text().then(swap); }
          if (r.status >= 500) { say("live updates paused: the dashboard answered " + r.status); return null; }
          // 4xx: this page's URL no longer names anything (a stack or release gone); it will not come back
          // by asking again, so take the new marker and wait for the next change
          marker = data.marker;
          body.dataset.marker = marker;
          say("this page is no longer in the dashboard (" + r.status + "): open the fleet again");
          return null;
        });
      })
      .catch(function () { say("live updates paused: the dashboard cannot be reached"); })
      .then(function () { setTimeout(poll, every); });
  }

  function tick() {
    var gone = Math.floor((Date.now() - loaded) / 1000);
    document.querySelectorAll("[data-seconds-left]").forEach(function (el) {
      var left = Math.max(0, Number(el.dataset.secondsLeft) - gone);
      var m = Math.floor(left / 60), s = left % 60;
      el.textContent = left > 0 ? (m ? m + " min " : "") + s + " s" : "now";
    });
  }

  if (body.dataset.live === "1") { setTimeout(poll, every); }
  setInterval(tick, 1000);
})();
