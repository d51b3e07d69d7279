/**
 * The widget's styles, applied inside its shadow root only. `:host { all: initial }` with
 * !important (inner !important beats the page's !important on the host) stops inherited page
 * styles at the boundary; every element inside sets what it needs. Nothing is added to the page.
 */
export const WIDGET_CSS = `
:host { all: initial !important; display: block !important; position: static !important; width: 0 !important; height: 0 !important; overflow: visible !important; visibility: visible !important; opacity: 1 !important; contain: style !important; }
:host([hidden]) { display: none !important; }
.root, .root * , .root *::before, .root *::after { box-sizing: border-box; }
.root {
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
  display: flex; flex-direction: column; align-items: flex-end; gap: 12px;
  font: 400 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Helvetica Neue", Arial, sans-serif;
  color: #1b2430; text-align: left; letter-spacing: normal; word-spacing: normal; text-transform: none; text-indent: 0;
  direction: ltr; font-style: normal; font-variant: normal; white-space: normal; cursor: auto;
  --brand: #0b5cab; --brand-ink: #ffffff; --ink: #1b2430; --muted: #4f5a66; --line: #d9dee4; --bg: #ffffff; --soft: #f3f6f9;
}
/* Resets at zero specificity (:where) so that every component rule below wins over them. */
:where(.root) :where(button, textarea, a) { font: inherit; color: inherit; letter-spacing: inherit; margin: 0; }
:where(.root) :where(button) { cursor: pointer; -webkit-appearance: none; appearance: none; }
.root [hidden] { display: none !important; }
.sr-only { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }

.launcher {
  display: inline-flex; align-items: center; gap: 8px; min-height: 48px; padding: 0 18px 0 14px;
  border: 0; border-radius: 999px; background: var(--brand); color: var(--brand-ink); font-weight: 600; font-size: 15px;
  box-shadow: 0 6px 20px rgba(16, 24, 40, .25);
}
.launcher:hover { background: #094d8f; }

.panel {
  width: min(400px, calc(100vw - 32px)); height: min(620px, calc(100vh - 110px));
  display: flex; flex-direction: column; overflow: hidden;
  background: var(--bg); border: 1px solid var(--line); border-radius: 14px; box-shadow: 0 12px 40px rgba(16, 24, 40, .28);
}
.panel-head { display: flex; align-items: center; gap: 8px; padding: 10px 10px 10px 16px; background: var(--brand); color: var(--brand-ink); }
.panel-head h2 { flex: 1; margin: 0; font-size: 16px; font-weight: 650; line-height: 1.3; color: inherit; }
.icon-btn { display: inline-flex; align-items: center; justify-content: center; width: 36px; height: 36px; border: 0; border-radius: 8px; background: transparent; color: inherit; }
.icon-btn:hover { background: rgba(255, 255, 255, .16); }

.log { flex: 1; overflow-y: auto; padding: 14px; display: flex; flex-direction: column; gap: 12px; background: var(--soft); }
.msg { max-width: 100%; display: flex; flex-direction: column; gap: 8px; }
.msg-user { align-self: flex-end; max-width: 85%; }
.msg-user .bubble { background: var(--brand); color: var(--brand-ink); border-radius: 14px 14px 4px 14px; }
.msg-assistant .bubble { background: var(--bg); color: var(--ink); border: 1px solid var(--line); border-radius: 14px 14px 14px 4px; }
.bubble { padding: 9px 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.bubble:empty { display: none; }
.msg-error .bubble { border-color: #f1b3ad; background: #fdf0ef; color: #8a1c12; }
.msg-notice .bubble { border-color: #f0d9a8; background: #fff7e6; color: #6b4100; }
.note { margin: 0; font-size: 12px; color: var(--muted); }
.note-stopped { color: #7a4a00; }
.progress { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 4px; font-size: 13px; color: var(--muted); }
.progress li { display: flex; align-items: center; gap: 6px; }
.progress li::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--brand); opacity: .7; }
.progress li.done::before { background: #1e7b34; }
.typing { font-size: 13px; color: var(--muted); }

.card, .card-list { background: var(--bg); border: 1px solid var(--line); border-radius: 12px; padding: 12px; color: var(--ink); white-space: normal; }
.card-list { display: flex; flex-direction: column; gap: 10px; background: transparent; border: 0; padding: 0; }
.card-list .card { padding: 10px 12px; }
.list-title, .card-title { margin: 0; font-size: 14px; font-weight: 650; line-height: 1.3; color: var(--ink); }
.card-head { display: flex; align-items: center; justify-content: space-between; gap: 8px; margin-bottom: 6px; }
.big { margin: 4px 0 8px; font-size: 24px; font-weight: 700; font-variant-numeric: tabular-nums; }
.facts { margin: 0; display: grid; gap: 2px; }
.facts .row { display: flex; justify-content: space-between; gap: 12px; }
.facts dt { color: var(--muted); margin: 0; }
.facts dd { margin: 0; font-variant-numeric: tabular-nums; text-align: right; }
.facts .strong dd { font-weight: 700; }
.facts .bad dd { color: #b42318; font-weight: 600; }
.lines { list-style: none; margin: 8px 0 0; padding: 8px 0 0; border-top: 1px solid var(--line); display: grid; gap: 2px; }
.lines li, .item-head { display: flex; justify-content: space-between; gap: 12px; }
.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.items { list-style: none; margin: 6px 0 0; padding: 0; display: grid; gap: 8px; }
.list-total { margin: 2px 0 0; font-weight: 650; }
.muted { color: var(--muted); margin: 0; }
.pill { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 650; white-space: nowrap; background: #eceff3; color: #3b4450; }
.pill-paid { background: #e3f4e8; color: #1a6b2d; }
.pill-due, .pill-partially_paid { background: #fff3e0; color: #8a4d00; }
.pill-overdue { background: #fde8e7; color: #a51f15; }
.actions { display: flex; gap: 8px; margin-top: 10px; }
.btn {
  display: inline-flex; align-items: center; justify-content: center; min-height: 34px; padding: 0 14px;
  border: 1px solid var(--brand); border-radius: 8px; background: var(--bg); color: var(--brand); font-weight: 600; text-decoration: none;
}
.btn:not(:disabled):hover { background: #eaf2fb; }
.btn-primary { background: var(--brand); color: var(--brand-ink); }
.btn-primary:not(:disabled):hover { background: #094d8f; }
.btn:disabled { opacity: .5; cursor: not-allowed; }
.card-confirm { border-left: 4px solid var(--brand); }
.summary { margin: 6px 0 0; }
.decided { margin-top: 8px; font-size: 13px; }

.suggestions { display: flex; flex-direction: column; gap: 8px; }
.suggestions p { margin: 0 0 2px; color: var(--muted); }
.chip { text-align: left; padding: 8px 12px; border: 1px solid var(--line); border-radius: 10px; background: var(--bg); color: var(--ink); line-height: 1.35; }
.chip:hover { border-color: var(--brand); background: #eaf2fb; }

.composer { display: flex; gap: 8px; align-items: flex-end; padding: 10px; border-top: 1px solid var(--line); background: var(--bg); }
.composer textarea {
  flex: 1; min-height: 40px; max-height: 120px; resize: none; padding: 9px 11px; border: 1px solid #8a95a3; border-radius: 10px;
  background: var(--bg); color: var(--ink); line-height: 1.35;
}
.send, .stop { display: inline-flex; align-items: center; gap: 6px; min-height: 40px; padding: 0 14px; border: 0; border-radius: 10px; font-weight: 600; }
.send { background: var(--brand); color: var(--brand-ink); }
.send:disabled { background: #8a95a3; cursor: not-allowed; }
.stop { background: #fff; color: #8a1c12; border: 1px solid #c8534a; }
.banner { margin: 0; padding: 8px 12px; font-size: 13px; background: #fff7e6; color: #6b4100; border-top: 1px solid #f0d9a8; }
.footnote { margin: 0; padding: 0 12px 8px; font-size: 11.5px; color: var(--muted); background: var(--bg); }
@media (max-width: 480px) { .root { right: 8px; bottom: 8px; } .panel { height: calc(100vh - 90px); } }
@media (prefers-reduced-motion: no-preference) { .launcher, .chip, .btn { transition: background-color .15s ease; } }
`;
