// caregate console: open htmx-loaded dialogs, close them, and keep keyboard focus sensible.
// No inline scripts anywhere (the Content-Security-Policy forbids them); this file is all there is.
(function () {
  "use strict";
  var opener = null;

  function dialog() { return document.getElementById("dialog"); }

  function focusFirst(root) {
    var target = root.querySelector("[data-focus]") ||
      root.querySelector("input:not([type=hidden]):not([disabled]), select, textarea, button:not([disabled])");
    if (target) { target.focus(); }
  }

  document.addEventListener("click", function (event) {
    var trigger = event.target.closest("[data-dialog]");
    if (trigger) { opener = trigger; }
    if (event.target.closest("[data-close-dialog]")) {
      var d = dialog();
      if (d && d.open) { d.close(); }
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var d = dialog();
    if (!d) { return; }
    var body = document.getElementById("dialog-body");
    if (event.detail.target === body) {
      if (!d.open) { d.showModal(); }
      focusFirst(body);
    } else if (d.open && body.contains(event.detail.target) === false && d.contains(event.detail.elt)) {
      focusFirst(body);
    }
  });

  document.addEventListener("htmx:load", function (event) {
    var d = dialog();
    if (d && d.open && d.contains(event.detail.elt)) {
      var alert = d.querySelector("[data-focus]");
      if (alert) { alert.focus(); }
    }
  });

  document.addEventListener("close", function (event) {
    if (event.target.id === "dialog") {
      document.getElementById("dialog-body").innerHTML = "";
      if (opener && document.body.contains(opener)) { opener.focus(); }
      opener = null;
    }
  }, true);

  // Copy buttons: copy the target's data-value (or its text) and say so where a screen reader hears it.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var target = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-copy") + "-copied");
    if (!target) { return; }
    var text = target.getAttribute("data-value");
    if (text === null) {
      text = Array.prototype.map.call(target.querySelectorAll("li"), function (li) { return li.textContent.trim(); })
        .join("\n") || target.textContent.trim();
    }
    function said(message) { if (status) { status.textContent = message; } }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { said("Copied."); },
        function () { said("Could not copy: select the text and copy it."); });
    } else {
      var range = document.createRange();
      range.selectNodeContents(target);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      said(document.execCommand && document.execCommand("copy") ? "Copied." : "Selected: press Ctrl+C to copy.");
    }
  });

  // Close an open menu (<details>) with Escape or a click elsewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      var summary = menu.querySelector("summary");
      if (summary && menu.contains(document.activeElement)) { summary.focus(); }
    });
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.removeAttribute("open"); }
    });
  });
})();
