// talkbook.navcache: the book's whole sidebar navigation, one file for every page.
// Loaded by a synchronous <script> at the end of the page's own (branch-only) navigation:
// it replaces that branch with the whole tree before the theme's scripts run, then marks
// the current page as the theme does (li "current active" up the branch, their lists
// "current", the page's own link "current" with href "#", its branch's <details> open).
(function () {
  "use strict";
  var NAV = "__TALKBOOK_NAV__";
  var script = document.currentScript;
  if (!script || !script.parentElement) return;
  var box = script.parentElement;
  var page = script.getAttribute("data-page") || "";
  // links in NAV are relative to the root; the root is where _static/ is
  var prefix = (script.getAttribute("src") || "").replace(/_static\/[^/]*$/, "");
  var absolute = /^([a-z][a-z0-9+.-]*:|\/|#)/i;
  var tpl = document.createElement("template");
  tpl.innerHTML = NAV;
  var own = [];
  tpl.content.querySelectorAll("a[href]").forEach(function (a) {
    var href = a.getAttribute("href");
    if (absolute.test(href)) return;
    if (href === page) {
      own.push(a);
      a.setAttribute("href", "#");
    } else {
      a.setAttribute("href", prefix + href);
    }
  });
  own.forEach(function (a) {
    a.classList.add("current");
    var li = a.parentElement;
    while (li && li.tagName === "LI") {
      li.classList.add("current", "active");
      var ul = li.parentElement;
      if (ul && ul.tagName === "UL") ul.classList.add("current");
      for (var i = 0; i < li.children.length; i++) {
        if (li.children[i].tagName === "DETAILS") li.children[i].setAttribute("open", "open");
      }
      li = ul ? ul.parentElement && ul.parentElement.closest("li") : null;
    }
  });
  // drop the page's branch and the contents link; keep the home link and this script
  Array.prototype.slice.call(box.children).forEach(function (el) {
    if (el !== script && !el.classList.contains("bd-sidenav__home-link")) el.remove();
  });
  box.insertBefore(tpl.content, script);
  script.remove();
})();
