// balintbot workbench: a selection inside an item's text becomes code-point offsets in its forms.
// Offsets count Unicode code points (as Python does), not UTF-16 units, so emoji don't shift them.
"use strict";

function codePoints(s) { return Array.from(s).length; }

function offsetIn(box, node, offset) {
  const range = document.createRange();
  range.selectNodeContents(box);
  range.setEnd(node, offset);
  return codePoints(range.toString());
}

function currentSelection() {
  const sel = window.getSelection();
  if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
  const r = sel.getRangeAt(0);
  const box = r.commonAncestorContainer.nodeType === 1
    ? r.commonAncestorContainer.closest(".text") : r.commonAncestorContainer.parentElement.closest(".text");
  if (!box) return null;
  return { item: box.dataset.item, start: offsetIn(box, r.startContainer, r.startOffset),
           end: offsetIn(box, r.endContainer, r.endOffset) };
}

document.addEventListener("selectionchange", () => {
  const s = currentSelection();
  if (!s) return; // keep the last selection: clicking a button must not lose it
  document.querySelectorAll(`input[name=start][data-for="${s.item}"]`).forEach((i) => { i.value = s.start; });
  document.querySelectorAll(`input[name=end][data-for="${s.item}"]`).forEach((i) => { i.value = s.end; });
});

document.addEventListener("submit", (ev) => {
  const form = ev.target;
  if (!form.classList.contains("sel-form")) return;
  const start = form.querySelector("input[name=start]");
  if (start && start.value === "") {
    ev.preventDefault();
    alert("Select some words of the text first.");
  }
});

document.addEventListener("DOMContentLoaded", () => {
  const tickAll = document.getElementById("tick-all");
  if (tickAll) tickAll.addEventListener("click", () => {
    document.querySelectorAll("input.tick").forEach((c) => { c.checked = true; });
  });
  const filter = document.getElementById("code-filter");
  const visible = () => Array.from(document.querySelectorAll("li.code")).filter((li) => li.style.display !== "none");
  if (filter) {
    filter.addEventListener("input", () => {
      const q = filter.value.trim().toLowerCase();
      document.querySelectorAll("li.code").forEach((li) => {
        li.style.display = !q || li.dataset.name.includes(q) ? "" : "none";
      });
    });
    filter.addEventListener("keydown", (ev) => {
      if (ev.key !== "Enter") return;
      ev.preventDefault();
      const first = visible()[0];
      if (first) first.querySelector("button.apply").click();
    });
  }
  // number keys 1-9 apply the n-th code to the selected passage (not while typing in a field)
  document.addEventListener("keydown", (ev) => {
    if (!/^[1-9]$/.test(ev.key) || ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName)) return;
    const button = document.querySelector(`button.apply[data-key="${ev.key}"]`);
    if (button && currentSelection()) { ev.preventDefault(); button.click(); }
  });
});

// the codebook: drag a code onto another (or onto "top level") to move it there, through the "move" form
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("drop-move");
  if (!form) return;
  let dragged = null;
  document.querySelectorAll("li.code-node[draggable]").forEach((li) => {
    li.addEventListener("dragstart", (ev) => {
      ev.stopPropagation();
      dragged = li.dataset.code;
      ev.dataTransfer.setData("text/plain", dragged);
    });
  });
  document.querySelectorAll("[data-drop]").forEach((target) => {
    target.addEventListener("dragover", (ev) => { if (dragged && target.dataset.drop !== dragged) ev.preventDefault(); });
    target.addEventListener("drop", (ev) => {
      ev.preventDefault();
      ev.stopPropagation();
      if (!dragged || target.dataset.drop === dragged) return;
      form.querySelector("input[name=code]").value = dragged;
      form.querySelector("input[name=parent]").value = target.dataset.drop;
      form.submit();
    });
  });
});
