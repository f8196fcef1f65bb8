// Security Console behaviour: theme toggle, CSRF header for htmx, live announcements.
(function () {
  "use strict";

  function setTheme(theme) {
    document.documentElement.setAttribute("data-bs-theme", theme);
    try {
      window.localStorage.setItem("console-theme", theme);
    } catch (e) {
      /* private mode: the choice lasts for this page only */
    }
    var toggle = document.getElementById("theme-toggle");
    if (toggle) {
      toggle.setAttribute("aria-pressed", theme === "dark" ? "true" : "false");
    }
  }

  function announce(text) {
    var region = document.getElementById("live-region");
    if (region && text) {
      region.textContent = "";
      window.setTimeout(function () {
        region.textContent = text;
      }, 50);
    }
  }
  window.consoleAnnounce = announce;

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("theme-toggle");
    if (toggle) {
      var current = document.documentElement.getAttribute("data-bs-theme");
      toggle.setAttribute("aria-pressed", current === "dark" ? "true" : "false");
      toggle.addEventListener("click", function () {
        var now = document.documentElement.getAttribute("data-bs-theme");
        setTheme(now === "dark" ? "light" : "dark");
      });
    }
    // Confirmation for destructive buttons that carry data-confirm.
    document.body.addEventListener("click", function (event) {
      var target = event.target.closest("[data-confirm]");
      if (target && !window.confirm(target.getAttribute("data-confirm"))) {
        event.preventDefault();
        event.stopPropagation();
      }
    }, true);
  });

  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var status = event.detail.elt && event.detail.elt.querySelector
      ? event.detail.elt.querySelector("[data-announce]")
      : null;
    if (status) {
      announce(status.getAttribute("data-announce"));
    }
  });
})();
