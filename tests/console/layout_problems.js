// Run in the page by tests/console/layout.py: one line per layout problem (none: the page is fine).
(() => {
  const problems = [];
  const width = window.innerWidth;
  const scroll = document.scrollingElement;
  if (scroll.scrollWidth > width) {
    problems.push(`the page is ${scroll.scrollWidth}px wide in a ${width}px window`);
  }
  const where = (el) => {
    const id = el.getAttribute('data-testid') || el.getAttribute('aria-label') || '';
    const cls = (el.className && typeof el.className === 'string') ? '.' + el.className.trim().split(/\s+/).slice(0, 2).join('.') : '';
    return `<${el.tagName.toLowerCase()}${cls}${id ? ' ' + id : ''}>`;
  };
  const visible = (el) => {
    if (el.closest('[aria-hidden="true"], .ant-table-measure-row, .ant-select-selection-search-mirror')) return false;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none' || Number(style.opacity) === 0) return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  const clips = (el) => ['hidden', 'auto', 'scroll', 'clip'].includes(getComputedStyle(el).overflowX);
  const money = /^-?¥[0-9][0-9,]*\.[0-9]{2}$/;
  const reported = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent;
    if (!text.trim()) continue;
    const el = node.parentElement;
    if (!el || !visible(el)) continue;
    // 1. Text wider than its box, where the box neither clips nor scrolls it: it sticks out.
    let block = el;
    while (block && getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
    if (block && !reported.has(block) && !clips(block) && block.scrollWidth > block.clientWidth + 1) {
      reported.add(block);
      problems.push(`${where(block)} is ${block.clientWidth}px wide for ${block.scrollWidth}px of text: "${text.trim().slice(0, 40)}"`);
    }
    // 2. A short word (or any money figure) on more than one line.
    const pattern = /\S+/g;
    let match;
    while ((match = pattern.exec(text)) !== null) {
      const word = match[0];
      // Chinese breaks between characters in a sentence: only its short labels (默认, 已申请发票) count.
      const limit = /[\u3000-\u9fff\uff00-\uffef]/.test(word) ? 6 : 14;
      if (word.length > limit && !money.test(word)) continue;
      if (word.length < 2) continue;
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + word.length);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (tops.size > 1) {
        problems.push(`"${word}" is broken over ${tops.size} lines in ${where(el)} (${Math.round(el.getBoundingClientRect().width)}px wide)`);
      }
    }
  }
  return problems;
})
