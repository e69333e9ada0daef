// Runs Kratos's WebAuthn and passkey triggers (data-onclick-trigger /
// data-onload-trigger on the nodes) with Kratos's own webauthn.js, which the
// page loads from its script node. No inline handlers: the CSP forbids them.
(function () {
  "use strict";
  var TRIGGER = /^ory[A-Za-z]+$/; // only Kratos's functions, never any other global

  function explain(element, text) {
    var note = document.createElement("p");
    note.className = "msg msg-error webauthn-note";
    note.setAttribute("role", "alert");
    note.textContent = text;
    element.insertAdjacentElement("afterend", note);
  }

  function run(name) {
    var fn = TRIGGER.test(name || "") ? window[name] : null;
    if (typeof fn !== "function") return false;
    fn();
    return true;
  }

  var buttons = document.querySelectorAll("[data-onclick-trigger]");
  if (!window.PublicKeyCredential) {
    buttons.forEach(function (button) {
      button.disabled = true;
      explain(button, "This browser does not support passkeys or security keys.");
    });
    return;
  }
  buttons.forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      if (!run(button.getAttribute("data-onclick-trigger"))) {
        explain(button, "Passkey support could not be loaded. Reload the page and try again.");
      }
    });
  });

  // Load triggers (passkey autofill) need Kratos's script, which loads async.
  window.addEventListener("load", function () {
    var seen = {};
    document.querySelectorAll("[data-onload-trigger]").forEach(function (element) {
      var name = element.getAttribute("data-onload-trigger");
      if (!seen[name]) {
        seen[name] = true;
        run(name);
      }
    });
  });
})();
