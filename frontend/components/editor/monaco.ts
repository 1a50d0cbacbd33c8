/**
 * Monaco, bundled with the app (never a CDN): the editor core, the editing features a learner
 * needs and the Python language, handed to `@monaco-editor/react` with `loader.config`.
 * Imported only on the client (see CodeEditor: `next/dynamic` with `ssr: false`).
 */

import * as monaco from "monaco-editor/editor/editor.api";
import "monaco-editor/features/codicon/register";
import "monaco-editor/features/bracketMatching/register";
import "monaco-editor/features/caretOperations/register";
import "monaco-editor/features/clipboard/register";
import "monaco-editor/features/comment/register";
import "monaco-editor/features/contextmenu/register";
import "monaco-editor/features/cursorUndo/register";
import "monaco-editor/features/find/register";
import "monaco-editor/features/folding/register";
import "monaco-editor/features/hover/register";
import "monaco-editor/features/indentation/register";
import "monaco-editor/features/linesOperations/register";
import "monaco-editor/features/multicursor/register";
import "monaco-editor/features/readOnlyMessage/register";
import "monaco-editor/features/smartSelect/register";
import "monaco-editor/features/snippet/register";
import "monaco-editor/features/suggest/register";
import "monaco-editor/features/toggleTabFocusMode/register";
import "monaco-editor/features/tokenization/register";
import "monaco-editor/features/wordHighlighter/register";
import "monaco-editor/features/wordOperations/register";
import "monaco-editor/languages/definitions/python/register";
import { conf as pythonConf, language as pythonLanguage } from "monaco-editor/languages/definitions/python/python";
import { loader } from "@monaco-editor/react";

declare global {
  interface Window {
    MonacoEnvironment?: { getWorker: (workerId: string, label: string) => Worker };
  }
}

// The editor's one web worker (diffs, word suggestions), served from this app's own bundle.
window.MonacoEnvironment = {
  getWorker: () => new Worker(new URL("./editor.worker.ts", import.meta.url), { type: "module" }),
};

// Python's indentation rules and highlighting from the start: registered lazily, they would
// arrive a moment after the editor opens, and a learner typing at once would get no
// auto-indent after a colon.
monaco.languages.setLanguageConfiguration("python", pythonConf);
monaco.languages.setMonarchTokensProvider("python", pythonLanguage);

loader.config({ monaco });

export { monaco };
