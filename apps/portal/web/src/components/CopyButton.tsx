import { useEffect, useState } from 'react';

type Result = { outcome: 'copied' | 'unavailable'; count: number } | null;

function select(elementId: string) {
  const element = document.getElementById(elementId);
  const selection = window.getSelection();
  if (!element || !selection) return;
  selection.selectAllChildren(element);
}

/** Copies `text`; says "Copied", or, without a clipboard, selects the text and says how to copy it. */
export function CopyButton({ text, textId }: { text: string; textId: string }) {
  const [result, setResult] = useState<Result>(null);

  useEffect(() => {
    if (result?.outcome !== 'copied') return;
    const timer = window.setTimeout(() => setResult(null), 4000);
    return () => window.clearTimeout(timer);
  }, [result]);

  const copy = async () => {
    const count = (result?.count ?? 0) + 1;
    try {
      if (typeof navigator.clipboard?.writeText !== 'function') throw new Error('no clipboard');
      await navigator.clipboard.writeText(text);
      setResult({ outcome: 'copied', count });
    } catch {
      select(textId);
      setResult({ outcome: 'unavailable', count });
    }
  };

  return (
    <>
      <button
        type="button"
        className="button button-secondary button-small"
        onClick={copy}
        aria-describedby={textId}
      >
        Copy
      </button>
      <span
        role="status"
        className={result?.outcome === 'unavailable' ? 'copy-status copy-manual' : 'copy-status'}
      >
        {result?.outcome === 'copied' && 'Copied'}
        {result?.outcome === 'unavailable' &&
          'Copying is not available in this browser. The key is selected: press Ctrl+C (⌘C on a Mac) to copy it.'}
      </span>
    </>
  );
}
