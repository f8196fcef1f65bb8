// Applies the saved or OS colour theme before the page paints (loaded in <head>).
(function () {
  "use strict";
  var saved = null;
  try {
    saved = window.localStorage.getItem("console-theme");
  } catch (e) {
    saved = null;
  }
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  var theme = saved === "light" || saved === "dark" ? saved : dark ? "dark" : "light";
  document.documentElement.setAttribute("data-bs-theme", theme);
  document.documentElement.classList.add("js");
})();
