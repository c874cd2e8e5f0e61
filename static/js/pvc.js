// PVC sample page: when a speaker's audio cannot play, show the portal's reason beside it.
document.querySelectorAll("audio.pvc-audio").forEach((audio) => {
  audio.addEventListener("error", async () => {
    const note = audio.parentElement.querySelector(".audio-error");
    if (!note) return;
    let reason = "The audio could not be loaded.";
    try {
      const response = await fetch(audio.currentSrc || audio.src, { credentials: "same-origin" });
      if (!response.ok) reason = (await response.text()).slice(0, 300);
    } catch (err) {
      reason = "The portal could not be reached.";
    }
    note.textContent = reason;
    note.hidden = false;
  });
});
