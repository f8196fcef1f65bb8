// Passkeys: runs Flask-Security's WebAuthn ceremony for the form marked data-wan-ceremony
// (its options travel in a data attribute, so the page needs no inline script).
(function () {
  "use strict";

  function showError(form, text) {
    var box = document.getElementById("wan-errors");
    if (box) {
      box.textContent = text;
      box.hidden = false;
    }
    var retry = form.querySelector("[data-wan-retry]");
    if (retry) {
      retry.hidden = false;
    }
    if (window.consoleAnnounce) {
      window.consoleAnnounce(text);
    }
  }

  function start(form) {
    var kind = form.getAttribute("data-wan-ceremony");
    var options = form.getAttribute("data-credential-options");
    var ceremony = kind === "register" ? window.handleRegister : window.handleSignin;
    if (!window.PublicKeyCredential || typeof ceremony !== "function") {
      showError(form, form.getAttribute("data-unsupported") || "");
      return;
    }
    ceremony(options).then(function (result) {
      if (result.credential) {
        form.querySelector("input[name=credential]").value = result.credential;
        form.submit();
      } else {
        showError(form, form.getAttribute("data-failed") + " " + (result.error_msg || ""));
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-wan-ceremony]");
    if (form) {
      start(form);
    }
  });
})();
