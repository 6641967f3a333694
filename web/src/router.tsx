// Client-side routing on location.pathname with the History API. The server serves index.html for
// every page path (src/storewire/api/web_ui.py), so a reload or a shared link lands on the same page.

import type { ComponentChildren, JSX } from "preact";

import { setPage } from "./live";
import { Observable, useObservable } from "./store";

export const location$ = new Observable<string>(location.pathname + location.search);

function changed(): void {
  location$.set(location.pathname + location.search);
  setPage(location.pathname);
}

window.addEventListener("popstate", changed);

export function navigate(to: string, replace = false): void {
  if (to === location.pathname + location.search) return;
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  window.scrollTo(0, 0);
  changed();
}

export function useLocation(): { path: string; params: URLSearchParams } {
  const href = useObservable(location$);
  const [path = "/", search = ""] = href.split("?");
  return { path, params: new URLSearchParams(search) };
}

type LinkProps = JSX.HTMLAttributes<HTMLAnchorElement> & { href: string; children?: ComponentChildren };

/** An <a> that navigates in place (a modified click still opens a new tab). */
export function Link({ href, onClick, ...rest }: LinkProps) {
  return (
    <a
      href={href}
      onClick={(event) => {
        if (onClick) (onClick as (e: MouseEvent) => void)(event);
        if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(href);
      }}
      {...rest}
    />
  );
}
