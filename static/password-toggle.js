// "Show password" beside each password field: progressive enhancement (the form works
// without it), loaded as a file because the CSP forbids inline script.
(function () {
  "use strict";
  document.querySelectorAll("input[type=password]").forEach(function (input) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "password-toggle";
    button.textContent = "Show password";
    button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-controls", input.id);
    button.addEventListener("click", function () {
      var show = input.type === "password";
      input.type = show ? "text" : "password";
      button.setAttribute("aria-pressed", show ? "true" : "false");
      button.textContent = show ? "Hide password" : "Show password";
    });
    input.insertAdjacentElement("afterend", button);
  });
  // A shown password is hidden again before the form goes, so the browser never stores it as text.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button.password-toggle[aria-pressed=true]").forEach(function (b) { b.click(); });
    });
  });
})();
