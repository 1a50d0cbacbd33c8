// Monaco's editor worker, bundled by Next (see monaco.ts).
import "monaco-editor/editor/editor.worker";
