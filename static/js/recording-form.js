// The recording form: show only the options of the chosen account's vendor, and for an
// ElevenLabs PVC job the voice and sample instead of a recording. Hidden fields are disabled,
// so they are not sent. Without this script every group shows, each labelled with its vendor.
(function () {
  "use strict";
  var form = document.querySelector("[data-recording-form]");
  if (!form) return;
  var account = form.elements.namedItem("account");

  function show(el, on) {
    if (!el) return;
    el.hidden = !on;
    el.querySelectorAll("input, select, textarea").forEach(function (input) {
      input.disabled = !on;
    });
  }

  function update() {
    var option = account && account.options[account.selectedIndex];
    var vendor = option ? option.getAttribute("data-vendor") : "";
    var product = form.querySelector("input[name=elevenlabs_product]:checked");
    var pvc = vendor === "elevenlabs" && product !== null && product.value === "pvc";
    form.querySelectorAll("fieldset[data-vendor]").forEach(function (group) {
      show(group, group.getAttribute("data-vendor") === vendor);
    });
    form.querySelectorAll("[data-only]").forEach(function (field) {
      var only = field.getAttribute("data-only");
      show(field, vendor === "elevenlabs" && (only === "pvc") === pvc);
    });
    form.querySelectorAll("[data-source] .field").forEach(function (field) {
      show(field, !pvc && !(vendor === "phonexia" && field.hasAttribute("data-url")));
    });
    var note = form.querySelector("[data-pvc-note]");
    if (note) note.hidden = !pvc;
  }

  form.classList.add("js");
  if (account) account.addEventListener("change", update);
  form.addEventListener("change", function (event) {
    if (event.target.name === "elevenlabs_product") update();
  });
  update();
})();
