// A table wider than the screen scrolls inside itself (app.css); a keyboard must be able to scroll it
// too, so every such region that overflows is made focusable (axe-core: scrollable-region-focusable).
import { useEffect } from "react";

const REGIONS = ".ant-table-content, .ant-table-body, .chart-table";

function mark(root: ParentNode): void {
  root.querySelectorAll<HTMLElement>(REGIONS).forEach((region) => {
    const overflows = region.scrollWidth > region.clientWidth + 1;
    if (overflows && !region.hasAttribute("tabindex")) region.setAttribute("tabindex", "0");
    if (!overflows && region.getAttribute("tabindex") === "0") region.removeAttribute("tabindex");
  });
}

/** Keep the scrollable regions of the page keyboard-focusable as the page and the window change. */
export function useFocusableScrollRegions(): void {
  useEffect(() => {
    let frame = 0;
    const schedule = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => mark(document));
    };
    const observer = new MutationObserver(schedule);
    observer.observe(document.body, { childList: true, subtree: true });
    window.addEventListener("resize", schedule);
    schedule();
    return () => {
      cancelAnimationFrame(frame);
      observer.disconnect();
      window.removeEventListener("resize", schedule);
    };
  }, []);
}
