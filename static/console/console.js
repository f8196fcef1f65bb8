// Security Console behaviour: theme, dropdowns, list bars, CSRF header for htmx, live announcements.
(function () {
  "use strict";

  // The theme forms post to the server without JavaScript; with it, the choice applies at
  // once, is saved in this browser and is still posted (in the background) for the cookie.
  function systemDark() {
    return !!(window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);
  }

  function showTheme() {
    var root = document.documentElement;
    var choice = root.getAttribute("data-theme") || "auto";
    var shown = root.getAttribute("data-bs-theme");
    document.querySelectorAll("form[data-theme-form]").forEach(function (form) {
      var label = form.getAttribute("data-label-" + choice);
      form.querySelectorAll("[data-theme-state]").forEach(function (el) {
        if (label) {
          el.textContent = label;
        }
      });
      form.querySelectorAll("[data-theme-choice]").forEach(function (button) {
        button.setAttribute("aria-pressed", button.value === choice ? "true" : "false");
      });
      form.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
        button.value = shown === "dark" ? "light" : "dark";
      });
    });
  }

  function setTheme(choice) {
    var root = document.documentElement;
    root.setAttribute("data-theme", choice);
    root.setAttribute("data-bs-theme", choice === "auto" ? (systemDark() ? "dark" : "light") : choice);
    try {
      if (choice === "auto") {
        window.localStorage.removeItem("console-theme");
      } else {
        window.localStorage.setItem("console-theme", choice);
      }
    } catch (e) {
      /* private mode: the cookie the form sets still remembers it */
    }
    showTheme();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-theme-form]") || !window.fetch) {
      return;
    }
    var button = event.submitter;
    var choice = button && button.name === "theme" ? button.value : "";
    if (["light", "dark", "auto"].indexOf(choice) < 0) {
      return;
    }
    event.preventDefault();
    setTheme(choice);
    var body = new FormData(form);
    body.set("theme", choice);
    window.fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      redirect: "manual",
      keepalive: true,
    }).catch(function () {
      /* offline: this browser's saved choice still applies */
    });
  });

  if (window.matchMedia) {
    var scheme = window.matchMedia("(prefers-color-scheme: dark)");
    if (scheme.addEventListener) {
      scheme.addEventListener("change", function () {
        if ((document.documentElement.getAttribute("data-theme") || "auto") === "auto") {
          setTheme("auto");
        }
      });
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
    showTheme();
    // A browser without ::details-content keeps the folded navigation open on a wide screen.
    var detailsContent = window.CSS && window.CSS.supports && window.CSS.supports("selector(::details-content)");
    if (!detailsContent && window.matchMedia) {
      var wide = window.matchMedia("(min-width: 992px)");
      var unfold = function () {
        document.querySelectorAll("details[data-collapse]").forEach(function (details) {
          details.open = wide.matches;
        });
      };
      unfold();
      if (wide.addEventListener) {
        wide.addEventListener("change", unfold);
      }
    }
    document.querySelectorAll("[data-bulk-bar]").forEach(countSelected);
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
      if (!target) {
        return;
      }
      if (!window.confirm(target.getAttribute("data-confirm"))) {
        event.preventDefault();
        event.stopPropagation();
        return;
      }
      // Without JavaScript the server asks on a page of its own; the dialog was that
      // question, so the form says it was answered.
      var field = target.getAttribute("data-confirm-field");
      if (field && target.form && !target.form.querySelector("input[name='" + field + "']")) {
        var answered = document.createElement("input");
        answered.type = "hidden";
        answered.name = field;
        answered.value = "1";
        target.form.appendChild(answered);
      }
    }, true);
  });

  // Dropdowns drawn with <details>: one open at a time, closed by a click elsewhere or Escape.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details[data-dropdown][open]").forEach(function (details) {
      if (!details.contains(event.target)) {
        details.open = false;
      }
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var open = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest("details[data-dropdown][open]")
      : null;
    if (open) {
      open.open = false;
      open.querySelector("summary").focus();
    }
  });

  // The bulk bar of a list says how many rows are ticked, and is marked while any is.
  function countSelected(bar) {
    var name = bar.getAttribute("data-bulk-bar");
    var ticked = document.querySelectorAll('input[type=checkbox][name="' + name + '"]:checked').length;
    bar.classList.toggle("has-selection", ticked > 0);
    var count = bar.querySelector("[data-bulk-count]");
    if (count) {
      count.textContent = (count.getAttribute("data-label") || "%s").replace("%s", ticked);
      count.hidden = false;
    }
  }

  function countFilters(panel) {
    var active = 0;
    panel.querySelectorAll("[data-filter]").forEach(function (field) {
      if (field.value) {
        active += 1;
      }
    });
    var badge = panel.querySelector("[data-filter-count]");
    if (badge) {
      badge.querySelector("[data-filter-number]").textContent = active;
      badge.hidden = active === 0;
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.closest) {
      return;
    }
    if (target.matches("input[type=checkbox]")) {
      document.querySelectorAll("[data-bulk-bar]").forEach(countSelected);
    }
    var panel = target.closest("details.filter-panel");
    if (panel) {
      countFilters(panel);
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("[data-bulk-bar]").forEach(countSelected);
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
