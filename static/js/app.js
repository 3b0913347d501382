// The pages' few behaviours, without inline handlers (the Content-Security-Policy allows scripts from files only).
// Delegated from the document, so that they keep working on the pages Turbo swaps in.

// A "select all" box: <input type="checkbox" data-select-all="tbody input[name=items]"> ticks the boxes its table
// holds that match the selector.
document.addEventListener("click", (event) => {
  const box = event.target.closest && event.target.closest("input[data-select-all]");
  if (!box) return;
  box.closest("table").querySelectorAll(box.dataset.selectAll).forEach((other) => {
    other.checked = box.checked;
  });
});

// A filter that applies itself: <select data-autosubmit> submits its form when changed.
document.addEventListener("change", (event) => {
  const field = event.target.closest && event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.requestSubmit();
});
