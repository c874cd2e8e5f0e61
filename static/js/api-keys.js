// API keys page: the new key, shown once, is selected as soon as its field gets the focus.
document.querySelectorAll("input.key-value").forEach((input) => {
  input.addEventListener("focus", () => input.select());
});
