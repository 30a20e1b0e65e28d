import { useEffect, useRef, type ReactNode } from 'react';
import { useNavigations } from '../router';

export const PRODUCT_NAME = 'Dynamsoft Customer Portal';

export function useDocumentTitle(title: string) {
  useEffect(() => {
    document.title = `${title} – ${PRODUCT_NAME}`;
  }, [title]);
}

/**
 * A page: its document title, its one h1 and, after a client-side navigation, focus on that h1 so that a
 * screen reader or keyboard user starts at the top of the new page.
 */
export function Page({
  title,
  children,
  narrow = false,
}: {
  title: string;
  children: ReactNode;
  narrow?: boolean;
}) {
  useDocumentTitle(title);
  const navigations = useNavigations();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (navigations > 0) heading.current?.focus();
  }, [navigations]);
  return (
    <div className={narrow ? 'page page-narrow' : 'page'}>
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {children}
    </div>
  );
}
