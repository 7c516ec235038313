// The review queue's keys: j/k move, a accept, o override (value, Enter), r reject, e escalate.
"use strict";

(function () {
  const form = document.getElementById("decide");
  if (form === null) return;
  const output = document.getElementById("decide-output");
  const names = { a: "accept", r: "reject", e: "escalate" };
  let index = Number(form.dataset.at || 0);
  let selectedId = null;

  function rows() { return Array.from(document.querySelectorAll("#review tbody tr[data-id]")); }

  function select(i) {
    const all = rows();
    for (const row of all) row.classList.remove("selected");
    if (all.length === 0) { selectedId = null; return null; }
    index = Math.max(0, Math.min(i, all.length - 1));
    const row = all[index];
    row.classList.add("selected");
    row.scrollIntoView({ block: "nearest" });
    selectedId = row.dataset.id;
    return row;
  }

  function current() { return rows().find(function (r) { return r.dataset.id === selectedId; }); }

  function submit(decision, row, value) {
    let message = decision + " review item " + row.dataset.id + " (" + row.dataset.request + ")";
    if (value !== undefined) message += "\nwith output " + value;
    if (!window.confirm(message + "?")) return;
    document.getElementById("decide-item").value = row.dataset.id;
    document.getElementById("decide-decision").value = decision;
    document.getElementById("decide-at").value = String(index);
    if (value === undefined) output.value = "";
    form.submit();
  }

  function closeOverride() { form.classList.remove("open"); output.value = ""; output.blur(); }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target === output) {
      if (event.key === "Escape") { event.preventDefault(); closeOverride(); }
      if (event.key === "Enter") {
        event.preventDefault();
        const row = current();
        if (row && output.value.trim() !== "") submit("override", row, output.value.trim());
      }
      return;
    }
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement) return;
    const row = current();
    if (event.key === "j") { select(index + 1); } else if (event.key === "k") { select(index - 1); }
    else if (event.key in names && row) { submit(names[event.key], row); }
    else if (event.key === "o" && row) {
      document.getElementById("decide-target").textContent = "item " + row.dataset.id;
      form.classList.add("open");
      output.focus();
    } else { return; }
    event.preventDefault();
  });

  // Live refresh replaces the table: keep the same item selected (or the same place).
  document.addEventListener("redline:refreshed", function () {
    const i = rows().findIndex(function (r) { return r.dataset.id === selectedId; });
    select(i >= 0 ? i : index);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  select(index);
})();
