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
    // The language switcher submits itself when JavaScript runs; but arrow keys on a closed
    // select change its value at each press, so a keyboard change waits for Enter (or the
    // form's button, shown again) instead of leaving the page at the first arrow.
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      var byKey = false;
      select.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
          select.form.submit();
          return;
        }
        byKey = event.key !== "Tab";
      });
      select.addEventListener("mousedown", function () {
        byKey = false;
      });
      select.addEventListener("change", function () {
        if (!byKey) {
          select.form.submit();
          return;
        }
        select.form.querySelectorAll(".js-hidden").forEach(function (button) {
          button.classList.remove("js-hidden");
        });
      });
    });
    // Confirmation for destructive buttons that carry data-confirm.
    document.body.addEventListener("click", function (event) {
      var target = event.target.closest("[data-confirm]");
      if (target && !window.confirm(target.getAttribute("data-confirm"))) {
        event.preventDefault();
        event.stopPropagation();
      }
    }, true);
  });

  // Operator shortcuts: "/" search, "g" then a letter to go somewhere, "?" lists them.
  // None fires while the user types in a field or holds a modifier key.
  function typing(target) {
    if (!target || !target.tagName) {
      return false;
    }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  var pendingG = false;
  var pendingTimer = null;
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    if (pendingG) {
      pendingG = false;
      window.clearTimeout(pendingTimer);
      var link = document.querySelector('a[data-shortcut="g ' + event.key + '"]');
      if (link) {
        event.preventDefault();
        window.location.assign(link.getAttribute("href"));
      }
      return;
    }
    if (event.key === "/") {
      var search = document.querySelector("[data-search], main input[type=search]");
      if (search) {
        event.preventDefault();
        search.focus();
      }
    } else if (event.key === "g") {
      pendingG = true;
      pendingTimer = window.setTimeout(function () {
        pendingG = false;
      }, 1500);
    } else if (event.key === "?") {
      var dialog = document.getElementById("shortcuts-dialog");
      if (dialog && window.bootstrap) {
        event.preventDefault();
        window.bootstrap.Modal.getOrCreateInstance(dialog).show();
      }
    }
  });

  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
    }
  });

  // A form that comes back with errors: the keyboard goes to the first field to fix, or to
  // the error summary when no single field is at fault; the field's aria-describedby then
  // reads its error out.
  function focusFirstError(root) {
    if (!root || !root.querySelector) {
      return false;
    }
    var field = root.querySelector("[aria-invalid=true]");
    var target = field || root.querySelector("[data-error-summary], .alert-danger[role=alert]");
    if (!target) {
      return false;
    }
    if (!field && !target.hasAttribute("tabindex")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
    return true;
  }

  function markAnnounced(root) {
    root.querySelectorAll("[data-announce]").forEach(function (el) {
      el.setAttribute("data-announced", "");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // What a full page says is read with the page; only swapped-in statuses are announced.
    markAnnounced(document);
    focusFirstError(document.getElementById("main"));
  });

  // Where a swapped-away target stood (its previous sibling, else its parent), so that a
  // "More" button replaced by the next rows leaves the keyboard on the first of them.
  var place = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    place = target ? { before: target.previousElementSibling, parent: target.parentElement } : null;
  });

  function placeAfterSwap() {
    if (!place) {
      return null;
    }
    if (place.before && place.before.isConnected) {
      return place.before.nextElementSibling;
    }
    return place.parent && place.parent.isConnected ? place.parent.firstElementChild : null;
  }

  // The element that issued an htmx request is often replaced by the answer (a row, a
  // form), so new statuses are looked for in the whole document, not inside it.
  document.addEventListener("htmx:afterSettle", function (event) {
    var fresh = document.querySelector("[data-announce]:not([data-announced])");
    markAnnounced(document);
    if (fresh) {
      announce(fresh.getAttribute("data-announce"));
    }
    var target = event.detail.target;
    var verb = event.detail.requestConfig ? event.detail.requestConfig.verb : "get";
    if (verb !== "get" && target && target.isConnected && focusFirstError(target)) {
      return;
    }
    // Keep the keyboard's place when the focused control was swapped away.
    var active = document.activeElement;
    if (!active || active === document.body || !active.isConnected) {
      var landing = fresh && fresh.isConnected ? fresh : null;
      landing = landing || (target && target.isConnected ? target : placeAfterSwap());
      if (!landing) {
        return;
      }
      // A swapped-in form (e.g. renaming a key) starts at its first field.
      var field = landing === fresh ? null : landing.querySelector("input:not([type=hidden]), select, textarea");
      if (field) {
        field.focus();
        return;
      }
      if (!landing.hasAttribute("tabindex") && !landing.matches("a[href], button, input, select, textarea")) {
        landing.setAttribute("tabindex", "-1");
      }
      landing.focus();
    }
  });
})();
