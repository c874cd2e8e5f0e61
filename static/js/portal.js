// Loaded on every page (no inline script: the Content-Security-Policy forbids it, and eval too,
// so htmx trigger filters are written here instead).

// A panel that refreshes itself (hx-trigger "every Ns") skips a refresh while one of its
// forms is open: swapping the panel would close the form and lose what was typed.
document.addEventListener("htmx:beforeRequest", (event) => {
  const panel = event.detail.elt;
  if (panel && panel.hasAttribute("data-keep-open-forms") && panel.querySelector("details[open]")) {
    event.preventDefault();
  }
});
