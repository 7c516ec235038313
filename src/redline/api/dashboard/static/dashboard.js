// redline dashboard: live refresh in place, confirmation dialogs, and the review queue's keys.
// Plain JavaScript, no framework, no network beyond this server.
"use strict";

(function () {
  // ---- times: each <time datetime> (UTC from the server) in the viewer's zone, UTC on hover ----
  const LOCAL = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
    minute: "2-digit", second: "2-digit", hour12: false, timeZoneName: "short" };

  function localize(root) {
    for (const el of root.querySelectorAll("time[datetime]:not([data-local])")) {
      const at = new Date(el.getAttribute("datetime"));
      if (Number.isNaN(at.getTime())) continue;
      el.textContent = at.toLocaleString("sv-SE", LOCAL);  // 2026-12-07 18:04:22, the zone's own
      el.dataset.local = "1";  // the title keeps the UTC time the server sent
    }
  }
  localize(document);

  // ---- live refresh: fetch the page's content, swap each [data-live] region by id --------
  const body = document.body;
  const period = Number(body.dataset.refreshS || 0) * 1000;
  const badge = document.getElementById("live");
  const lost = document.getElementById("lost");
  let seen = new Date();  // when the server last answered

  function connected(ok, why) {
    // The badge and the banner say whether what the page shows is current.
    if (ok) seen = new Date();
    if (badge) {
      badge.classList.toggle("stale", !ok);
      badge.textContent = ok ? "● live" : "● offline";
      badge.title = ok ? "updated " + seen.toLocaleTimeString() : "refresh failed: " + why;
    }
    if (lost) {
      lost.hidden = ok;
      const since = document.getElementById("lost-since");
      if (since) since.textContent = " at " + seen.toLocaleTimeString();
    }
  }

  function busy(region) {
    // A region the user is working in keeps its state: focus, typed text, an open dialog.
    const focused = document.activeElement;
    if (focused && region.contains(focused) && focused.matches("input, select, textarea")) return true;
    for (const field of region.querySelectorAll("input, textarea, select")) {
      if (field.type === "hidden") continue;
      if (field.value !== field.defaultValue) return true;
    }
    return region.querySelector("dialog[open]") !== null;
  }

  async function refresh() {
    if (document.hidden) return;
    try {
      const response = await fetch(window.location.href, {
        headers: { "X-Redline-Fragment": "1" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(String(response.status));
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      localize(fresh);  // compared as the page shows it
      for (const region of document.querySelectorAll("[data-live][id]")) {
        const next = fresh.getElementById(region.id);
        if (next === null || busy(region) || next.innerHTML === region.innerHTML) continue;
        region.replaceWith(next);
      }
      connected(true, "");
      document.dispatchEvent(new CustomEvent("redline:refreshed"));
    } catch (error) {
      connected(false, String(error));
    }
  }

  if (period > 0) {
    let timer = window.setInterval(refresh, period);
    document.addEventListener("visibilitychange", function () {
      // Paused while hidden; catch up at once when the tab comes back.
      window.clearInterval(timer);
      if (badge) badge.classList.toggle("paused", document.hidden);
      if (!document.hidden) { refresh(); timer = window.setInterval(refresh, period); }
    });
  }

  // ---- confirmation: a form with data-confirm asks first, naming the values it will send ----
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
    const lines = [form.dataset.confirm];
    for (const field of form.querySelectorAll("input:not([type=hidden]), select, textarea")) {
      if (field.name && field.value !== "") lines.push("  " + field.name + " = " + field.value);
    }
    if (!window.confirm(lines.join("\n"))) event.preventDefault();
  });

  // ---- lazy parts: a link with data-lazy loads its page's content into the named element ----
  document.addEventListener("click", async function (event) {
    const link = event.target instanceof Element ? event.target.closest("a[data-lazy]") : null;
    if (link === null) return;
    const target = document.querySelector(link.dataset.lazy);
    if (target === null) return;
    event.preventDefault();
    link.textContent = "Computing…";
    try {
      const response = await fetch(link.href, {
        headers: { "X-Redline-Fragment": "1" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(String(response.status));
      target.innerHTML = await response.text();
      localize(target);
    } catch (error) {
      link.textContent = "Could not load (" + error + "): open it as a page";
      link.removeAttribute("data-lazy");
    }
  });

  // ---- a page's own keys (the review queue) hook in here -------------------------------------
  window.redline = { refresh: refresh };
})();
