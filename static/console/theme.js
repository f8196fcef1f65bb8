// Applies the colour theme before the page paints (loaded in <head>): the choice the server
// rendered from its cookie ("light" or "dark"), else the one this browser saved, else the OS's.
(function () {
  "use strict";
  var root = document.documentElement;
  var chosen = root.getAttribute("data-theme");
  var saved = null;
  try {
    saved = window.localStorage.getItem("console-theme");
  } catch (e) {
    saved = null;
  }
  if (chosen !== "light" && chosen !== "dark") {
    chosen = saved === "light" || saved === "dark" ? saved : "auto";
  }
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  root.setAttribute("data-theme", chosen);
  root.setAttribute("data-bs-theme", chosen === "auto" ? (dark ? "dark" : "light") : chosen);
  root.classList.add("js");
})();
