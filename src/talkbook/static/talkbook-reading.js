/* talkbook.meta: the book theme shows its sidebar toggles in the article header, but the
   theme scripts bind only the first .primary-toggle/.secondary-toggle on the page, which is
   the hidden one in the site header. Forward clicks so the visible buttons open the menu
   drawer (phones) or hide the sidebar (desktop), by mouse and by keyboard alike. */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  function forward(selector) {
    var all = document.querySelectorAll(selector);
    if (all.length < 2) return;
    var first = all[0];
    Array.prototype.slice.call(all, 1).forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        event.stopPropagation();
        first.click();
      });
    });
  }
  ready(function () {
    forward(".primary-toggle");
    forward(".secondary-toggle");
  });
})();
