import { h } from './dom.js';

/**
 * The safe subset of markdown that answers use, built with DOM calls and text nodes only (never
 * an HTML string, so it works under Trusted Types and the host's CSP): paragraphs, bullet lists
 * ("- ", "* ", "• "), numbered lists ("1. ", "1) "), headings ("## ") as bold lines, **bold** and
 * `code`. Everything else (HTML tags, links, images, tables, nesting) stays literal text; no link
 * is ever made from text (the system prompt forbids URLs: cards carry the links).
 * Ours, not a library: markdown libraries produce HTML strings, and the bundle has a 40 KiB budget.
 */

const MARKER = /^\s*(?:([-*•])|(\d{1,9})[.)])\s+(.*)$/;
const HEADING = /^\s{0,3}#{1,6}\s+(.*?)[\s#]*$/;
const INLINE = /\*\*(?=\S)(.+?)\*\*|`([^`\n]+)`/g;

/** Text with **bold** and `code` spans; the content of a span is plain text (markers inside stay literal). */
export function inline(text: string): Node[] {
  const out: Node[] = [];
  let at = 0;
  for (const m of text.matchAll(INLINE)) {
    out.push(document.createTextNode(text.slice(at, m.index)), m[1] ? h('strong', { text: m[1] }) : h('code', { text: m[2] ?? '' }));
    at = m.index + m[0].length;
  }
  out.push(document.createTextNode(text.slice(at)));
  return out;
}

/**
 * The blocks of `text`, separated by newline text nodes (so textContent reads like the source
 * without its markers). A paragraph keeps its line breaks (white-space: pre-wrap); an indented
 * line continues a list item; a blank line ends a paragraph but not a list.
 */
export function renderMarkdown(text: string): Node[] {
  const out: Node[] = [];
  let para: string[] = [];
  let list: HTMLElement | undefined;
  let item: HTMLElement | undefined;
  const block = (el: Node): void => void out.push(...(out.length ? [document.createTextNode('\n'), el] : [el]));
  const flush = (): void => {
    if (para.length) block(h('p', {}, ...inline(para.join('\n'))));
    para = [];
  };
  for (const line of text.split(/\r\n?|\n/)) {
    const m = MARKER.exec(line);
    const heading = HEADING.exec(line);
    if (m) {
      flush();
      const tag = m[1] ? 'ul' : 'ol';
      if (list?.localName === tag) list.append('\n');
      else {
        block((list = h(tag)));
        if (m[2] && m[2] !== '1') list.setAttribute('start', String(Number(m[2])));
      }
      list.append((item = h('li', {}, ...inline(m[3] ?? ''))));
    } else if (!line.trim()) {
      flush();
      item = undefined;
    } else if (item && /^\s/.test(line)) {
      item.append('\n', ...inline(line.trim()));
    } else {
      list = item = undefined;
      if (!heading) para.push(line);
      else {
        flush();
        block(h('p', {}, h('strong', {}, ...inline(heading[1] ?? ''))));
      }
    }
  }
  flush();
  return out;
}
