/** Styles of the page: system fonts, high-contrast colours, visible focus, one column on phones. */
export const PAGE_CSS = `:root { color-scheme: light; --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --accent: #0b57d0; --danger: #b3261e; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
.bar { display: flex; justify-content: space-between; align-items: center; padding: 0.75rem 1.25rem; background: #fff; border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; letter-spacing: 0.02em; }
a { color: var(--accent); }
main { max-width: 44rem; margin: 1.5rem auto; padding: 1.5rem; background: #fff; border: 1px solid var(--line); border-radius: 12px; }
main:focus { outline: none; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; overflow-wrap: anywhere; }
dd, .device-name, .device-meta { overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: 2rem 0 0.75rem; }
label { display: block; font-weight: 600; margin-bottom: 0.25rem; }
input { width: 100%; font: inherit; padding: 0.6rem 0.75rem; border: 1px solid #8c959f; border-radius: 8px; }
.help { color: var(--muted); font-size: 0.9rem; margin: 0.35rem 0 1rem; }
button { font: inherit; font-weight: 600; padding: 0.55rem 1rem; border-radius: 8px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: #fff; color: var(--danger); border-color: var(--danger); }
button:disabled { opacity: 0.55; cursor: not-allowed; }
:focus-visible { outline: 3px solid #f2a60d; outline-offset: 2px; }
.status { min-height: 1.5rem; margin: 0 0 1rem; padding: 0; }
.status.error { color: var(--danger); font-weight: 600; }
.status.info { color: var(--muted); }
.facts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 0.75rem 1.5rem; margin: 0 0 1.25rem; }
.facts dt { color: var(--muted); font-size: 0.85rem; }
.facts dd { margin: 0; font-weight: 600; }
.actions { display: flex; gap: 0.75rem; flex-wrap: wrap; }
.devices { list-style: none; margin: 0 0 1rem; padding: 0; border: 1px solid var(--line); border-radius: 10px; }
.devices li { display: flex; justify-content: space-between; align-items: center; gap: 1rem; padding: 0.75rem 1rem; border-top: 1px solid var(--line); }
.devices li:first-child { border-top: 0; }
.device-name { font-weight: 600; }
.device-meta { color: var(--muted); font-size: 0.9rem; }
.badge { display: inline-block; margin-left: 0.5rem; padding: 0 0.5rem; border-radius: 999px; background: #ddf4ff; color: #0a3069; font-size: 0.8rem; font-weight: 600; }
@media (max-width: 600px) {
  main { margin: 0; border-radius: 0; border-left: 0; border-right: 0; padding: 1rem; }
  .facts { grid-template-columns: 1fr; }
  .devices li { flex-direction: column; align-items: flex-start; }
}
`;
